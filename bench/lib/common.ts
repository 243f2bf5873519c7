// Shared pieces of `npm run bench`: result types, statistics, and the loopback services the
// sections run against (a throwaway PostgreSQL cluster, stand-ins on PGlite or PostgreSQL).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startThrowawayCluster, createFreshDatabase } from '../../scripts/lib/postgres.ts';
import type { Cluster } from '../../scripts/lib/postgres.ts';
import { startStandIn } from '../../supabase/standin/index.ts';
import type { StandIn } from '../../supabase/standin/index.ts';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/keys.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const TMP = join(ROOT, 'bench', 'tmp');

export interface Table {
	caption?: string;
	head: string[];
	rows: (string | number)[][];
}

export interface Budget {
	name: string;
	limit: string;
	measured: string;
	/** null: not measured. */
	pass: boolean | null;
	note?: string;
}

export interface SectionResult {
	id: string;
	title: string;
	status: 'measured' | 'partial' | 'not measured' | 'failed';
	/** How many runs the medians are over. */
	runs: number;
	notes: string[];
	tables: Table[];
	budgets: Budget[];
	data: Record<string, unknown>;
	seconds: number;
}

export interface Context {
	quick: boolean;
	runs: number;
	/** A PostgreSQL server URL (admin), started on first use. */
	postgresUrl(): Promise<string>;
	log: (message: string) => void;
}

export type Section = (ctx: Context) => Promise<Omit<SectionResult, 'seconds'>>;

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

