// Outbox replay: check-ins queued on phones reaching the server. The app's own Flusher (batching,
// ordering, settling) and its supabase-js transport send them to the real apply_actions RPC of a
// stand-in; the outbox store is an in-memory stand-in for IndexedDB.
import { uuidv7 } from 'uuidv7';
import { Flusher } from '../../src/lib/offline/flusher.ts';
import { supabaseTransport } from '../../src/lib/offline/transport.ts';
import type { Outbox } from '../../src/lib/offline/outbox-store.ts';
import type { OutboxRow } from '../../src/lib/domain/outbox.ts';
import { MAX_BATCH_SIZE } from '../../src/lib/domain/outbox.ts';
import {
	accessToken,
	addMembers,
	benchStandIn,
	budget,
	databaseCpuMs,
	errorText,
	median,
	ms,
	ownCpuMs,
	processCpuMs
} from '../lib/common.ts';
import type { BenchStandIn, Context, SectionResult, Table } from '../lib/common.ts';

const OFFICE = { userId: '00000000-0000-4000-8000-00000000e003', email: 'office@union.example' };

interface Phone {
	userId: string;
	token: string;
	deviceId: string;
	rows: OutboxRow[];
}

/**
 * An activity held today with `count` admitted registrations; returns its id, the ticket secrets
 * and today in the union's time zone (the activity-day the scanner sends).
 */
async function activityWithTickets(
	db: BenchStandIn,
	prefix: string,
	count: number
): Promise<{ activityId: string; tickets: string[]; day: string }> {
	const [activity] = await db.sql<{ id: string }>(
		`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at)
		values ('压测签到 ' || $1, 'sports', 'published', (select id from private.units where kind = 'union'),
			now() - interval '30 minutes', now() + interval '3 hours')
		returning id`,
		[prefix]
	);
	const activityId = activity!.id;
	const tickets = await db.sql<{ ticket_secret: string }>(
		`insert into private.registrations (activity_id, member_id, status, source)
		select $1::uuid, m.id, 'registered', 'self'
		from private.members m where m.employee_no like 'BR%' order by m.employee_no limit $2::int
		returning ticket_secret`,
		[activityId, String(count)]
	);
	const [today] = await db.sql<{ day: string }>(
		`select (now() at time zone (select s.time_zone from private.union_settings s))::date::text as day`
	);
	return { activityId, tickets: tickets.map((t) => t.ticket_secret), day: today!.day };
}

function queue(
	userId: string,
	deviceId: string,
	activity: { activityId: string; day: string },
	tickets: string[]
): OutboxRow[] {
	const now = Date.now();
	const { activityId, day } = activity;
	return tickets.map((ticket, i) => {
		const row = {
			id: uuidv7(),
			v: 1,
			seq: i + 1,
			kind: 'check_in',
			// As the scanner queues a scan (src/lib/scanner/scanner.svelte.ts).
			payload: { activity_id: activityId, ticket, day, guests: 0 },
			userId,
			deviceId,
			clientAt: new Date(now - (tickets.length - i) * 1000).toISOString(),
			activityId,
			status: 'pending',
			attempts: 0,
			failures: 0,
			nextAttemptAt: 0,
			createdAt: now,
			updatedAt: now
		};
		// check_in is a kind the outbox integration adds; the flusher sends any kind as is.
		return row as unknown as OutboxRow;
	});
}

