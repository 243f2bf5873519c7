// Test support: the back ends every stand-in suite runs against, and a stand-in started on one.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import postgres from 'postgres';
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';

/** The conformance suite calls test-only functions: the client is untyped on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = SupabaseClient<any, any>;
import { startStandIn } from '../../supabase/standin/index.ts';
import type { BackendOptions, StandIn, StandInOptions } from '../../supabase/standin/index.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export type TestBackend = {
	name: 'pglite' | 'postgres';
	options: BackendOptions;
	/** Drops the per-file PostgreSQL database; nothing to do for in-memory PGlite. */
	cleanup(): Promise<void>;
};

/**
 * PGlite always; PostgreSQL too when UNION_TEST_PG_URL (an admin URL) is set, with a fresh
 * database for the calling test file.
 */
export async function freshBackends(): Promise<TestBackend[]> {
	const backends: TestBackend[] = [
		{ name: 'pglite', options: { kind: 'pglite' }, cleanup: async () => undefined }
	];
	const adminUrl = process.env.UNION_TEST_PG_URL;
	if (adminUrl) backends.push(await freshPostgresDatabase(adminUrl));
	return backends;
}

export async function freshPostgresDatabase(adminUrl: string): Promise<TestBackend> {
	const name = `standin_test_${randomBytes(6).toString('hex')}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
	try {
		await admin.unsafe(`create database ${name}`);
	} finally {
		await admin.end();
	}
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return {
		name: 'postgres',
		options: { kind: 'postgres', url: url.toString() },
		async cleanup() {
			const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
			try {
				await sql.unsafe(`drop database if exists ${name} with (force)`);
			} finally {
				await sql.end();
			}
		}
	};
}

export function startForTest(
	backend: TestBackend,
	options: Partial<StandInOptions> = {}
): Promise<StandIn> {
	return startStandIn({
		backend: backend.options,
		port: 0,
		migrationsDir: join(FIXTURES, 'migrations'),
		seedFile: join(FIXTURES, 'seed.sql'),
		otpRateLimitSeconds: 0,
		// Conformance tests create many addresses from one client; tests/standin/limits.test.ts
		// sets these itself.
		authLimits: { mailsPerClientPerHour: 0, newAddressesPerClientPerHour: 0 },
		log: false,
		...options
	});
}

export function client(standIn: StandIn, key = standIn.anonKey): AnyClient {
	return createClient(standIn.url, key, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
	});
}

/** A client acting as a signed-in user (its access token on every request). */
export function userClient(standIn: StandIn, accessToken: string): AnyClient {
	return createClient(standIn.url, standIn.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
		global: { headers: { Authorization: `Bearer ${accessToken}` } }
	});
}

let counter = 0;
export function uniqueEmail(prefix: string): string {
	counter += 1;
	return `${prefix}.${Date.now().toString(36)}.${counter}@example.com`;
}

export type Mail = {
	id: number;
	to: string;
	subject: string;
	text: string;
	code: string | null;
	created_at: string;
};

export async function mailsFor(standIn: StandIn, email: string): Promise<Mail[]> {
	const response = await fetch(
		`${standIn.mailboxUrl}/api/messages?email=${encodeURIComponent(email)}`
	);
	return (await response.json()) as Mail[];
}

export async function latestCode(standIn: StandIn, email: string): Promise<string> {
	const [mail] = await mailsFor(standIn, email);
	if (!mail?.code) throw new Error(`no mail with a code for ${email}`);
	return mail.code;
}

/** Plain HTTP for the cases supabase-js cannot express (missing apikey, malformed JSON...). */
export async function raw(
	standIn: StandIn,
	path: string,
	init: {
		method?: string;
		headers?: Record<string, string>;
		body?: string;
		apikey?: string | null;
	} = {}
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
	const headers: Record<string, string> = { 'Content-Type': 'application/json', ...init.headers };
	const apikey = init.apikey === undefined ? standIn.anonKey : init.apikey;
	if (apikey !== null) headers.apikey = apikey;
	const response = await fetch(`${standIn.url}${path}`, {
		method: init.method ?? 'POST',
		headers,
		...(init.body !== undefined ? { body: init.body } : {})
	});
	const text = await response.text();
	let json: unknown;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		// Not JSON: the test reads `text`.
	}
	return { status: response.status, headers: response.headers, text, json };
}

/**
 * A password sign-up confirmed the way "Confirm email" requires: signUp (no session), then the
 * code mailed to the address, verified as type 'signup'. Returns the session this opens.
 */
export async function signUpConfirmed(
	standIn: StandIn,
	email: string,
	password: string,
	data: Record<string, unknown> = {}
): Promise<{ userId: string; accessToken: string; refreshToken: string }> {
	const supabase = client(standIn);
	const signedUp = await supabase.auth.signUp({ email, password, options: { data } });
	if (signedUp.error) throw signedUp.error;
	const code = await latestCode(standIn, email);
	const verified = await supabase.auth.verifyOtp({ email, token: code, type: 'signup' });
	if (verified.error) throw verified.error;
	const session = verified.data.session;
	if (!session) throw new Error(`no session after confirming ${email}`);
	return {
		userId: session.user.id,
		accessToken: session.access_token,
		refreshToken: session.refresh_token
	};
}

/**
 * A POST from a chosen loopback source address (127.0.0.2, …): another client, as the stand-in's
 * per-client limits see it, on a machine where every address of 127.0.0.0/8 is local.
 */
export function postFrom(
	standIn: StandIn,
	localAddress: string,
	path: string,
	body: unknown
): Promise<{ status: number; json: unknown }> {
	const payload = JSON.stringify(body);
	return new Promise((resolve, reject) => {
		const req = request(
			`${standIn.url}${path}`,
			{
				method: 'POST',
				localAddress,
				agent: false,
				headers: {
					apikey: standIn.anonKey,
					'Content-Type': 'application/json',
					'Content-Length': String(Buffer.byteLength(payload)),
					'X-Supabase-Api-Version': '2024-01-01'
				}
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
				});
				res.on('error', reject);
			}
		);
		req.on('error', reject);
		req.end(payload);
	});
}
