// node supabase/standin/cli.ts [--db-url URL] [--data-dir DIR] [--port N] [--reset] [--quiet]
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openBackend } from './backend.ts';
import { startStandIn } from './server.ts';

const { values } = parseArgs({
	options: {
		'db-url': { type: 'string' },
		'data-dir': { type: 'string', default: '.data/pglite' },
		port: { type: 'string', default: '54321' },
		reset: { type: 'boolean', default: false },
		quiet: { type: 'boolean', default: false },
		help: { type: 'boolean', short: 'h', default: false }
	}
});

if (values.help) {
	console.log(`Usage: node supabase/standin/cli.ts [options]
  --db-url URL     use a PostgreSQL server (admin URL) instead of the embedded PGlite
  --data-dir DIR   PGlite data directory (default .data/pglite)
  --port N         port on 127.0.0.1 (default 54321; 0 = any free port)
  --reset          start from an empty database (PGlite: deletes the data directory;
                   PostgreSQL: drops the stand-in's schemas, refused on a real Supabase database)
  --quiet          no request log`);
	process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	console.error(`Invalid --port ${values.port}`);
	process.exit(2);
}

const dbUrl = values['db-url'];
const dataDir = resolve(values['data-dir']);

if (values.reset) {
	if (dbUrl) await resetPostgres(dbUrl);
	else await rm(dataDir, { recursive: true, force: true });
}

const standIn = await startStandIn({
	backend: dbUrl ? { kind: 'postgres', url: dbUrl } : { kind: 'pglite', dataDir },
	port,
	log: !values.quiet
});

console.log(`
Union stand-in is running (${dbUrl ? 'PostgreSQL' : `PGlite in ${dataDir}`})
  API URL:      ${standIn.url}
  anon key:     ${standIn.anonKey}
  service_role: ${standIn.serviceRoleKey}
  Mailbox:      ${standIn.mailboxUrl}
  Migrations:   ${standIn.migrations.applied.length} applied now${standIn.migrations.seeded ? ', seed loaded' : ''}
Press Ctrl-C to stop.
`);

let stopping = false;
const stop = (signal: string) => {
	if (stopping) return;
	stopping = true;
	console.log(`\n${signal}: stopping…`);
	standIn.stop().then(
		() => process.exit(0),
		(error: unknown) => {
			console.error(error);
			process.exit(1);
		}
	);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

/** Drops what the stand-in and the migrations created; only on a database the stand-in made. */
async function resetPostgres(url: string): Promise<void> {
	const backend = await openBackend({ kind: 'postgres', url });
	try {
		await backend.transaction(async (tx) => {
			const [row] = await tx.query<{ ours: boolean; real: boolean }>(
				`select to_regclass('auth.standin_mailbox') is not null as ours,
				        to_regclass('auth.users') is not null as real`
			);
			if (row?.real && !row.ours) {
				throw new Error('Refusing --reset: this looks like a real Supabase database');
			}
			// Every schema the bootstrap and the migrations made (public, auth, private, ...).
			const schemas = await tx.query<{ name: string }>(
				`select nspname as name from pg_namespace
				 where nspname not like 'pg\\_%' and nspname <> 'information_schema'`
			);
			for (const { name } of schemas) {
				await tx.query(`drop schema ${quoteIdent(name)} cascade`);
			}
			await tx.exec(`create schema public; grant all on schema public to public;`);
		});
	} finally {
		await backend.close();
	}
}

function quoteIdent(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}
