// Email addresses as people type them on a phone, often with a Chinese IME switched on.

/** RFC 5321 caps a path at 256 octets including the brackets, so an address at 254. */
const MAX_EMAIL_LENGTH = 254;

// Deliberately loose: the mail server is the real judge. This only catches obvious typos.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Trims, folds full-width characters (＠, ．, Ｅ) to ASCII, turns the ideographic full stop 。
 * into a dot and lower-cases: roster emails are compared case-insensitively.
 */
export function normalizeEmail(raw: string): string {
	return raw.normalize('NFKC').replaceAll('。', '.').replace(/\s+/g, '').toLowerCase();
}

export function isValidEmail(normalized: string): boolean {
	return normalized.length <= MAX_EMAIL_LENGTH && EMAIL_SHAPE.test(normalized);
}
