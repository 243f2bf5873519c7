// Security suite support: the real app (migrations + demo seed) behind the local stand-in, on
// PGlite and, when UNION_TEST_PG_URL is set, on a fresh PostgreSQL database — reached over HTTP
// with the official supabase-js as the personas of the abuse catalogue.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/keys.ts';
import { startStandIn, type StandIn } from '../../supabase/standin/index.ts';
import type { Tx } from '../../supabase/standin/backend.ts';
import { createFreshDatabase, postgresLaneUrl } from '../support/postgres.ts';

// The suite calls every function, including ones added after the generated types: untyped client.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClient = SupabaseClient<any, any>;

export const DEMO_PASSWORD = 'demo-union-2027';

export interface SecurityLane {
	name: 'pglite' | 'postgres';
	start(): Promise<{ standIn: StandIn; stop(): Promise<void> }>;
}

/** PGlite always; PostgreSQL too when the lane is on (no skipped tests: the list is built here). */
export function securityLanes(): SecurityLane[] {
	const lanes: SecurityLane[] = [
		{
			name: 'pglite',
			start: async () => {
				const standIn = await startStandIn({
					backend: { kind: 'pglite' },
					port: 0,
					log: false,
					otpRateLimitSeconds: 0
				});
				return { standIn, stop: () => standIn.stop() };
			}
		}
	];
	const serverUrl = postgresLaneUrl();
	if (serverUrl) {
		lanes.push({
			name: 'postgres',
			start: async () => {
				const database = await createFreshDatabase(serverUrl, 'union_security');
				const standIn = await startStandIn({
					backend: { kind: 'postgres', url: database.url },
					port: 0,
					log: false,
					otpRateLimitSeconds: 0
				});
				return {
					standIn,
					stop: async () => {
						await standIn.stop();
						await database.drop();
					}
				};
			}
		});
	}
	return lanes;
}

export function anonClient(standIn: StandIn): AnyClient {
	return createClient(standIn.url, standIn.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
	});
}

export interface Persona {
	name: string;
	userId: string;
	email: string;
	accessToken: string;
	client: AnyClient;
}

/** Signs in with a password over GoTrue and returns a client carrying that session. */
export async function signIn(standIn: StandIn, email: string, name = email): Promise<Persona> {
	const client = anonClient(standIn);
	const { data, error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD });
	if (error !== null) throw error;
	return {
		name,
		userId: data.user.id,
		email,
		accessToken: data.session.access_token,
		client
	};
}

/**
 * A persona from an access token signed like GoTrue signs them (no password hashing: fast), for
 * the sweep; the abuse tests sign in for real.
 */
export async function mintPersona(standIn: StandIn, email: string): Promise<Persona> {
	const [row] = await ownerQuery<{ id: string }>(
		standIn,
		`select id from auth.users where email = $1`,
		[email]
	);
	if (!row) throw new Error(`no account ${email}`);
	const now = Math.floor(Date.now() / 1000);
	const accessToken = await signJwt(
		{
			sub: row.id,
			email,
			role: 'authenticated',
			aud: 'authenticated',
			iat: now,
			exp: now + 3600,
			app_metadata: { provider: 'email', providers: ['email'] },
			user_metadata: {}
		},
		DEFAULT_JWT_SECRET
	);
	const client = createClient(standIn.url, standIn.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
		global: { headers: { Authorization: `Bearer ${accessToken}` } }
	});
	return { name: email, userId: row.id, email, accessToken, client };
}

/** Runs SQL as the database owner (setting up a case; never what a caller could do). */
export function owner<T>(standIn: StandIn, fn: (tx: Tx) => Promise<T>): Promise<T> {
	return standIn.backend.transaction(fn);
}

export async function ownerQuery<R = Record<string, unknown>>(
	standIn: StandIn,
	sql: string,
	params: Array<string | null> = []
): Promise<R[]> {
	return owner(standIn, (tx) => tx.query<R>(sql, params));
}

/**
 * Gives the roster member picked by `where` (SQL on `m`, private.members) a confirmed account
 * with the demo password, linked to the entry; returns its email.
 */
export async function accountFor(standIn: StandIn, where: string): Promise<string> {
	const [row] = await ownerQuery<{ email: string }>(
		standIn,
		`with picked as (
			select m.id, m.email from private.members m
			where m.user_id is null and m.email is not null and (${where})
			order by m.employee_no limit 1
		), made as (
			insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
				email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
				confirmation_token, recovery_token, email_change_token_new, email_change)
			select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
				'authenticated', p.email, extensions.crypt($1, extensions.gen_salt('bf', 4)), now(),
				'{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '', ''
			from picked p
			returning id, email
		)
		update private.members m set user_id = made.id from made where m.email = made.email
		returning m.email`,
		[DEMO_PASSWORD]
	);
	if (!row) throw new Error(`no roster member without an account where ${where}`);
	return row.email;
}

