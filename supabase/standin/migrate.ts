// Applies the bootstrap, the project's migrations and (on first run) the seed, like the Supabase CLI.
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { authenticatorPassword } from './backend.ts';
import type { Backend } from './backend.ts';
import { splitStatements } from './sql-split.ts';

export type MigrateOptions = {
	migrationsDir: string;
	seedFile?: string;
	jwtSecret: string;
	log?: (message: string) => void;
};

export type MigrateResult = {
	/** false when the target already looked like a real Supabase database. */
	bootstrapped: boolean;
	applied: string[];
	seeded: boolean;
};

const HERE = import.meta.dirname;
/** Supabase's default search_path for the postgres role, so seeds can call crypt() unqualified. */
const MIGRATION_SEARCH_PATH = `set local search_path = "$user", public, extensions`;
/** Errors a concurrent bootstrap of another database of the same cluster can cause. */
const RACE_CODES = new Set(['23505', '42710', 'XX000', '40001', '40P01']);

export async function migrate(backend: Backend, options: MigrateOptions): Promise<MigrateResult> {
	const log = options.log ?? (() => undefined);
	const bootstrapped = await bootstrap(backend, options.jwtSecret, log);
	const done = await backend.transaction((tx) =>
		tx.query<{ version: string }>('select version from supabase_migrations.schema_migrations')
	);
	const recorded = new Set(done.map((row) => row.version));
	const firstRun = recorded.size === 0;

	const files = await migrationFiles(options.migrationsDir, log);
	const unknown = [...recorded].filter((version) => !files.some((f) => f.version === version));
	if (unknown.length > 0) {
		// A database made before the migrations were folded into a baseline (or by another branch):
		// applying the files on top would fail half-way. Say what to do instead.
		throw new Error(
			`This database was made by migrations this project no longer has (${unknown.sort().join(', ')}). ` +
				'Start it again from the current schema: `npm start -- --fresh` (`npm run standin -- --reset` for the stand-in alone); the local data is deleted.'
		);
	}
	const applied: string[] = [];
	for (const file of files) {
		if (recorded.has(file.version)) continue;
		const script = await readFile(join(options.migrationsDir, file.fileName), 'utf8');
		await backend.transaction(async (tx) => {
			await tx.query(MIGRATION_SEARCH_PATH);
			await tx.exec(script);
			await tx.query(MIGRATION_SEARCH_PATH);
			await tx.query(
				`insert into supabase_migrations.schema_migrations (version, name, statements)
				 values ($1, $2, array(select jsonb_array_elements_text($3::text::jsonb)))`,
				[file.version, file.name, JSON.stringify(splitStatements(script))]
			);
		});
		applied.push(file.fileName);
		log(`applied migration ${file.fileName}`);
	}

	let seeded = false;
	if (firstRun && options.seedFile && existsSync(options.seedFile)) {
		const seed = await readFile(options.seedFile, 'utf8');
		await backend.transaction(async (tx) => {
			await tx.query(MIGRATION_SEARCH_PATH);
			await tx.exec(seed);
		});
		seeded = true;
		log(`seeded from ${options.seedFile}`);
	}
	return { bootstrapped, applied, seeded };
}

type MigrationFile = { fileName: string; version: string; name: string };

async function migrationFiles(dir: string, log: (m: string) => void): Promise<MigrationFile[]> {
	if (!existsSync(dir)) return [];
	const files: MigrationFile[] = [];
	for (const fileName of (await readdir(dir)).sort()) {
		if (!fileName.endsWith('.sql')) continue;
		// The CLI's pattern: <timestamp>_<name>.sql; anything else is skipped with a warning.
		const match = /^(\d+)_(.*)\.sql$/.exec(fileName);
		if (!match?.[1]) {
			log(`skipping ${fileName}: the name must match <timestamp>_<name>.sql`);
			continue;
		}
		files.push({ fileName, version: match[1], name: match[2] ?? '' });
	}
	return files;
}

/** Creates what a Supabase database already has; skipped on a real Supabase database. */
async function bootstrap(
	backend: Backend,
	jwtSecret: string,
	log: (m: string) => void
): Promise<boolean> {
	const [state] = await backend.transaction((tx) =>
		tx.query<{ has_users: boolean; ours: boolean }>(
			`select to_regclass('auth.users') is not null as has_users,
			        to_regclass('auth.standin_mailbox') is not null as ours`
		)
	);
	const realSupabase = Boolean(state?.has_users && !state.ours);
	const scripts: string[] = [];
	if (realSupabase) {
		log('auth.users exists and was not made by the stand-in: skipping the Supabase bootstrap');
	} else {
		scripts.push(await readFile(join(HERE, 'bootstrap.sql'), 'utf8'));
	}
	scripts.push(await readFile(join(HERE, 'standin-tables.sql'), 'utf8'));

	for (let attempt = 1; ; attempt++) {
		try {
			await backend.transaction(async (tx) => {
				for (const script of scripts) await tx.exec(script);
				if (!realSupabase && backend.kind === 'postgres') {
					await tx.query(
						`do $$ begin execute format('alter role authenticator with login password %L', ${quoteLiteral(
							authenticatorPassword(jwtSecret)
						)}); end $$`
					);
				}
			});
			break;
		} catch (error) {
			const code = (error as { code?: unknown }).code;
			if (attempt >= 5 || typeof code !== 'string' || !RACE_CODES.has(code)) throw error;
			await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
		}
	}
	if (!realSupabase) await backend.enableApiLogin(authenticatorPassword(jwtSecret));
	return !realSupabase;
}

function quoteLiteral(value: string): string {
	return `'${value.replace(/'/g, "''")}'`;
}
