// Sign-up burst: 500 members sign up for an activity with 100 places at the same moment, through
// the stand-in's HTTP gateway on real PostgreSQL (PostgREST-style RPC, one transaction each), and
// the same burst straight to the database (no HTTP), so the report separates the database's
// share from the stand-in's. CPU time per sign-up of each process (stand-in, PostgreSQL backends,
// this load generator) comes from /proc when the server runs on this machine.
import { cpus } from 'node:os';
import postgres from 'postgres';
import { inlineParams } from '../../supabase/standin/backend.ts';
import {
	addMembers,
	benchStandIn,
	budget,
	databaseCpuMs,
	errorText,
	median,
	ms,
	ownCpuMs,
	p95,
	processCpuMs,
	rpc
} from '../lib/common.ts';
import type { Account, BenchStandIn, Context, SectionResult, Table } from '../lib/common.ts';

const MEMBERS = 500;
const PLACES = 100;
/** Connections of the database-only burst, as many as the stand-in's API pool (500 requests queue). */
const DIRECT_POOL = 10;
/** The database-only burst spread over this many activities: no row lock shared by all. */
const SPREAD = 50;

type Mode = 'http' | 'direct' | 'direct-spread';

const MODE_LABEL: Record<Mode, string> = {
	http: 'HTTP, stand-in',
	direct: 'database only',
	'direct-spread': `database only, ${SPREAD} activities`
};

interface Cpu {
	/** ms per sign-up; undefined when not measurable here. */
	standIn?: number;
	database?: number;
	client: number;
}

interface BurstResult {
	mode: Mode;
	run: number;
	wallMs: number;
	throughput: number;
	latencies: number[];
	outcomes: Record<string, number>;
	seatsTaken: number;
	registered: number;
	places: number;
	oversold: number;
	cpu: Cpu;
}

/** First-come activities open for sign-up, `places` in all; returns their ids. */
async function activities(
	db: BenchStandIn,
	label: string,
	count: number,
	places: number
): Promise<string[]> {
	const rows = await db.sql<{ id: string }>(
		`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at,
			signup_opens_at, signup_closes_at, capacity)
		select '压测报名 ' || $1 || '-' || g, 'sports', 'published', (select id from private.units where kind = 'union'),
			now() + interval '10 days', now() + interval '10 days 2 hours', now() - interval '1 hour',
			now() + interval '5 days', $2::int
		from generate_series(1, $3::int) g
		returning id`,
		[label, String(places / count), String(count)]
	);
	return rows.map((r) => r.id);
}

/** Measures `burst` with the CPU each process used during it. */
async function measured(
	db: BenchStandIn,
	burst: () => Promise<{ latencies: number[]; outcomes: Record<string, number> }>
): Promise<{ wallMs: number; latencies: number[]; outcomes: Record<string, number>; cpu: Cpu }> {
	const standIn0 = db.pid ? processCpuMs(db.pid) : undefined;
	const database0 = await databaseCpuMs(db);
	const client0 = ownCpuMs();
	const started = performance.now();
	const { latencies, outcomes } = await burst();
	const wallMs = performance.now() - started;
	const client = ownCpuMs() - client0;
	const standIn1 = db.pid ? processCpuMs(db.pid) : undefined;
	const database1 = await databaseCpuMs(db);
	const n = latencies.length;
	return {
		wallMs,
		latencies,
		outcomes,
		cpu: {
			client: client / n,
			...(standIn0 !== undefined && standIn1 !== undefined
				? { standIn: (standIn1 - standIn0) / n }
				: {}),
			...(database0 !== undefined && database1 !== undefined
				? { database: (database1 - database0) / n }
				: {})
		}
	};
}

async function check(
	db: BenchStandIn,
	ids: string[]
): Promise<{ seatsTaken: number; registered: number; oversold: number }> {
	const rows = await db.sql<{ seats: number; capacity: number; registered: string }>(
		`select a.seats_taken as seats, a.capacity,
			(select count(*)::text from private.registrations r where r.activity_id = a.id and r.status = 'registered') as registered
		from private.activities a where a.id = any ($1::uuid[])`,
		[`{${ids.join(',')}}`]
	);
	let seatsTaken = 0;
	let registered = 0;
	let oversold = 0;
	for (const row of rows) {
		seatsTaken += row.seats;
		registered += Number(row.registered);
		oversold += Math.max(0, Number(row.registered) - row.capacity, row.seats - row.capacity);
	}
	return { seatsTaken, registered, oversold };
}

