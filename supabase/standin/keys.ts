// JWT keys and verification for the stand-in, compatible with the Supabase CLI's local development.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { JWTPayload } from 'jose';

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
	try {
		const { payload } = await jwtVerify(token, secretBytes(secret), {
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
