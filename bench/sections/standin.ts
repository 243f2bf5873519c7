// The stand-in's RPC throughput on PGlite and on PostgreSQL: whoami and list_activities with a
// member's token, one client and ten concurrent clients, each for a few seconds on loopback.
import { accessToken, benchStandIn, errorText, fmt, median, ms, p99, rpc } from '../lib/common.ts';
import type { BenchStandIn, Context, SectionResult, Table } from '../lib/common.ts';

const EMPLOYEE = {
	userId: '00000000-0000-4000-8000-00000000e001',
	email: 'employee@union.example'
};

interface LoadResult {
	requests: number;
	errors: number;
	seconds: number;
	rps: number;
	p50: number;
	p99: number;
}

async function load(
	db: BenchStandIn,
	fn: string,
	token: string,
	concurrency: number,
	seconds: number
): Promise<LoadResult> {
	const latencies: number[] = [];
	let errors = 0;
	const deadline = performance.now() + seconds * 1000;
	const started = performance.now();
	const maxRequests = 20_000; // bounded whatever the speed
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (performance.now() < deadline && latencies.length + errors < maxRequests) {
				const t0 = performance.now();
				try {
					const response = await rpc(db.standIn, fn, {}, token);
					if (response.status !== 200) errors++;
					else latencies.push(performance.now() - t0);
				} catch {
					errors++;
				}
			}
		})
	);
	const elapsed = (performance.now() - started) / 1000;
	return {
		requests: latencies.length,
		errors,
		seconds: elapsed,
		rps: latencies.length / elapsed,
		p50: median(latencies),
		p99: p99(latencies)
	};
}

export async function standinSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const seconds = ctx.quick ? 2 : 4;
	const runs = ctx.quick ? 1 : Math.min(ctx.runs, 2);
	const token = await accessToken(EMPLOYEE.userId, EMPLOYEE.email);
	const table: Table = {
		caption: `${seconds} s per cell and run; medians over ${runs} run(s)`,
		head: ['database', 'RPC', 'clients', 'requests/s', 'p50', 'p99', 'errors'],
		rows: []
	};
	const data: Record<string, LoadResult[]> = {};
	const notes: string[] = [
		'The stand-in runs in its own Node process on a freshly seeded database (the demo union); the load generator is a fetch loop in the bench process, HTTP/1.1 keep-alive on loopback. Each request is a PostgREST-style RPC: JWT check, one transaction with the request GUCs, the call, the response GUCs.'
	];
	for (const kind of ['pglite', 'postgres'] as const) {
		let db: BenchStandIn | undefined;
		try {
			db = await benchStandIn(kind, ctx);
			// Warm-up (links the account to its roster entry, fills caches).
			for (let i = 0; i < 20; i++) await rpc(db.standIn, 'whoami', {}, token);
			for (const fn of ['whoami', 'list_activities']) {
				for (const concurrency of [1, 10]) {
					const list: LoadResult[] = [];
					for (let run = 0; run < runs; run++) {
						ctx.log(`standin ${kind}: ${fn} c=${concurrency} run ${run + 1}`);
						list.push(await load(db, fn, token, concurrency, seconds));
					}
					data[`${kind} ${fn} c=${concurrency}`] = list;
					table.rows.push([
						kind === 'postgres' ? 'PostgreSQL' : 'PGlite',
						fn,
						concurrency,
						fmt(median(list.map((r) => r.rps)), 0),
						ms(median(list.map((r) => r.p50))),
						ms(median(list.map((r) => r.p99))),
						list.reduce((n, r) => n + r.errors, 0)
					]);
				}
			}
		} catch (error) {
			notes.push(`${kind}: failed: ${errorText(error)}`);
		} finally {
			await db?.close();
		}
	}
	return {
		id: 'standin',
		title: 'Stand-in RPC throughput (PGlite and PostgreSQL)',
		status: table.rows.length > 0 ? 'measured' : 'failed',
		runs,
		notes,
		tables: [table],
		budgets: [],
		data
	};
}
