// Report functions on a year of a 20,000-member union: 300 activities and 150,000 check-ins,
// generated with set-based SQL in a fresh PostgreSQL database, each report timed as the union
// office calls it (role authenticated, the office's JWT claims, one transaction like PostgREST).
import { join } from 'node:path';
import { createFreshDatabase } from '../../scripts/lib/postgres.ts';
import { openBackend, migrate } from '../../supabase/standin/index.ts';
import { DEFAULT_JWT_SECRET } from '../../supabase/standin/keys.ts';
import { ROOT, budget, errorText, median, ms, p95 } from '../lib/common.ts';
import type { Context, SectionResult, Table } from '../lib/common.ts';

const OFFICE = { sub: '00000000-0000-4000-8000-00000000e003', email: 'office@union.example' };
const MEMBERS = 20_000;
const ACTIVITIES = 300;
const CHECK_INS = 150_000;

/** The calls timed, by function name; `$year`, `$start` and `$end` are filled in. */
const CALLS: { fn: string; label: string; sql: string }[] = [
	{
		fn: 'report_participation',
		label: "report_participation(group_by 'total')",
		sql: `select count(*) from public.report_participation($start, $end, 'total')`
	},
	{
		fn: 'report_participation',
		label: "report_participation(group_by 'unit')",
		sql: `select count(*) from public.report_participation($start, $end, 'unit')`
	},
	{
		fn: 'report_participation',
		label: "report_participation(group_by 'category')",
		sql: `select count(*) from public.report_participation($start, $end, 'category')`
	},
	{
		fn: 'report_participation',
		label: "report_participation(group_by 'month')",
		sql: `select count(*) from public.report_participation($start, $end, 'month')`
	},
	{
		fn: 'report_participation',
		label: "report_participation(group_by 'activity')",
		sql: `select count(*) from public.report_participation($start, $end, 'activity')`
	},
	{
		fn: 'report_participation',
		label: "report_participation('unit', headcount_basis 'eligible')",
		sql: `select count(*) from public.report_participation($start, $end, 'unit', headcount_basis => 'eligible')`
	},
	{
		fn: 'report_drilldown',
		label: "report_drilldown('attendances', 'total', 5,000 rows)",
		sql: `select count(*) from public.report_drilldown($start, $end, 'attendances', 'total')`
	},
	{
		fn: 'report_drilldown',
		label: "report_drilldown('participants', 'total')",
		sql: `select count(*) from public.report_drilldown($start, $end, 'participants', 'total')`
	},
	{
		fn: 'report_summary_text',
		label: 'report_summary_text(year)',
		sql: `select length(public.report_summary_text($year))`
	}
];

