// Bootstrap, migrations and seed: idempotent, recorded like the Supabase CLI, seed on first run only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openBackend, DEFAULT_JWT_SECRET } from '../../supabase/standin/index.ts';
import type { Backend } from '../../supabase/standin/index.ts';
import {
	FIXTURES,
	client,
	freshBackends,
	freshPostgresDatabase,
	signUpConfirmed,
	startForTest
} from './support.ts';

const backends = await freshBackends();
const MIGRATIONS = join(FIXTURES, 'migrations');
const SEED = join(FIXTURES, 'seed.sql');

describe.each(backends)('migrate on $name', (testBackend) => {
	let backend: Backend | undefined;

	afterAll(async () => {
		await backend?.close();
		await testBackend.cleanup();
	});

	it('bootstraps, applies, records and seeds once; a second run changes nothing', async () => {
		backend = await openBackend(testBackend.options);
		const options = { migrationsDir: MIGRATIONS, seedFile: SEED, jwtSecret: DEFAULT_JWT_SECRET };
		const first = await migrate(backend, options);
		expect(first).toEqual({
			bootstrapped: true,
			applied: ['20240101000000_conformance.sql'],
			seeded: true
		});

		const second = await migrate(backend, options);
		expect(second).toEqual({ bootstrapped: true, applied: [], seeded: false });

		const rows = await backend.transaction((tx) =>
			tx.query<{ version: string; name: string; n: number }>(
				`select version, name, cardinality(statements)::int as n from supabase_migrations.schema_migrations`
			)
		);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ version: '20240101000000', name: 'conformance' });
		expect(rows[0]?.n).toBeGreaterThan(20);

		const [counts] = await backend.transaction((tx) =>
			tx.query<{ users: number; roles: number; pgcrypto: string }>(
				`select (select count(*)::int from auth.users where email = 'seeded@example.com') as users,
				        (select count(*)::int from pg_roles where rolname in
				          ('anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin', 'supabase_auth_admin')) as roles,
				        (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace
				          where e.extname = 'pgcrypto') as pgcrypto`
			)
		);
		expect(counts).toEqual({ users: 1, roles: 6, pgcrypto: 'extensions' });
	});

	it('rolls a failing migration back and does not record it', async () => {
		if (!backend) throw new Error('previous test did not open the backend');
		const dir = await mkdtemp(join(tmpdir(), 'standin-migrations-'));
		try {
			await writeFile(join(dir, '20240101000000_conformance.sql'), 'select 1;');
			await writeFile(
				join(dir, '20240202000000_broken.sql'),
				'create table public.half_done (id int);\nselect * from no_such_table;'
			);
			await expect(
				migrate(backend, { migrationsDir: dir, jwtSecret: DEFAULT_JWT_SECRET })
			).rejects.toMatchObject({ code: '42P01' });
			const [state] = await backend.transaction((tx) =>
				tx.query<{ table: string | null; recorded: number }>(
					`select to_regclass('public.half_done')::text as table,
					        (select count(*)::int from supabase_migrations.schema_migrations
					          where version = '20240202000000') as recorded`
				)
			);
			expect(state).toEqual({ table: null, recorded: 0 });
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
	it('refuses a database made by migrations the project no longer has, and says to start fresh', async () => {
		if (!backend) throw new Error('previous test did not open the backend');
		const dir = await mkdtemp(join(tmpdir(), 'standin-migrations-'));
		try {
			// The database recorded 20240101000000_conformance; this folder was folded into a baseline.
			await writeFile(
				join(dir, '20250101000000_baseline.sql'),
				'create table public.baseline_ran (id int);'
			);
			await expect(
				migrate(backend, { migrationsDir: dir, jwtSecret: DEFAULT_JWT_SECRET })
			).rejects.toThrow(/no longer has \(20240101000000\)[\s\S]*--fresh/);
			const [state] = await backend.transaction((tx) =>
				tx.query<{ table: string | null }>(
					`select to_regclass('public.baseline_ran')::text as table`
				)
			);
			expect(state).toEqual({ table: null });
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('real Supabase detection (PGlite)', () => {
	it('skips the Supabase bootstrap when auth.users exists without the stand-in tables', async () => {
		const backend = await openBackend({ kind: 'pglite' });
		try {
			await backend.exec(
				`create schema auth; create table auth.users (id uuid primary key);
				 create table auth.sessions (id uuid primary key);`
			);
			const result = await migrate(backend, {
				migrationsDir: join(FIXTURES, 'no-such-dir'),
				jwtSecret: DEFAULT_JWT_SECRET
			});
			expect(result.bootstrapped).toBe(false);
			const [row] = await backend.transaction((tx) =>
				tx.query<{ anon: boolean; mailbox: boolean }>(
					`select exists (select from pg_roles where rolname = 'anon') as anon,
					        to_regclass('auth.standin_mailbox') is not null as mailbox`
				)
			);
			expect(row).toEqual({ anon: false, mailbox: true });
		} finally {
			await backend.close();
		}
	});
});

describe('PGlite data directory', () => {
	it('keeps users across a restart and does not seed twice', async () => {
		const dataDir = await mkdtemp(join(tmpdir(), 'standin-pglite-'));
		try {
			const backend = {
				name: 'pglite' as const,
				options: { kind: 'pglite' as const, dataDir },
				cleanup: async () => undefined
			};
			const first = await startForTest(backend);
			expect(first.migrations.seeded).toBe(true);
			await signUpConfirmed(first, 'persisted@example.com', 'a-good-password');
			await first.stop();

			const second = await startForTest(backend);
			expect(second.migrations).toEqual({ bootstrapped: true, applied: [], seeded: false });
			const login = await client(second).auth.signInWithPassword({
				email: 'persisted@example.com',
				password: 'a-good-password'
			});
			expect(login.error).toBeNull();
			await second.stop();
		} finally {
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});

// Only where the real-PostgreSQL lane is on: several databases of one cluster.
if (process.env.UNION_TEST_PG_URL) {
	describe('PostgreSQL cluster', () => {
		it('bootstraps several databases of one cluster concurrently', async () => {
			const adminUrl = process.env.UNION_TEST_PG_URL ?? '';
			const databases = await Promise.all([1, 2, 3].map(() => freshPostgresDatabase(adminUrl)));
			try {
				const results = await Promise.all(
					databases.map(async (db) => {
						const backend = await openBackend(db.options);
						try {
							return await migrate(backend, {
								migrationsDir: MIGRATIONS,
								seedFile: SEED,
								jwtSecret: DEFAULT_JWT_SECRET
							});
						} finally {
							await backend.close();
						}
					})
				);
				expect(results.every((r) => r.bootstrapped && r.seeded && r.applied.length === 1)).toBe(
					true
				);
			} finally {
				await Promise.all(databases.map((db) => db.cleanup()));
			}
		});
	});
}
