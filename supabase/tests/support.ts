// Database test support: the migrated, seeded demo union on each back end that runs here, and
// a way to run SQL as a given caller the way PostgREST would (role + JWT claims, per transaction).
import { join } from 'node:path';
import { openBackend, type Backend, type Tx } from '../standin/backend.ts';
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
			}
		}
	];
	const serverUrl = postgresLaneUrl();
	if (serverUrl) {
		result.push({
			name: 'postgres',
			open: async () => {
				const database = await createFreshDatabase(serverUrl);
				const backend = await openBackend({ kind: 'postgres', url: database.url });
				await seed(backend);
				return {
					backend,
					close: async () => {
						await backend.close();
						await database.drop();
					}
				};
			}
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
			: { role: 'authenticated', sub: caller.userId, email: caller.email ?? '', aud: 'authenticated' };
	const rollback = new Error('rollback');
	let result: T | undefined;
	try {
		await backend.transaction(async (tx) => {
			await tx.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
			await tx.query(`select set_config('search_path', 'public, extensions', true)`);
			await tx.query(`set local role ${caller.role}`);
			result = await fn(tx);
			if (!options.commit) throw rollback;
		});
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