const GENERATE = `
alter table private.registrations disable trigger registrations_count_seats;

insert into private.members (employee_no, name, gender, member_type, unit_id, active_from, active_until)
select 'Y' || lpad(g::text, 6, '0'), '成员' || g,
	case when g % 5 < 3 then 'female' else 'male' end,
	case when g % 20 = 0 then 'retired' when g % 7 = 0 then 'contract' else 'staff' end,
	(select id from private.units u where u.kind = 'group' order by u.code offset (g % (select count(*) from private.units where kind = 'group')) limit 1),
	current_date - 800 + (g % 300), case when g % 50 = 0 then current_date - (g % 200) end
from generate_series(1, ${MEMBERS} - (select count(*)::int from private.members)) g;

create temporary table bench_activities as
select gen_random_uuid() as id, g,
	(current_date - 364 + (g * 364 / ${ACTIVITIES}))::timestamp at time zone 'Asia/Shanghai' + interval '9 hours' as starts_at,
	case when g % 10 = 0 then 2 else 0 end as extra_days
from generate_series(1, ${ACTIVITIES}) g;

insert into private.activities (id, title, category, status, owner_unit_id, starts_at, ends_at, capacity,
	guests_max, eligible_genders)
select a.id, '活动 ' || a.g,
	(array['sports','health','women','skills','outing','care','culture','other'])[1 + a.g % 8],
	case when a.g % 37 = 0 then 'cancelled' else 'completed' end,
	(select id from private.units u where u.kind in ('union', 'branch') order by u.code offset (a.g % (select count(*) from private.units where kind in ('union', 'branch'))) limit 1),
	a.starts_at, a.starts_at + make_interval(days => a.extra_days, hours => 3), null,
	case when a.g % 4 = 0 then 2 else 0 end,
	case when a.g % 8 = 2 then array['female'] end
from bench_activities a;

-- About 600 admitted registrations per activity (180,000), members picked by a stride.
insert into private.registrations (activity_id, member_id, status, source, guest_names)
select a.id, m.id, 'registered', 'self', case when (a.g + m.n) % 9 = 0 then array['家属1'] else '{}' end
from bench_activities a
join lateral (
	select x.id, x.n from (select id, row_number() over (order by employee_no) as n from private.members) x
	where (x.n + a.g * 7) % 33 = 0
) m on true;

update private.activities a set seats_taken = s.seats
from (select activity_id, sum(1 + cardinality(guest_names))::int as seats from private.registrations
	where status = 'registered' group by activity_id) s
where s.activity_id = a.id;
alter table private.registrations enable trigger registrations_count_seats;

-- ${CHECK_INS} check-ins: the first registrations of each activity in a fixed order, on its first day.
insert into private.check_ins (id, activity_id, registration_id, member_id, day, kind, guests_checked_in,
	device_id, device_seq, server_time)
select gen_random_uuid(), r.activity_id, r.id, r.member_id,
	(act.starts_at at time zone 'Asia/Shanghai')::date + (r.k % (1 + act.extra_days))::int,
	case when r.k % 50 = 0 then 'manual' when r.k % 97 = 0 then 'paper' else 'scan' end,
	cardinality(r.guest_names), 'bench-gen', r.k, act.starts_at + interval '10 minutes'
from (
	select reg.*, row_number() over (order by md5(reg.id::text)) as k from private.registrations reg
) r
join bench_activities act on act.id = r.activity_id
where r.k <= ${CHECK_INS};

analyze;
`;

