// JWT keys and verification for the stand-in, compatible with the Supabase CLI's local development.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { JWTPayload } from 'jose';
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The Supabase CLI's local-development secret: with it the anon key equals `supabase start`'s. */
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** Long-lived API keys expire where the CLI's do, so the anon key is byte-for-byte the known one. */
const API_KEY_EXPIRY = 1983812996;

/** Tolerated clock difference when checking exp, nbf and iat, as PostgREST does. */
export const CLOCK_SKEW_SECONDS = 30;

export type Claims = JWTPayload & Record<string, unknown>;

export type JwtFailure = {
	/** expired / issued in the future: PostgREST's PGRST303; anything else: PGRST301. */
	kind: 'expired' | 'future' | 'invalid';
	message: string;
};

export type JwtResult = { ok: true; claims: Claims } | { ok: false; failure: JwtFailure };

function secretBytes(secret: string): Uint8Array {
	return new TextEncoder().encode(secret);
}

/** The secret as a key object, made once per secret (jose imports a raw byte key again on every
 * verification). */
const verificationKeys = new Map<string, KeyObject>();
function verificationKey(secret: string): KeyObject {
	let key = verificationKeys.get(secret);
	if (!key) {
		key = createSecretKey(secretBytes(secret));
		verificationKeys.set(secret, key);
	}
	return key;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function jsonSegment(segment: string): unknown {
	return JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The claims of a token that is plainly valid: a compact JWS with the header {alg: HS256} (no
 * `crit`), an HMAC-SHA256 signature that matches, a JSON object as payload and iat, nbf and exp,
 * where present, numbers within the clock skew. Undefined for anything else, which jose then
 * judges (and names the failure). A plain HMAC here costs a few microseconds, where jose's
 * WebCrypto verification costs ~50–200 µs of the stand-in's single thread per request.
 */
function plainlyValid(token: string, secret: string): Claims | undefined {
	try {
		const parts = token.split('.');
		if (parts.length !== 3) return undefined;
		const [header, payload, signature] = parts as [string, string, string];
		const protectedHeader = jsonSegment(header);
		if (
			!isPlainObject(protectedHeader) ||
			protectedHeader.alg !== 'HS256' ||
			'crit' in protectedHeader ||
			'b64' in protectedHeader
		) {
			return undefined;
		}
		const expected = createHmac('sha256', verificationKey(secret))
			.update(`${header}.${payload}`)
			.digest();
		const given = Buffer.from(signature, 'base64url');
		if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
		const claims = jsonSegment(payload);
		if (!isPlainObject(claims)) return undefined;
		const now = Math.floor(Date.now() / 1000);
		const { iat, nbf, exp } = claims;
		if (iat !== undefined && (typeof iat !== 'number' || iat > now + CLOCK_SKEW_SECONDS)) {
			return undefined;
		}
		if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + CLOCK_SKEW_SECONDS)) {
			return undefined;
		}
		if (exp !== undefined && (typeof exp !== 'number' || exp <= now - CLOCK_SKEW_SECONDS)) {
			return undefined;
		}
		return claims;
	} catch {
		return undefined;
	}
}

/** Signs with the header `{"alg":"HS256","typ":"JWT"}` in that order, like GoTrue and the CLI. */
export async function signJwt(claims: Claims, secret: string): Promise<string> {
	return new SignJWT(claims)
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.sign(secretBytes(secret));
}

export async function apiKeys(
	secret: string
): Promise<{ anonKey: string; serviceRoleKey: string }> {
	const anonKey = await signJwt(
		{ iss: 'supabase-demo', role: 'anon', exp: API_KEY_EXPIRY },
		secret
	);
	const serviceRoleKey = await signJwt(
		{ iss: 'supabase-demo', role: 'service_role', exp: API_KEY_EXPIRY },
		secret
	);
	return { anonKey, serviceRoleKey };
}

/** HS256 only (so `alg: none` and key-confusion tricks fail); exp, nbf and iat within the skew. */
export async function verifyJwt(token: string, secret: string): Promise<JwtResult> {
	const plain = plainlyValid(token, secret);
	if (plain) return { ok: true, claims: plain };
	try {
		const { payload } = await jwtVerify(token, verificationKey(secret), {
			algorithms: ['HS256'],
			clockTolerance: CLOCK_SKEW_SECONDS
		});
		const now = Math.floor(Date.now() / 1000);
		if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) {
			return { ok: false, failure: { kind: 'future', message: 'JWT issued at future' } };
		}
		return { ok: true, claims: payload };
	} catch (error) {
		if (error instanceof joseErrors.JWTExpired) {
			return { ok: false, failure: { kind: 'expired', message: 'JWT expired' } };
		}
		if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
			return { ok: false, failure: { kind: 'future', message: 'JWT not yet valid' } };
		}
		if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
			return { ok: false, failure: { kind: 'invalid', message: 'JWSError JWSInvalidSignature' } };
		}
		if (error instanceof joseErrors.JOSEAlgNotAllowed) {
			return { ok: false, failure: { kind: 'invalid', message: 'JWSError JWSInvalidAlgorithm' } };
		}
		return { ok: false, failure: { kind: 'invalid', message: 'Invalid JWT' } };
	}
}