export function quantile(values: readonly number[], q: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	// Nearest rank, so p95 of 20 values is the 19th.
	const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
	return sorted[rank - 1]!;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const p95 = (values: readonly number[]): number => quantile(values, 0.95);
export const p99 = (values: readonly number[]): number => quantile(values, 0.99);

export function fmt(value: number, digits = 1): string {
	if (!Number.isFinite(value)) return '–';
	if (Math.abs(value) >= 100) return value.toFixed(0);
	return value.toFixed(digits);
}

export function ms(value: number): string {
	return Number.isFinite(value) ? `${fmt(value, value < 10 ? 2 : 1)} ms` : '–';
}

export function pct(value: number): string {
	return Number.isFinite(value) ? `${(value * 100).toFixed(0)} %` : '–';
}

export function ratio(value: number): string {
	return Number.isFinite(value) ? `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}×` : '–';
}

export function kb(bytes: number): string {
	return `${(bytes / 1024).toFixed(1)} KB`;
}

/** A budget line from a measured value and a limit (value <= limit passes unless `atLeast`). */
export function budget(
	name: string,
	value: number,
	limit: number,
	unit: (v: number) => string,
	options: { atLeast?: boolean; note?: string } = {}
): Budget {
	const measured = Number.isFinite(value) ? unit(value) : 'not measured';
	const pass = Number.isFinite(value) ? (options.atLeast ? value >= limit : value <= limit) : null;
	return {
		name,
		limit: `${options.atLeast ? '≥' : '≤'} ${unit(limit)}`,
		measured,
		pass,
		...(options.note ? { note: options.note } : {})
	};
}

export function errorText(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

/** The PostgreSQL server of the run: given (--pg-url), or a throwaway cluster started once. */
export function postgresProvider(
	given: string | undefined,
	log: (m: string) => void
): {
	url(): Promise<string>;
	stop(): void;
} {
	let cluster: Cluster | undefined;
	let starting: Promise<string> | undefined;
	return {
		url() {
			if (given) return Promise.resolve(given);
			starting ??= (async () => {
				const started = await startThrowawayCluster();
				if ('reason' in started) throw new Error(`no PostgreSQL: ${started.reason}`);
				cluster = started;
				log(`throwaway PostgreSQL cluster on port ${started.port}`);
				return started.url;
			})();
			return starting;
		},
		stop() {
			cluster?.stop();
		}
	};
}

/** What the sections use of a stand-in: its URL and anon key. */
export interface StandInHandle {
	url: string;
	anonKey: string;
}

export interface BenchStandIn {
	standIn: StandInHandle;
	kind: 'pglite' | 'postgres';
	/** The stand-in's own process, when it runs in a child process. */
	pid?: number;
	/** PostgreSQL: the URL of the bench database (as its owner). */
	dbUrl?: string;
	/** Runs SQL as the database owner. */
	sql<R = Record<string, unknown>>(text: string, params?: (string | null)[]): Promise<R[]>;
	close(): Promise<void>;
}

/**
 * A stand-in on a fresh, seeded database (PGlite in memory, or a new database on the server),
 * in its own process (the default, so load generators don't share its event loop) or in this one.
 */
export async function benchStandIn(
	kind: 'pglite' | 'postgres',
	ctx: Context,
	options: { seed?: boolean; inProcess?: boolean } = {}
): Promise<BenchStandIn> {
	let drop: (() => Promise<void>) | undefined;
	let standIn: StandIn;
	const seedFile = options.seed === false ? null : undefined;
	let dbUrl = '';
	if (kind === 'postgres') {
		const database = await createFreshDatabase(await ctx.postgresUrl(), 'union_bench');
		drop = () => database.drop();
		dbUrl = database.url;
	}
	if (!options.inProcess) {
		try {
			return {
				...(await childStandIn(kind, dbUrl, options.seed !== false, drop)),
				...(dbUrl ? { dbUrl } : {})
			};
		} catch (error) {
			await drop?.();
			throw error;
		}
	}
	if (kind === 'postgres') {
		try {
			standIn = await startStandIn({
				backend: { kind: 'postgres', url: dbUrl },
				port: 0,
				seedFile
			});
		} catch (error) {
			await drop?.();
			throw error;
		}
	} else {
		standIn = await startStandIn({ backend: { kind: 'pglite' }, port: 0, seedFile });
	}
	return {
		standIn,
		kind,
		...(dbUrl ? { dbUrl } : {}),
		sql: (text, params) => standIn.backend.transaction((tx) => tx.query(text, params)),
		async close() {
			await standIn.stop();
			await drop?.();
		}
	};
}

async function childStandIn(
	kind: 'pglite' | 'postgres',
	dbUrl: string,
	seed: boolean,
	drop: (() => Promise<void>) | undefined
): Promise<BenchStandIn> {
	const child = fork(
		join(import.meta.dirname, 'standin-child.ts'),
		[kind, dbUrl, seed ? 'seed' : 'no-seed'],
		{
			stdio: ['ignore', 'ignore', 'inherit', 'ipc']
		}
	);
	type Reply = { id?: number; rows?: unknown[]; error?: string; ready?: StandInHandle };
	const waiting = new Map<
		number,
		{ resolve: (rows: unknown[]) => void; reject: (e: Error) => void }
	>();
	let nextId = 1;
	const ready = new Promise<StandInHandle>((resolve, reject) => {
		child.once('exit', (code) => {
			reject(new Error(`stand-in process exited (${String(code)})`));
		});
		child.on('message', (message: Reply) => {
			if (message.ready) {
				resolve(message.ready);
				return;
			}
			const pending = message.id === undefined ? undefined : waiting.get(message.id);
			if (!pending) return;
			waiting.delete(message.id!);
			if (message.error !== undefined) pending.reject(new Error(message.error));
			else pending.resolve(message.rows ?? []);
		});
	});
	const call = (request: Record<string, unknown>): Promise<unknown[]> =>
		new Promise((resolve, reject) => {
			const id = nextId++;
			waiting.set(id, { resolve, reject });
			child.send({ id, ...request });
		});
	let handle: StandInHandle;
	try {
		handle = await ready;
	} catch (error) {
		child.kill();
		throw error;
	}
	return {
		standIn: handle,
		kind,
		...(child.pid ? { pid: child.pid } : {}),
		sql: async <R>(text: string, params?: (string | null)[]) =>
			(await call({ sql: text, params })) as R[],
		async close() {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			await call({ stop: true }).catch(() => undefined);
			await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
			if (child.exitCode === null) child.kill('SIGKILL');
			await drop?.();
		}
	};
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux; undefined
 * elsewhere or when the process is gone). Clock ticks are taken as 100 per second (USER_HZ).
 */
export function processCpuMs(pid: number): number | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return (Number(fields[11]) + Number(fields[12])) * 10;
	} catch {
		return undefined;
	}
}