/** Flushes every phone's queue at once with the app's Flusher; returns time and request counts. */
async function replay(db: BenchStandIn, phones: Phone[]): Promise<ReplayResult> {
	let requests = 0;
	const latencies: number[] = [];
	const countingFetch: typeof fetch = async (input, init) => {
		requests++;
		const started = performance.now();
		const response = await fetch(input, init);
		await response.clone().arrayBuffer();
		latencies.push(performance.now() - started);
		return response;
	};
	const flushers = phones.map((phone) => {
		const store = new Map(phone.rows.map((row) => [row.id, row]));
		const outbox = {
			rows: async (userId: string) => [...store.values()].filter((r) => r.userId === userId),
			save: async (rows: OutboxRow[]) => {
				for (const row of rows) store.set(row.id, row);
			}
		} as unknown as Outbox;
		const flusher = new Flusher({
			outbox,
			transport: supabaseTransport(db.standIn.url, db.standIn.anonKey, { fetch: countingFetch }),
			auth: {
				current: async () => ({ status: 'ok', userId: phone.userId, accessToken: phone.token }),
				refresh: async () => 'refused'
			},
			lock: {
				tryRun: async (fn) => {
					await fn();
					return 'ran';
				},
				runExclusive: (fn) => fn()
			},
			pendingPollMs: 3_600_000
		});
		return { flusher, store, phone };
	});
	const standIn0 = db.pid ? processCpuMs(db.pid) : undefined;
	const database0 = db.kind === 'postgres' ? await databaseCpuMs(db) : undefined;
	const client0 = ownCpuMs();
	const started = performance.now();
	await Promise.all(flushers.map(({ flusher, phone }) => flusher.start(phone.userId)));
	const elapsed = performance.now() - started;
	const clientCpuMs = ownCpuMs() - client0;
	const standIn1 = db.pid ? processCpuMs(db.pid) : undefined;
	const database1 = db.kind === 'postgres' ? await databaseCpuMs(db) : undefined;
	let acked = 0;
	let rejected = 0;
	let pending = 0;
	for (const { flusher, store } of flushers) {
		flusher.stop();
		for (const row of store.values()) {
			if (row.status === 'acked') acked++;
			else if (row.status === 'rejected') rejected++;
			else pending++;
		}
	}
	return {
		ms: elapsed,
		requests,
		acked,
		rejected,
		pending,
		requestMs: latencies.map((x) => Math.round(x * 10) / 10),
		cpu: {
			client: clientCpuMs,
			...(standIn0 !== undefined && standIn1 !== undefined ? { standIn: standIn1 - standIn0 } : {}),
			...(database0 !== undefined && database1 !== undefined
				? { database: database1 - database0 }
				: {})
		}
	};
}

interface ReplayResult {
	ms: number;
	requests: number;
	acked: number;
	rejected: number;
	pending: number;
	/** Each request's time, in the order they were sent. */
	requestMs: number[];
	/** CPU ms used during the replay: stand-in process (PGlite included), PostgreSQL, this process. */
	cpu: { standIn?: number; database?: number; client: number };
}

interface LaneResult {
	one: ReplayResult[];
	five: ReplayResult[];
	serverCheckIns: number[];
}

async function lane(kind: 'pglite' | 'postgres', ctx: Context, runs: number): Promise<LaneResult> {
	const db = await benchStandIn(kind, ctx);
	try {
		await addMembers(db, 'R', 2000);
		const staff = await addMembers(db, 'S', 5);
		const office = { ...OFFICE, token: await accessToken(OFFICE.userId, OFFICE.email) };
		const result: LaneResult = { one: [], five: [], serverCheckIns: [] };
		for (let run = 0; run < runs; run++) {
			ctx.log(`outbox ${kind}: run ${run + 1}/${runs}`);
			// One phone, 1,000 check-ins (the union office's organizer phone).
			const a = await activityWithTickets(db, `1-${run}`, 1000);
			const one = await replay(db, [
				{
					userId: office.userId,
					token: office.token,
					deviceId: `bench-phone-${run}`,
					rows: queue(office.userId, `bench-phone-${run}`, a, a.tickets)
				}
			]);
			result.one.push(one);
			// Five check-in staff phones, 400 each, at once on one activity.
			const b = await activityWithTickets(db, `5-${run}`, 2000);
			await db.sql(
				`insert into private.staff_roles (member_id, role, activity_id)
				select m.id, 'checkin_staff', $1::uuid from private.members m where m.employee_no like 'BS%'`,
				[b.activityId]
			);
			const five = await replay(
				db,
				staff.map((s, i) => ({
					userId: s.userId,
					token: s.token,
					deviceId: `bench-gate-${run}-${i}`,
					rows: queue(
						s.userId,
						`bench-gate-${run}-${i}`,
						b,
						b.tickets.slice(i * 400, (i + 1) * 400)
					)
				}))
			);
			result.five.push(five);
			const [count] = await db.sql<{ n: string }>(
				`select count(*)::text as n from private.check_ins where activity_id in ($1::uuid, $2::uuid)`,
				[a.activityId, b.activityId]
			);
			result.serverCheckIns.push(Number(count!.n));
		}
		return result;
	} finally {
		await db.close();
	}
}

