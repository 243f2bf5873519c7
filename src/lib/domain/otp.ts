// The 6-digit one-time code a member copies from the sign-in email.

export const OTP_LENGTH = 6;

/**
 * Keeps digits only, after folding full-width digits (１２３) to ASCII, so a pasted
 * "123 456" or "123-456" still works. Cuts at six digits.
 */
export function normalizeOtp(raw: string): string {
	return raw.normalize('NFKC').replace(/\D/g, '').slice(0, OTP_LENGTH);
}

export function isValidOtp(code: string): boolean {
	return /^\d{6}$/.test(code);
}