export async function reportsSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const database = await createFreshDatabase(await ctx.postgresUrl(), 'union_bench_reports');
	const backend = await openBackend({ kind: 'postgres', url: database.url });
	try {
		await migrate(backend, {
			migrationsDir: join(ROOT, 'supabase', 'migrations'),
			seedFile: join(ROOT, 'supabase', 'seed.sql'),
			jwtSecret: DEFAULT_JWT_SECRET
		});
		const functions = (
			await backend.transaction((tx) =>
				tx.query<{ name: string }>(
					`select distinct p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
					where n.nspname = 'public' and p.proname like 'report%' order by 1`
				)
			)
		).map((r) => r.name);
		if (functions.length === 0) {
			return {
				id: 'reports',
				title: 'Report functions on a year of a 20,000-member union',
				status: 'not measured',
				runs: 0,
				notes: ['Pending: no `public.report_*` function exists in the database yet.'],
				tables: [],
				budgets: [budget('Each report', Number.NaN, 300, ms)],
				data: {}
			};
		}
		ctx.log('reports: generating 20,000 members, 300 activities, 150,000 check-ins');
		const generateStarted = performance.now();
		await backend.exec(GENERATE);
		const generateMs = performance.now() - generateStarted;
		const [counts] = await backend.transaction((tx) =>
			tx.query<Record<string, string>>(
				`select (select count(*) from private.members)::text as members,
					(select count(*) from private.activities)::text as activities,
					(select count(*) from private.registrations)::text as registrations,
					(select count(*) from private.check_ins)::text as check_ins,
					(select count(*) from private.units)::text as units`
			)
		);
		const year = new Date().getFullYear();
		const start = new Date(Date.now() - 364 * 86_400_000).toISOString().slice(0, 10);
		const end = new Date().toISOString().slice(0, 10);
		const runs = Math.max(3, ctx.runs + 2);
		const rows: Table['rows'] = [];
		const timings: Record<string, number[]> = {};
		const medians: number[] = [];
		const failures: string[] = [];
		for (const call of CALLS.filter((c) => functions.includes(c.fn))) {
			const text = call.sql
				.replaceAll('$start', `'${start}'::date`)
				.replaceAll('$end', `'${end}'::date`)
				.replaceAll('$year', String(year));
			const times: number[] = [];
			let result = '';
			let failure: string | undefined;
			for (let run = 0; run <= runs && failure === undefined; run++) {
				const t0 = performance.now();
				const elapsed = await backend
					.transaction(
						async (tx) => {
							await tx.query(
								`select set_config('request.jwt.claims', $1, true), set_config('search_path', 'public, extensions', true)`,
								[JSON.stringify({ ...OFFICE, role: 'authenticated', aud: 'authenticated' })]
							);
							await tx.query('set local role authenticated');
							const t0 = performance.now();
							const out = await tx.query(text);
							const t = performance.now() - t0;
							result = String(Object.values(out[0] ?? {})[0]);
							return t;
						},
						{ readOnly: true, api: true }
					)
					.catch((error: unknown) => {
						failure = `${errorText(error)} after ${ms(performance.now() - t0)}`;
						return Number.NaN;
					});
				if (run > 0 && Number.isFinite(elapsed)) times.push(elapsed); // the first is a warm-up
			}
			timings[call.label] = times;
			if (failure !== undefined) {
				failures.push(`${call.label}: ${failure}`);
				medians.push(Number.POSITIVE_INFINITY);
				rows.push([call.label, 'failed', '', '', failure, times.length, '✗']);
				continue;
			}
			medians.push(median(times));
			rows.push([
				call.label,
				ms(median(times)),
				ms(p95(times)),
				ms(Math.min(...times)),
				result,
				times.length,
				median(times) <= 300 ? '✓' : '✗'
			]);
		}
		const untimed = functions.filter((f) => !CALLS.some((c) => c.fn === f));
		const worst = Math.max(...medians);
		const worstText = Number.isFinite(worst) ? worst : Number.NaN;
		return {
			id: 'reports',
			title: 'Report functions on a year of a 20,000-member union',
			status: 'measured',
			runs,
			notes: [
				`Generated in ${(generateMs / 1000).toFixed(1)} s (set-based SQL): ${counts!.members} members in ${counts!.units} units, ${counts!.activities} activities over the last 365 days (a tenth of them three days long, some cancelled, some women-only), ${counts!.registrations} admitted registrations and ${counts!.check_ins} check-ins. Period ${start} – ${end}; summary text for ${year}.`,
				'Each call runs as the union office (role authenticated with its JWT claims, a read-only transaction as PostgREST opens it); time = the call statement alone, median of the runs after one warm-up; "result" is the row count (or text length).',
				...failures.map((f) => `Failed: ${f}`),
				...(untimed.length > 0
					? [`Report functions present but not timed by the bench: ${untimed.join(', ')}.`]
					: [])
			],
			tables: [{ head: ['call', 'median', 'p95', 'min', 'result', 'runs', '≤ 300 ms'], rows }],
			budgets: [
				failures.length > 0
					? {
							name: 'Each report ≤ 300 ms (slowest median)',
							limit: '≤ 300 ms',
							measured: `${failures.length} call(s) failed (statement timeout of the authenticated role)`,
							pass: false
						}
					: budget('Each report ≤ 300 ms (slowest median)', worstText, 300, ms)
			],
			data: { counts, generateMs, timings, functions }
		};
	} finally {
		await backend.close();
		await database.drop();
	}
}
