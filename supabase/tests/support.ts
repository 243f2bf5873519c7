// Database test support: the migrated, seeded demo union on each back end that runs here, and
// a way to run SQL as a given caller the way PostgREST would (role + JWT claims, per transaction).
import { join } from 'node:path';
import { openBackend, type Backend, type QueryParam, type Tx } from '../standin/backend.ts';
import { migrate } from '../standin/migrate.ts';
import { DEFAULT_JWT_SECRET } from '../standin/keys.ts';
import { createFreshDatabase, postgresLaneUrl } from '../../tests/support/postgres.ts';
import { DEMO_ACCOUNTS } from '../seed/generate.ts';

export { DEMO_ACCOUNTS };

const SUPABASE_DIR = join(import.meta.dirname, '..');

export interface Lane {
	name: 'pglite' | 'postgres';
	/** Opens a fresh database with the migrations and the demo seed applied. */
	open(): Promise<SeededDatabase>;
	/** Opens an empty database: nothing applied, not even the bootstrap. */
	openEmpty(): Promise<SeededDatabase>;
}

export interface SeededDatabase {
	backend: Backend;
	close(): Promise<void>;
}

/** PGlite always; real PostgreSQL when the lane is on (npm test and CI turn it on). */
export function lanes(): Lane[] {
	const result: Lane[] = [
		{
			name: 'pglite',
			open: async () => {
				const backend = await openBackend({ kind: 'pglite' });
				await seed(backend);
				return { backend, close: () => backend.close() };
			},
			openEmpty: async () => {
				const backend = await openBackend({ kind: 'pglite' });
				return { backend, close: () => backend.close() };
			}
		}
	];
	const serverUrl = postgresLaneUrl();
	if (serverUrl) {
		const openOnServer = async (seeded: boolean): Promise<SeededDatabase> => {
			const database = await createFreshDatabase(serverUrl);
			const backend = await openBackend({ kind: 'postgres', url: database.url });
			if (seeded) await seed(backend);
			return {
				backend,
				close: async () => {
					await backend.close();
					await database.drop();
				}
			};
		};
		result.push({
			name: 'postgres',
			open: () => openOnServer(true),
			openEmpty: () => openOnServer(false)
		});
	}
	return result;
}

async function seed(backend: Backend): Promise<void> {
	await migrate(backend, {
		migrationsDir: join(SUPABASE_DIR, 'migrations'),
		seedFile: join(SUPABASE_DIR, 'seed.sql'),
		jwtSecret: DEFAULT_JWT_SECRET
	});
}

/** Who a statement runs as: anon, or an authenticated user by id (and email for the claims). */
export type Caller = { role: 'anon' } | { role: 'authenticated'; userId: string; email?: string };

export const anon: Caller = { role: 'anon' };

export function user(userId: string, email?: string): Caller {
	return { role: 'authenticated', userId, email };
}

export function demo(account: keyof typeof DEMO_ACCOUNTS): Caller {
	return user(DEMO_ACCOUNTS[account].userId, DEMO_ACCOUNTS[account].email);
}

/**
 * Runs `fn` in a transaction as `caller`, like PostgREST: `set local role` and the JWT claims.
 * The transaction is rolled back unless `commit` is set, so tests do not disturb each other.
 */
export async function as<T>(
	backend: Backend,
	caller: Caller,
	fn: (tx: Tx) => Promise<T>,
	options: { commit?: boolean } = {}
): Promise<T> {
	const claims =
		caller.role === 'anon'
			? { role: 'anon' }
			: {
					role: 'authenticated',
					sub: caller.userId,
					email: caller.email ?? '',
					aud: 'authenticated'
				};
	const rollback = new Error('rollback');
	let result: T | undefined;
	try {
		await backend.transaction(
			async (tx) => {
				await tx.query(`select set_config('request.jwt.claims', $1, true)`, [
					JSON.stringify(claims)
				]);
				await tx.query(`select set_config('search_path', 'public, extensions', true)`);
				await tx.query(`set local role ${caller.role}`);
				result = await fn(tx);
				if (!options.commit) throw rollback;
			},
			{ api: true }
		);
	} catch (error) {
		if (error !== rollback) throw error;
	}
	return result as T;
}