async function tally(
	accounts: Account[],
	signUp: (account: Account, index: number) => Promise<string>
): Promise<{ latencies: number[]; outcomes: Record<string, number> }> {
	const latencies: number[] = [];
	const outcomes: Record<string, number> = {};
	await Promise.all(
		accounts.map(async (account, index) => {
			const t0 = performance.now();
			let outcome: string;
			try {
				outcome = await signUp(account, index);
			} catch (error) {
				outcome = `error: ${errorText(error)}`;
			}
			latencies.push(performance.now() - t0);
			outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
		})
	);
	return { latencies, outcomes };
}

/** One sign-up over HTTP, as supabase-js sends it; returns its outcome. */
async function httpSignUp(db: BenchStandIn, account: Account, activityId: string): Promise<string> {
	const response = await rpc(db.standIn, 'sign_up', { activity_id: activityId }, account.token);
	const body = response.body as { outcome?: string; code?: string } | null;
	return response.status === 200
		? (body?.outcome ?? 'ok')
		: `HTTP ${response.status} ${body?.code ?? ''}`.trim();
}

type Sql = ReturnType<typeof postgres>;

/**
 * One sign-up straight to the database, as the member: their JWT claims and the role set for
 * the transaction, then the call, in one round trip (a multi-statement query is one transaction,
 * committed by the server when the call returns), like the stand-in's RPC without HTTP.
 */
async function directSignUp(sql: Sql, account: Account, activityId: string): Promise<string> {
	const claims = JSON.stringify({
		sub: account.userId,
		email: account.email,
		role: 'authenticated',
		aud: 'authenticated'
	});
	const text = inlineParams(
		`select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true),
			set_config('search_path', 'public, extensions', true);
		select public.sign_up(activity_id => $2::uuid)::text as result`,
		[claims, activityId]
	);
	const results = (await sql.unsafe(text).simple()) as unknown as Array<Array<{ result: string }>>;
	const result = JSON.parse(results[1]![0]!.result) as { outcome?: string };
	return result.outcome ?? 'ok';
}

async function burst(
	db: BenchStandIn,
	sql: Sql,
	mode: Mode,
	accounts: Account[],
	run: number
): Promise<BurstResult> {
	const ids = await activities(db, `${mode}-${run}`, mode === 'direct-spread' ? SPREAD : 1, PLACES);
	const target = (index: number) => ids[index % ids.length]!;
	const result = await measured(db, () =>
		tally(accounts, (account, index) =>
			mode === 'http'
				? httpSignUp(db, account, target(index))
				: directSignUp(sql, account, target(index))
		)
	);
	return {
		mode,
		run,
		...result,
		throughput: accounts.length / (result.wallMs / 1000),
		places: PLACES,
		...(await check(db, ids))
	};
}

const perSignUp = (value: number | undefined) =>
	value === undefined ? '–' : `${value.toFixed(2)} ms`;