function cpuMedian(list: ReplayResult[], pick: (r: ReplayResult) => number | undefined): string {
	const values = list.map(pick).filter((v): v is number => v !== undefined);
	return values.length > 0 ? ms(median(values)) : '–';
}

export async function outboxSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const runs = ctx.runs;
	const lanes: Partial<Record<'postgres' | 'pglite', LaneResult>> = {};
	const notes: string[] = [
		`The app's Flusher (src/lib/offline/flusher.ts) with its supabase-js transport sends the queued check-in actions to apply_actions of a stand-in on loopback: one activity's batch at a time, in sequence order, at most ${MAX_BATCH_SIZE} actions per request (the batch size doubles back to the maximum after each good answer, and starts there). The outbox store is in memory instead of IndexedDB.`,
		'Each run uses a new activity held today with admitted registrations; every action is a ticket scan (`check_in` with the ticket secret, the day and the guests, as the scanner queues it), applied for real (check_ins rows, ledger rows).',
		'CPU: what each process used during the replay, from /proc: the stand-in (its own Node process; on PGlite the database runs inside it), the PostgreSQL backends of the bench database, and this process, which plays the phones (the Flusher, supabase-js, fetch).'
	];
	for (const kind of ['postgres', 'pglite'] as const) {
		try {
			lanes[kind] = await lane(kind, ctx, kind === 'pglite' ? 1 : runs);
		} catch (error) {
			notes.push(`${kind}: failed: ${errorText(error)}`);
			ctx.log(`outbox ${kind} failed: ${errorText(error)}`);
		}
	}
	const table: Table = {
		caption: 'Median over runs (all runs listed in report.json)',
		head: [
			'database',
			'scenario',
			'time (median)',
			'requests',
			'acked / rejected / pending',
			'actions/s',
			'runs',
			'CPU: stand-in / PostgreSQL / phones (Flusher)'
		],
		rows: []
	};
	for (const kind of ['postgres', 'pglite'] as const) {
		const r = lanes[kind];
		if (!r) continue;
		for (const [label, list, total] of [
			['1 phone × 1,000', r.one, 1000],
			['5 phones × 400 at once', r.five, 2000]
		] as const) {
			const t = median(list.map((x) => x.ms));
			const last = list[list.length - 1]!;
			table.rows.push([
				kind === 'postgres' ? 'PostgreSQL' : 'PGlite',
				label,
				ms(t),
				median(list.map((x) => x.requests)),
				`${last.acked} / ${last.rejected} / ${last.pending}`,
				Math.round(total / (t / 1000)),
				list.length,
				[
					cpuMedian(list, (x) => x.cpu.standIn),
					cpuMedian(list, (x) => x.cpu.database),
					cpuMedian(list, (x) => x.cpu.client)
				].join(' / ')
			]);
		}
	}
	const pg = lanes.postgres;
	const oneMs = pg ? median(pg.one.map((x) => x.ms)) : Number.NaN;
	const allAcked = pg
		? pg.one.every((x) => x.acked === 1000) && pg.five.every((x) => x.acked === 2000)
		: false;
	if (pg && !allAcked) notes.push('Not every action was acked on PostgreSQL: see report.json.');
	return {
		id: 'outbox',
		title: 'Outbox replay (check-ins queued offline reaching the server)',
		status: pg ? 'measured' : 'failed',
		runs,
		notes,
		tables: [table],
		budgets: [
			budget('1,000 queued check-ins synced (PostgreSQL, one phone)', oneMs, 3000, ms),
			budget(
				'5 phones × 400 at once (PostgreSQL), informational, same 3 s scale',
				pg ? median(pg.five.map((x) => x.ms)) : Number.NaN,
				3000,
				ms,
				{ note: 'no budget in the issue; shown against the single-phone one' }
			)
		],
		data: { lanes }
	};
}