/** Runs SQL as the database owner (setting up a case), committed. */
export function asOwner<T>(backend: Backend, fn: (tx: Tx) => Promise<T>): Promise<T> {
	return backend.transaction(fn);
}

/** The SQLSTATE of a failed call, or 'ok'. */
export async function sqlState(call: Promise<unknown>): Promise<string> {
	try {
		await call;
		return 'ok';
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		return typeof code === 'string' ? code : `unexpected: ${String(error)}`;
	}
}

/** Gives every roster member with an email a confirmed account linked to their entry. */
export async function linkAllMembers(backend: Backend): Promise<void> {
	await asOwner(backend, async (tx) => {
		await tx.query(`
			insert into auth.users (id, email, email_confirmed_at, aud, role)
			select gen_random_uuid(), m.email, now(), 'authenticated', 'authenticated'
			from private.members m
			where m.user_id is null and m.email is not null
				and not exists (select 1 from auth.users u where u.email = m.email)`);
		await tx.query(`
			update private.members m set user_id = u.id
			from auth.users u where u.email = m.email and m.user_id is null`);
	});
}

/** Callers for the linked members a SQL condition on `m` (private.members) and `u` (units) picks. */
export async function membersWhere(
	backend: Backend,
	condition: string,
	limit = 1000
): Promise<Caller[]> {
	const rows = await asOwner(backend, (tx) =>
		tx.query<{ user_id: string; email: string }>(
			`select m.user_id, m.email from private.members m join private.units u on u.id = m.unit_id
			where m.user_id is not null and (${condition}) order by m.employee_no limit ${String(limit)}`
		)
	);
	return rows.map((r) => user(r.user_id, r.email));
}

/**
 * Creates an activity as the owner with sensible defaults (published, open for sign-up now,
 * starting in ten days, run by the union); `fields` override columns of private.activities.
 */
export async function createActivity(
	backend: Backend,
	fields: Record<string, unknown> = {}
): Promise<string> {
	const defaults = [
		'title',
		'category',
		'status',
		'owner_unit_id',
		'starts_at',
		'ends_at',
		'signup_opens_at',
		'signup_closes_at',
		'cancel_deadline'
	];
	const columns = [...new Set([...defaults, ...Object.keys(fields)])];
	const [row] = await asOwner(backend, (tx) =>
		tx.query<{ id: string }>(
			`insert into private.activities (${columns.join(', ')})
			select ${columns.map((c) => `(r).${c}`).join(', ')}
			from (
				select jsonb_populate_record(null::private.activities, jsonb_build_object(
					'title', 'Test activity', 'category', 'sports', 'status', 'published',
					'owner_unit_id', (select id from private.units where code = 'U00'),
					'starts_at', now() + interval '10 days', 'ends_at', now() + interval '10 days 2 hours',
					'signup_opens_at', now() - interval '1 day', 'signup_closes_at', now() + interval '5 days',
					'cancel_deadline', now() + interval '9 days'
				) || $1::text::jsonb) as r
			) source
			returning id`,
			[JSON.stringify(fields)]
		)
	);
	if (!row) throw new Error('activity not created');
	return row.id;
}

/** The outcome of an API call: its JSON result, or the code the function refused with. */
export type ApiOutcome<T> = { ok: true; value: T } | { ok: false; status: string; code: string };

export async function callApi<T = Record<string, unknown>>(
	backend: Backend,
	caller: Caller,
	sql: string,
	params: QueryParam[] = []
): Promise<ApiOutcome<T>> {
	try {
		const rows = await as(backend, caller, (tx) => tx.query<{ result: T }>(sql, params), {
			commit: true
		});
		return { ok: true, value: rows[0]?.result as T };
	} catch (error) {
		const { code, message } = error as { code?: string; message?: string };
		return { ok: false, status: code ?? 'unknown', code: message ?? String(error) };
	}
}
