// A real PostgreSQL server for tests and for `npm start --db-url`: find the server binaries, run a
// throwaway cluster on a loopback port, and create and drop fresh databases on a server.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { capture } from './proc.ts';
import { freePort } from './net.ts';

/** Where initdb/pg_ctl live, or a sentence saying why none was found. */
export function findPostgresBinDir(): { dir: string } | { reason: string } {
	const candidates: string[] = [];
	const fromPgConfig = capture('pg_config', ['--bindir']);
	if (fromPgConfig) candidates.push(fromPgConfig);
	const debianRoot = '/usr/lib/postgresql';
	if (existsSync(debianRoot)) {
		const versions = readdirSync(debianRoot)
			.filter((name) => /^\d+$/.test(name))
			.sort((a, b) => Number(b) - Number(a));
		for (const version of versions) candidates.push(join(debianRoot, version, 'bin'));
	}
	for (const dir of ['/usr/local/pgsql/bin', '/opt/homebrew/bin', '/usr/local/bin', '/usr/bin']) {
		candidates.push(dir);
	}
	for (const dir of candidates) {
		if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return { dir };
	}
	return {
		reason:
			'no PostgreSQL server binaries (initdb, pg_ctl) found via `pg_config --bindir`, ' +
			'/usr/lib/postgresql/*/bin or /usr/local/pgsql/bin; install PostgreSQL ' +
			'(Debian: apt-get install postgresql) or set UNION_TEST_PG_URL'
	};
}

export interface Cluster {
	/** postgres://postgres@127.0.0.1:PORT/postgres, trust authentication, loopback only */
	url: string;
	port: number;
	dataDir: string;
	stop(): void;
}

function userIds(name: string): { uid: number; gid: number } | undefined {
	const uid = capture('id', ['-u', name]);
	const gid = capture('id', ['-g', name]);
	if (uid === undefined || gid === undefined) return undefined;
	return { uid: Number(uid), gid: Number(gid) };
}

/**
 * initdb refuses to run as root: as root, the cluster runs as the `postgres` OS user (Debian's
 * package creates it) through runuser; otherwise as the current user.
 */
function asClusterUser():
	| {
			wrap: (cmd: string, args: string[]) => [string, string[]];
			owner?: { uid: number; gid: number };
	  }
	| { reason: string } {
	if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
	const owner = userIds('postgres');
	if (!owner) {
		return { reason: 'running as root and there is no `postgres` OS user to run the server' };
	}
	const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((path) =>
		existsSync(path)
	);
	if (runuser)
		return { owner, wrap: (cmd, args) => [runuser, ['-u', 'postgres', '--', cmd, ...args]] };
	return { reason: 'running as root and runuser is missing' };
}

/**
 * Starts a throwaway cluster in a temp dir, tuned for tests (no fsync). Returns it, or a reason
 * why it could not start. stop() is synchronous so it can run from exit handlers.
 */
export async function startThrowawayCluster(): Promise<Cluster | { reason: string }> {
	const bin = findPostgresBinDir();
	if ('reason' in bin) return bin;
	const user = asClusterUser();
	if ('reason' in user) return user;

	const dataDir = mkdtempSync(join(tmpdir(), 'union-pg-'));
	if (user.owner) {
		chownSync(dataDir, user.owner.uid, user.owner.gid);
		chmodSync(dataDir, 0o700);
	}
	const exec = (cmd: string, args: string[]) => {
		const [command, argv] = user.wrap(join(bin.dir, cmd), args);
		return spawnSync(command, argv, { encoding: 'utf8', cwd: tmpdir() });
	};
	const fail = (what: string, result: ReturnType<typeof exec>) => {
		rmSync(dataDir, { recursive: true, force: true });
		return {
			reason: `${what} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`
		};
	};

	const pgdata = join(dataDir, 'data');
	const init = exec('initdb', [
		'-D',
		pgdata,
		'-A',
		'trust',
		'-U',
		'postgres',
		'-E',
		'UTF8',
		'--locale=C',
		'--no-sync'
	]);
	if (init.status !== 0) return fail('initdb', init);

	let lastFailure: ReturnType<typeof exec> | undefined;
	for (let attempt = 0; attempt < 3; attempt++) {
		const port = await freePort();
		const options = [
			`-p ${port}`,
			`-k ${dataDir}`,
			'-c listen_addresses=127.0.0.1',
			'-c fsync=off',
			'-c synchronous_commit=off',
			'-c full_page_writes=off',
			'-c max_connections=200'
		].join(' ');
		const start = exec('pg_ctl', [
			'-D',
			pgdata,
			'-o',
			options,
			'-l',
			join(dataDir, 'server.log'),
			'-w',
			'-t',
			'60',
			'start'
		]);
		if (start.status === 0) {
			let stopped = false;
			return {
				url: `postgres://postgres@127.0.0.1:${port}/postgres`,
				port,
				dataDir,
				stop() {
					if (stopped) return;
					stopped = true;
					exec('pg_ctl', ['-D', pgdata, '-m', 'immediate', '-w', 'stop']);
					rmSync(dataDir, { recursive: true, force: true });
				}
			};
		}
		lastFailure = start;
	}
	return fail('pg_ctl start', lastFailure!);
}

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
	const parsed = new URL(url);
	parsed.pathname = `/${database}`;
	return parsed.toString();
}

export interface FreshDatabase {
	url: string;
	name: string;
	drop(): Promise<void>;
}

/** Creates an empty database on the server `adminUrl` points at (any database there will do). */
export async function createFreshDatabase(
	adminUrl: string,
	prefix = 'union_test'
): Promise<FreshDatabase> {
	const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
	try {
		await admin.unsafe(`create database "${name}"`);
	} finally {
		await admin.end();
	}
	return {
		url: withDatabase(adminUrl, name),
		name,
		async drop() {
			const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
			try {
				await sql.unsafe(`drop database if exists "${name}" with (force)`);
			} finally {
				await sql.end();
			}
		}
	};
}