/** The fingerprint of every table in `private`: its row count and a sum of its rows' hashes. */
export async function fingerprint(standIn: StandIn): Promise<Record<string, string>> {
	const tables = await ownerQuery<{ name: string }>(
		standIn,
		`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'private' and c.relkind = 'r' order by 1`
	);
	const parts = tables.map(
		({ name }) =>
			`select '${name}' as name, count(*)::text || ':' || coalesce(sum(hashtext(t::text)::bigint), 0)::text as print from private."${name}" t`
	);
	const rows = await ownerQuery<{ name: string; print: string }>(
		standIn,
		parts.join(' union all ')
	);
	return Object.fromEntries(rows.map((r) => [r.name, r.print]));
}

export interface PublicFunction {
	name: string;
	/** Arguments in order, with their SQL type and whether they have a default. */
	args: Array<{ name: string; type: string; hasDefault: boolean }>;
	volatile: boolean;
}

/** Every function in schema `public`, read from the catalogue (pg_proc), overloads apart. */
export async function publicFunctions(standIn: StandIn): Promise<PublicFunction[]> {
	const rows = await ownerQuery<{
		name: string;
		names: string[] | null;
		types: string[] | null;
		modes: string[] | null;
		defaults: number;
		volatile: boolean;
	}>(
		standIn,
		`select p.proname as name, p.proargnames as names,
			array(select format_type(t, null) from unnest(p.proargtypes) t) as types,
			p.proargmodes::text[] as modes, p.pronargdefaults::int as defaults,
			p.provolatile = 'v' as volatile
		from pg_proc p join pg_namespace n on n.oid = p.pronamespace
		where n.nspname = 'public' and p.prokind = 'f'
			and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
		order by p.proname, p.oid`
	);
	return rows.map((row) => {
		const types = row.types ?? [];
		// proargnames covers IN and OUT arguments; the input ones are those with mode i/b/v or none.
		const names = (row.names ?? []).filter((_, i) => {
			const mode = row.modes?.[i];
			return mode === undefined || mode === 'i' || mode === 'b' || mode === 'v';
		});
		const args = types.map((type, i) => ({
			name: names[i] ?? `$${i + 1}`,
			type,
			hasDefault: i >= types.length - row.defaults
		}));
		return { name: row.name, args, volatile: row.volatile };
	});
}

/** A raw HTTP call to an RPC, for what supabase-js cannot express (raw bytes, odd bodies). */
export async function rawRpc(
	standIn: StandIn,
	fn: string,
	body: string | Uint8Array<ArrayBuffer>,
	accessToken?: string
): Promise<{ status: number; text: string; json: unknown }> {
	const response = await fetch(`${standIn.url}/rest/v1/rpc/${fn}`, {
		method: 'POST',
		headers: {
			apikey: standIn.anonKey,
			'Content-Type': 'application/json',
			...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {})
		},
		body
	});
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, text, json };
}

/** A check_in / walk_in / undo / signup action as the outbox sends it. */
export function action(
	userId: string,
	kind: string,
	payload: Record<string, unknown>,
	overrides: Record<string, unknown> = {}
): Record<string, unknown> {
	return {
		id: randomUUID(),
		v: 1,
		seq: Math.floor(Math.random() * 1e9),
		kind,
		user_id: userId,
		client_at: new Date().toISOString(),
		payload,
		...overrides
	};
}

export interface ApplyResult {
	id: string;
	status: string;
	code: string;
	warnings: string[];
	replayed?: boolean;
	entity?: Record<string, unknown>;
}

/** apply_actions through supabase-js; throws on a call-level error. */
export async function apply(
	persona: Persona,
	actions: Array<Record<string, unknown>>,
	device = 'security-phone'
): Promise<ApplyResult[]> {
	const { data, error } = await persona.client.rpc('apply_actions', {
		device_id: device,
		sent_at: new Date().toISOString(),
		actions
	});
	if (error !== null) throw new Error(`apply_actions: ${error.code} ${error.message}`);
	return (data as { results: ApplyResult[] }).results;
}

/** Does a response body look like a leaked stack trace or raw internals? */
export function leaksInternals(text: string): boolean {
	return /\n\s+at .+\(.+:\d+:\d+\)|node:internal|file:\/\/\/|\/work\/|Error: .*\n\s+at /.test(text);
}
