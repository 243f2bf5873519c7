// Sign-up burst: 500 members sign up for an activity with 100 places at the same moment, through
// the stand-in's HTTP gateway on real PostgreSQL (PostgREST-style RPC, one transaction each).
import {
	addMembers,
	benchStandIn,
	budget,
	errorText,
	median,
	ms,
	p95,
	rpc
} from '../lib/common.ts';
import type { Account, BenchStandIn, Context, SectionResult, Table } from '../lib/common.ts';

const MEMBERS = 500;
const PLACES = 100;

interface BurstResult {
	wallMs: number;
	throughput: number;
	latencies: number[];
	outcomes: Record<string, number>;
	seatsTaken: number;
	registered: number;
	oversold: number;
}

async function burst(db: BenchStandIn, accounts: Account[], run: number): Promise<BurstResult> {
	const [activity] = await db.sql<{ id: string }>(
		`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at,
			signup_opens_at, signup_closes_at, capacity)
		values ('压测报名 ' || $1, 'sports', 'published', (select id from private.units where kind = 'union'),
			now() + interval '10 days', now() + interval '10 days 2 hours', now() - interval '1 hour',
			now() + interval '5 days', $2::int)
		returning id`,
		[String(run), String(PLACES)]
	);
	const activityId = activity!.id;
	const latencies: number[] = [];
	const outcomes: Record<string, number> = {};
	const started = performance.now();
	await Promise.all(
		accounts.map(async (account) => {
			const t0 = performance.now();
			let outcome: string;
			try {
				const response = await rpc(
					db.standIn,
					'sign_up',
					{ activity_id: activityId },
					account.token
				);
				const body = response.body as { outcome?: string; code?: string } | null;
				outcome =
					response.status === 200
						? (body?.outcome ?? 'ok')
						: `HTTP ${response.status} ${body?.code ?? ''}`.trim();
			} catch (error) {
				outcome = `error: ${errorText(error)}`;
			}
			latencies.push(performance.now() - t0);
			outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
		})
	);
	const wallMs = performance.now() - started;
	const [check] = await db.sql<{ seats: number; registered: string; capacity: number }>(
		`select a.seats_taken as seats, a.capacity,
			(select count(*)::text from private.registrations r where r.activity_id = a.id and r.status = 'registered') as registered
		from private.activities a where a.id = $1::uuid`,
		[activityId]
	);
	const registered = Number(check!.registered);
	return {
		wallMs,
		throughput: accounts.length / (wallMs / 1000),
		latencies,
		outcomes,
		seatsTaken: check!.seats,
		registered,
		oversold: Math.max(0, registered - PLACES, check!.seats - PLACES)
	};
}

export async function signupSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const runs = ctx.runs;
	const db = await benchStandIn('postgres', ctx);
	const results: BurstResult[] = [];
	const serial: number[] = [];
	try {
		const accounts = await addMembers(db, 'U', MEMBERS * (runs + 1));
		// Warm-up: a few sign-ups one at a time (also the service time without queueing).
		const [warm] = await db.sql<{ id: string }>(
			`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at, capacity)
			values ('warm-up', 'sports', 'published', (select id from private.units where kind = 'union'),
				now() + interval '10 days', now() + interval '10 days 2 hours', 1000) returning id`
		);
		for (const account of accounts.slice(MEMBERS * runs, MEMBERS * runs + 50)) {
			const t0 = performance.now();
			await rpc(db.standIn, 'sign_up', { activity_id: warm!.id }, account.token);
			serial.push(performance.now() - t0);
		}
		for (let run = 0; run < runs; run++) {
			ctx.log(`signup: burst ${run + 1}/${runs}`);
			results.push(await burst(db, accounts.slice(run * MEMBERS, (run + 1) * MEMBERS), run));
		}
	} finally {
		await db.close();
	}
	const all = results.flatMap((r) => r.latencies);
	const perRunP95 = results.map((r) => p95(r.latencies));
	const table: Table = {
		head: [
			'run',
			'wall time',
			'sign-ups/s',
			'p50',
			'p95',
			'max',
			'outcomes',
			'seats taken / places',
			'oversold'
		],
		rows: results.map((r, i) => [
			i + 1,
			ms(r.wallMs),
			Math.round(r.throughput),
			ms(median(r.latencies)),
			ms(p95(r.latencies)),
			ms(Math.max(...r.latencies)),
			Object.entries(r.outcomes)
				.map(([k, v]) => `${k}: ${v}`)
				.join(', '),
			`${r.seatsTaken} / ${PLACES}`,
			r.oversold
		])
	};
	table.rows.push([
		'median',
		ms(median(results.map((r) => r.wallMs))),
		Math.round(median(results.map((r) => r.throughput))),
		ms(median(results.map((r) => median(r.latencies)))),
		ms(median(perRunP95)),
		'',
		'',
		'',
		Math.max(...results.map((r) => r.oversold))
	]);
	const oversold = Math.max(...results.map((r) => r.oversold));
	return {
		id: 'signup',
		title: `Sign-up burst: ${MEMBERS} concurrent sign-ups for ${PLACES} places (PostgreSQL)`,
		status: 'measured',
		runs,
		notes: [
			`${MEMBERS} distinct roster members with linked accounts each send one \`sign_up\` RPC (HTTP POST with their own access token) to the stand-in at the same instant; a first-come activity with ${PLACES} places and the waitlist on. Latency is per request, client side, loopback.`,
			`One at a time (no queue), a sign-up takes ${ms(median(serial))} median, ${ms(p95(serial))} p95 (${serial.length} calls): a burst of ${MEMBERS} on one activity queues behind the activity's row lock, so its p95 is about 0.95 × ${MEMBERS} × the per-sign-up time under the lock.`
		],
		tables: [table],
		budgets: [
			budget('Sign-up p95 at 500 concurrent (median of runs)', median(perRunP95), 150, ms),
			budget('Oversold places', oversold, 0, (v) => String(v))
		],
		data: {
			results: results.map(({ latencies: _l, ...r }) => r),
			serialMs: serial,
			allP95: p95(all)
		}
	};
}