export async function signupSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const runs = ctx.runs;
	const db = await benchStandIn('postgres', ctx);
	const results: BurstResult[] = [];
	const serial: number[] = [];
	const serialDirect: number[] = [];
	let sql: Sql | undefined;
	try {
		if (!db.dbUrl) throw new Error('no database URL for the database-only burst');
		sql = postgres(db.dbUrl, { max: DIRECT_POOL, prepare: false, onnotice: () => undefined });
		const accounts = await addMembers(db, 'U', MEMBERS * (runs + 1));
		// Warm-up: a few sign-ups one at a time (also the time of one sign-up without queueing).
		const [warm, warmDirect] = await activities(db, 'warm-up', 2, 2000);
		const spare = accounts.slice(MEMBERS * runs, MEMBERS * runs + 50);
		for (const account of spare) {
			const t0 = performance.now();
			await httpSignUp(db, account, warm!);
			serial.push(performance.now() - t0);
		}
		await Promise.all(Array.from({ length: DIRECT_POOL }, () => sql!`select 1`));
		for (const account of spare) {
			const t0 = performance.now();
			await directSignUp(sql, account, warmDirect!);
			serialDirect.push(performance.now() - t0);
		}
		for (let run = 0; run < runs; run++) {
			const mine = accounts.slice(run * MEMBERS, (run + 1) * MEMBERS);
			for (const mode of ['http', 'direct', 'direct-spread'] as const) {
				ctx.log(`signup: ${mode} burst ${run + 1}/${runs}`);
				results.push(await burst(db, sql, mode, mine, run));
			}
		}
	} finally {
		await sql?.end({ timeout: 2 });
		await db.close();
	}

	const of = (mode: Mode) => results.filter((r) => r.mode === mode);
	const medianOf = (mode: Mode, pick: (r: BurstResult) => number | undefined) => {
		const values = of(mode)
			.map(pick)
			.filter((v): v is number => v !== undefined);
		return values.length > 0 ? median(values) : undefined;
	};
	const table: Table = {
		head: [
			'burst',
			'run',
			'wall time',
			'sign-ups/s',
			'p50',
			'p95',
			'max',
			'outcomes',
			'seats taken / places',
			'oversold',
			'CPU per sign-up: stand-in / PostgreSQL / load generator'
		],
		rows: []
	};
	for (const mode of ['http', 'direct', 'direct-spread'] as const) {
		for (const r of of(mode)) {
			table.rows.push([
				MODE_LABEL[mode],
				r.run + 1,
				ms(r.wallMs),
				Math.round(r.throughput),
				ms(median(r.latencies)),
				ms(p95(r.latencies)),
				ms(Math.max(...r.latencies)),
				Object.entries(r.outcomes)
					.map(([k, v]) => `${k}: ${v}`)
					.join(', '),
				`${r.seatsTaken} / ${r.places}`,
				r.oversold,
				[mode === 'http' ? r.cpu.standIn : undefined, r.cpu.database, r.cpu.client]
					.map(perSignUp)
					.join(' / ')
			]);
		}
		table.rows.push([
			MODE_LABEL[mode],
			'median',
			ms(medianOf(mode, (r) => r.wallMs) ?? Number.NaN),
			Math.round(medianOf(mode, (r) => r.throughput) ?? Number.NaN),
			ms(medianOf(mode, (r) => median(r.latencies)) ?? Number.NaN),
			ms(medianOf(mode, (r) => p95(r.latencies)) ?? Number.NaN),
			'',
			'',
			'',
			Math.max(...of(mode).map((r) => r.oversold)),
			[
				mode === 'http' ? medianOf(mode, (r) => r.cpu.standIn) : undefined,
				medianOf(mode, (r) => r.cpu.database),
				medianOf(mode, (r) => r.cpu.client)
			]
				.map(perSignUp)
				.join(' / ')
		]);
	}

	const cores = cpus().length;
	const httpP95 = medianOf('http', (r) => p95(r.latencies)) ?? Number.NaN;
	const directP95 = medianOf('direct', (r) => p95(r.latencies)) ?? Number.NaN;
	const spreadP95 = medianOf('direct-spread', (r) => p95(r.latencies)) ?? Number.NaN;
	const cpuHttp = {
		standIn: medianOf('http', (r) => r.cpu.standIn),
		database: medianOf('http', (r) => r.cpu.database),
		client: medianOf('http', (r) => r.cpu.client) ?? Number.NaN
	};
	const cpuDirect = {
		database: medianOf('direct', (r) => r.cpu.database),
		client: medianOf('direct', (r) => r.cpu.client) ?? Number.NaN
	};
	const oversold = Math.max(...results.map((r) => r.oversold));
	const notes = [
		`${MEMBERS} distinct roster members with linked accounts each sign up for a first-come activity with ${PLACES} places and the waitlist on, all at the same instant. Latency is per request, client side, loopback; p95 of ${MEMBERS} requests that start together is about the time the 475th one finishes, so it is set by throughput: ${MEMBERS} sign-ups ÷ sign-ups per second.`,
		`HTTP, stand-in: one \`sign_up\` RPC per member (HTTP POST with their own access token) to the stand-in, which runs in its own Node process (one thread) and sends each RPC to PostgreSQL as one multi-statement transaction (request GUCs, the call, a response-GUC check: one round trip, committed by the server).`,
		`Database only: the same sign-ups straight to PostgreSQL, without HTTP, from a pool of ${DIRECT_POOL} connections (the ${MEMBERS} requests queue for them): each is one round trip setting the member's JWT claims and the role \`authenticated\` for the transaction, then calling \`public.sign_up\`. "${MODE_LABEL['direct-spread']}": the same ${MEMBERS} sign-ups over ${SPREAD} activities of ${PLACES / SPREAD} places each (10 per activity), so no single row lock serialises them; the difference to one activity is what the activity's row lock costs.`,
		`One at a time (no queue), a sign-up takes ${ms(median(serial))} median, ${ms(p95(serial))} p95 over HTTP and ${ms(median(serialDirect))} median, ${ms(p95(serialDirect))} p95 straight to the database (${serial.length} calls each).`,
		`CPU per sign-up (medians of the runs): over HTTP the stand-in process used ${perSignUp(cpuHttp.standIn)}, the PostgreSQL backends ${perSignUp(cpuHttp.database)} and this load generator (${MEMBERS} fetches) ${perSignUp(cpuHttp.client)}; database only, PostgreSQL ${perSignUp(cpuDirect.database)} and the load generator ${perSignUp(cpuDirect.client)}. The machine has ${cores} cores, shared with whatever else runs (see the load averages).`
	];
	// The floor the CPU puts under the burst, from the measured CPU per sign-up.
	if (cpuHttp.standIn !== undefined && cpuHttp.database !== undefined) {
		const total = cpuHttp.standIn + cpuHttp.database + cpuHttp.client;
		const floorAll = (MEMBERS * total) / cores;
		const floorStandIn = MEMBERS * cpuHttp.standIn;
		notes.push(
			`Why the HTTP budget is out of reach here: ${MEMBERS} sign-ups need ${MEMBERS} × ${total.toFixed(2)} ms = ${(MEMBERS * total).toFixed(0)} ms of CPU in all, at least ${floorAll.toFixed(0)} ms of wall time on ${cores} cores even if nothing else ran and nothing ever waited; the stand-in alone, one Node thread, needs ${MEMBERS} × ${cpuHttp.standIn.toFixed(2)} ms = ${floorStandIn.toFixed(0)} ms (its ceiling: ${Math.round(1000 / cpuHttp.standIn)} requests/s). A p95 of 150 ms at ${MEMBERS} concurrent needs about ${MEMBERS} sign-ups in ~${(150 / 0.95).toFixed(0)} ms, i.e. at most ${((150 / 0.95) * (cores / MEMBERS)).toFixed(2)} ms of CPU per sign-up for all processes together on this machine.`
		);
	}
	if (cpuDirect.database !== undefined) {
		const total = cpuDirect.database + cpuDirect.client;
		notes.push(
			`Database only, the same floor: ${MEMBERS} × ${total.toFixed(2)} ms ÷ ${cores} cores = ${((MEMBERS * total) / cores).toFixed(0)} ms. The row lock: p95 ${ms(directP95)} on one activity against ${ms(spreadP95)} spread over ${SPREAD} activities${
				Number.isFinite(directP95) && Number.isFinite(spreadP95)
					? ` (${directP95 <= spreadP95 * 1.25 ? 'within 25 %: the lock is not what limits the burst, the CPU is' : 'the difference is the time sign-ups wait for the lock'})`
					: ''
			}.`
		);
	}
	return {
		id: 'signup',
		title: `Sign-up burst: ${MEMBERS} concurrent sign-ups for ${PLACES} places (PostgreSQL)`,
		status: 'measured',
		runs,
		notes,
		tables: [table],
		budgets: [
			budget('Sign-up p95 at 500 concurrent (median of runs)', httpP95, 150, ms),
			budget(
				'Sign-up p95 at 500 concurrent, database only (no HTTP), informational',
				directP95,
				150,
				ms,
				{ note: 'the share of the database; see the section for the split' }
			),
			budget('Oversold places', oversold, 0, (v) => String(v))
		],
		data: {
			results: results.map(({ latencies, ...r }) => ({
				...r,
				p50: median(latencies),
				p95: p95(latencies),
				max: Math.max(...latencies)
			})),
			serialMs: serial,
			serialDirectMs: serialDirect,
			cores
		}
	};
}