/** CPU time of the PostgreSQL backends connected to the bench database so far, in ms. */
export async function databaseCpuMs(db: BenchStandIn): Promise<number | undefined> {
	const rows = await db.sql<{ pid: number }>(
		'select pid from pg_stat_activity where datname = current_database()'
	);
	let total = 0;
	for (const row of rows) {
		// Only when the server runs on this machine: the pid must be a local postgres process.
		let command: string;
		try {
			command = readFileSync(`/proc/${row.pid}/cmdline`, 'utf8');
		} catch {
			return undefined;
		}
		if (!command.startsWith('postgres')) return undefined;
		const used = processCpuMs(row.pid);
		if (used === undefined) return undefined;
		total += used;
	}
	return total;
}

/** This process's CPU time so far, in ms. */
export function ownCpuMs(): number {
	const used = process.cpuUsage();
	return (used.user + used.system) / 1000;
}

export interface Account {
	userId: string;
	memberId: string;
	email: string;
	token: string;
}

/** A user access token as GoTrue would sign it (one hour). */
export function accessToken(userId: string, email: string): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return signJwt(
		{
			sub: userId,
			email,
			role: 'authenticated',
			aud: 'authenticated',
			iat: now,
			exp: now + 3600,
			session_id: crypto.randomUUID()
		},
		DEFAULT_JWT_SECRET
	);
}

/**
 * Adds `count` roster members under one group unit (employee numbers B<prefix>00001…), each
 * with a confirmed account linked to it, and returns them with tokens.
 */
export async function addMembers(
	db: BenchStandIn,
	prefix: string,
	count: number
): Promise<Account[]> {
	await db.sql(
		`insert into private.members (employee_no, name, gender, member_type, unit_id, email, active_from)
		select 'B' || $1 || lpad(g::text, 5, '0'), '压测' || $1 || g, case when g % 2 = 0 then 'female' else 'male' end,
			'staff', (select id from private.units where kind = 'group' order by code limit 1),
			'bench-' || lower($1) || '-' || g || '@union.example', current_date - 400
		from generate_series(1, $2::int) g`,
		[prefix, String(count)]
	);
	await db.sql(
		`insert into auth.users (id, email, email_confirmed_at, aud, role)
		select gen_random_uuid(), m.email, now(), 'authenticated', 'authenticated'
		from private.members m where m.employee_no like 'B' || $1 || '%'`,
		[prefix]
	);
	const rows = await db.sql<{ user_id: string; member_id: string; email: string }>(
		`update private.members m set user_id = u.id from auth.users u
		where u.email = m.email and m.employee_no like 'B' || $1 || '%'
		returning u.id as user_id, m.id as member_id, m.email`,
		[prefix]
	);
	return Promise.all(
		rows.map(async (r) => ({
			userId: r.user_id,
			memberId: r.member_id,
			email: r.email,
			token: await accessToken(r.user_id, r.email)
		}))
	);
}

/** An RPC straight over HTTP, as supabase-js sends it (POST, JSON body). */
export async function rpc(
	standIn: StandInHandle,
	fn: string,
	args: Record<string, unknown>,
	token?: string
): Promise<{ status: number; body: unknown }> {
	const response = await fetch(`${standIn.url}/rest/v1/rpc/${fn}`, {
		method: 'POST',
		headers: {
			apikey: standIn.anonKey,
			authorization: `Bearer ${token ?? standIn.anonKey}`,
			'content-type': 'application/json'
		},
		body: JSON.stringify(args)
	});
	const text = await response.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// keep the text
	}
	return { status: response.status, body };
}

/** Chromium flags for the bench's headless browsers (see STACK-NOTES). */
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--disable-dev-shm-usage'
];

export const CHROMIUM_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
