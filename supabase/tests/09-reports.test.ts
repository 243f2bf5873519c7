// Participation figures (docs/figures.md): a generated year in a fresh database, every figure of
// report_participation checked against an independent calculation written here in TypeScript
// from the raw rows (not the same SQL); scoping of organizers; drill-down; the summary paragraph.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Tx } from '../standin/backend.ts';
import {
	asOwner,
	callApi,
	demo,
	DEMO_ACCOUNTS,
	lanes,
	type Caller,
	type SeededDatabase
} from './support.ts';

const TZ = 'Asia/Shanghai';
const YEAR = 2031;

interface UnitRow {
	id: string;
	code: string;
	parent_id: string | null;
	ancestors: string[];
}
interface MemberRow {
	id: string;
	unit_id: string;
	gender: string;
	member_type: string;
	active_from: string;
	active_until: string | null;
}
interface ActivityRow {
	id: string;
	title: string;
	category: string;
	status: string;
	starts_at: string;
	ends_at: string;
	eligible_genders: string[] | null;
	eligible_member_types: string[] | null;
	eligible_unit_ids: string[] | null;
}
interface SessionRow {
	id: string;
	activity_id: string;
	starts_at: string;
	ends_at: string;
}
interface RegistrationRow {
	id: string;
	activity_id: string;
	member_id: string;
	session_id: string | null;
	status: string;
}
interface CheckInRow {
	id: string;
	activity_id: string;
	member_id: string | null;
	day: string;
	kind: string;
	guests_checked_in: number;
	undoes: string[];
}
interface ReviewRow {
	check_in_id: string;
	decision: string;
	decided_at: string;
}
interface Raw {
	units: UnitRow[];
	members: MemberRow[];
	activities: ActivityRow[];
	sessions: SessionRow[];
	registrations: RegistrationRow[];
	checkIns: CheckInRow[];
	reviews: ReviewRow[];
}

interface Figures {
	activities: number;
	attendances: number;
	participants: number;
	guest_attendances: number;
	registrations_admitted: number;
	admitted_days: number;
	headcount: number;
}

interface ReportRow extends Figures {
	group_key: string;
	group_label: string;
	show_up_rate: number | null;
	participation_rate: number | null;
	prev_activities: number;
	prev_attendances: number;
	prev_participants: number;
	prev_guest_attendances: number;
	prev_registrations_admitted: number;
	prev_admitted_days: number;
	prev_headcount: number;
	prev_show_up_rate: number | null;
	prev_participation_rate: number | null;
}

type GroupBy = 'total' | 'unit' | 'category' | 'month' | 'activity' | 'activity_title';

// ---------------------------------------------------------------------------------------------
// The independent calculation
// ---------------------------------------------------------------------------------------------

const dayFormat = new Intl.DateTimeFormat('en-CA', {
	timeZone: TZ,
	year: 'numeric',
	month: '2-digit',
	day: '2-digit'
});
const localDay = (timestamp: string): string => dayFormat.format(new Date(timestamp));

function addDays(day: string, n: number): string {
	const d = new Date(`${day}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + n);
	return d.toISOString().slice(0, 10);
}

function daysBetween(first: string, last: string): string[] {
	const days: string[] = [];
	for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
	return days;
}

function lastDayOfMonth(month: string): string {
	const [y, m] = month.split('-').map(Number) as [number, number];
	return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function minusYear(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	const last = new Date(Date.UTC(y - 1, m, 0)).getUTCDate();
	return `${String(y - 1)}-${String(m).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

function expectedFigures(
	raw: Raw,
	start: string,
	end: string,
	groupBy: GroupBy,
	roots: string[],
	basis: 'unit' | 'eligible',
	categories: string[] | null = null
): Map<string, Figures> {
	const unitById = new Map(raw.units.map((u) => [u.id, u]));
	const inScope = (unitId: string) =>
		(unitById.get(unitId)?.ancestors ?? []).some((a) => roots.includes(a));
	const scopeUnits = raw.units.filter((u) => inScope(u.id));
	const population = raw.members.filter((m) => inScope(m.unit_id));
	const popById = new Map(population.map((m) => [m.id, m]));

	// Held activities and their days inside the period.
	const actDays = new Map<string, string[]>();
	const held = raw.activities.filter((a) => {
		if (a.status === 'draft' || a.status === 'cancelled') return false;
		if (categories && !categories.includes(a.category)) return false;
		const days = daysBetween(localDay(a.starts_at), localDay(a.ends_at)).filter(
			(d) => d >= start && d <= end
		);
		if (days.length === 0) return false;
		actDays.set(a.id, days);
		return true;
	});
	const heldById = new Map(held.map((a) => [a.id, a]));
	const keyOf = (a: ActivityRow, day: string): string => {
		switch (groupBy) {
			case 'category':
				return a.category;
			case 'month':
				return day.slice(0, 7);
			case 'activity':
				return a.id;
			case 'activity_title':
				return a.title;
			default:
				return '';
		}
	};

	// Counting check-ins.
	const undone = new Set<string>();
	for (const c of raw.checkIns)
		if (c.kind === 'undo') for (const id of c.undoes) undone.add(`${c.activity_id}|${id}`);
	const reviewsByCheckIn = new Map<string, ReviewRow[]>();
	for (const r of raw.reviews) {
		const list = reviewsByCheckIn.get(r.check_in_id) ?? [];
		list.push(r);
		reviewsByCheckIn.set(r.check_in_id, list);
	}
	const reversed = (id: string): boolean => {
		const list = reviewsByCheckIn.get(id);
		if (!list) return false;
		const latest = Math.max(...list.map((r) => Date.parse(r.decided_at)));
		return list.some((r) => Date.parse(r.decided_at) === latest && r.decision === 'reversed');
	};
	const attendance = new Map<
		string,
		{ activity: ActivityRow; day: string; member: MemberRow; guests: number }
	>();
	for (const c of raw.checkIns) {
		if (!['scan', 'manual', 'walk_in', 'paper'].includes(c.kind) || c.member_id === null) continue;
		const activity = heldById.get(c.activity_id);
		if (!activity || !(actDays.get(activity.id) ?? []).includes(c.day)) continue;
		if (undone.has(`${c.activity_id}|${c.id}`) || reversed(c.id)) continue;
		const member = popById.get(c.member_id);
		if (!member) continue;
		const k = `${c.activity_id}|${c.day}|${c.member_id}`;
		const prev = attendance.get(k);
		attendance.set(k, {
			activity,
			day: c.day,
			member,
			guests: Math.max(prev?.guests ?? 0, c.guests_checked_in)
		});
	}

	// Admitted registration-days.
	const sessionById = new Map(raw.sessions.map((s) => [s.id, s]));
	const regDays: { key: string; reg: RegistrationRow; member: MemberRow }[] = [];
	for (const r of raw.registrations) {
		const activity = heldById.get(r.activity_id);
		const member = popById.get(r.member_id);
		if (r.status !== 'registered' || !activity || !member) continue;
		let days = actDays.get(activity.id) ?? [];
		if (r.session_id) {
			const s = sessionById.get(r.session_id);
			if (!s) continue;
			const first = localDay(s.starts_at);
			const last = localDay(s.ends_at);
			days = days.filter((d) => d >= first && d <= last);
		}
		for (const d of days) regDays.push({ key: keyOf(activity, d), reg: r, member });
	}

	// Rows and their headcount day.
	const keys = new Map<string, string>();
	if (groupBy === 'total' || groupBy === 'unit') keys.set('', end);
	if (groupBy === 'month') {
		for (let m = start.slice(0, 7); m <= end.slice(0, 7); m = addDays(`${m}-28`, 7).slice(0, 7)) {
			const last = lastDayOfMonth(m);
			keys.set(m, last < end ? last : end);
		}
	}
	for (const a of held) {
		if (groupBy === 'category') keys.set(a.category, end);
		if (groupBy === 'activity') keys.set(a.id, end);
		if (groupBy === 'activity_title') keys.set(a.title, end);
	}
	const activitiesOfKey = (key: string) =>
		held.filter(
			(a) =>
				groupBy === 'total' ||
				groupBy === 'unit' ||
				(actDays.get(a.id) ?? []).some((d) => keyOf(a, d) === key)
		);
	const eligible = (m: MemberRow, a: ActivityRow) =>
		(!a.eligible_genders || a.eligible_genders.includes(m.gender)) &&
		(!a.eligible_member_types || a.eligible_member_types.includes(m.member_type)) &&
		(!a.eligible_unit_ids ||
			(unitById.get(m.unit_id)?.ancestors ?? []).some((x) => a.eligible_unit_ids?.includes(x)));

	// Targets: the units of the scope (unit grouping, rolled up) or the keys.
	const targets: { target: string; key: string; members: (m: MemberRow) => boolean }[] =
		groupBy === 'unit'
			? scopeUnits.map((u) => ({
					target: u.id,
					key: '',
					members: (m: MemberRow) => (unitById.get(m.unit_id)?.ancestors ?? []).includes(u.id)
				}))
			: [...keys.keys()].map((k) => ({ target: k, key: k, members: () => true }));

	const result = new Map<string, Figures>();
	for (const { target, key, members } of targets) {
		const atts = [...attendance.values()].filter(
			(t) => keyOf(t.activity, t.day) === key && members(t.member)
		);
		const regs = regDays.filter((r) => r.key === key && members(r.member));
		const endDay = keys.get(key) ?? end;
		const keyActs = activitiesOfKey(key);
		const headcount = population.filter(
			(m) =>
				members(m) &&
				m.active_from <= endDay &&
				(m.active_until === null || endDay < m.active_until) &&
				(basis === 'unit' || keyActs.some((a) => eligible(m, a)))
		).length;
		result.set(target, {
			activities: new Set([
				...atts.map((t) => t.activity.id),
				...regs.map((r) => r.reg.activity_id)
			]).size,
			attendances: atts.length,
			participants: new Set(atts.map((t) => t.member.id)).size,
			guest_attendances: atts.reduce((sum, t) => sum + t.guests, 0),
			registrations_admitted: new Set(regs.map((r) => r.reg.id)).size,
			admitted_days: regs.length,
			headcount
		});
	}
	return result;
}

/** The raw rows the independent calculation works from. */
async function readRaw(tx: Tx): Promise<Raw> {
	return {
		units: await tx.query<UnitRow>('select id, code, parent_id, ancestors from private.units'),
		members: await tx.query<MemberRow>(
			`select id, unit_id, gender, member_type, active_from::text, active_until::text from private.members`
		),
		activities: await tx.query<ActivityRow>(
			`select id, title, category, status, starts_at::text, ends_at::text, eligible_genders,
				eligible_member_types, eligible_unit_ids from private.activities`
		),
		sessions: await tx.query<SessionRow>(
			'select id, activity_id, starts_at::text, ends_at::text from private.sessions'
		),
		registrations: await tx.query<RegistrationRow>(
			'select id, activity_id, member_id, session_id, status from private.registrations'
		),
		checkIns: await tx.query<CheckInRow>(
			`select id, activity_id, member_id, day::text, kind, guests_checked_in, undoes from private.check_ins`
		),
		reviews: await tx.query<ReviewRow>(
			`select check_in_id, decision, decided_at::text from private.check_in_reviews`
		)
	};
}

/**
 * How far the tables the reports read (20261123000910_report_speed.sql) are from a recomputation:
 * attendances missing or extra against the log (undo and review applied), attendances whose
 * derived columns (valid, category, previous days) differ from private.attendances_chains(), and
 * admitted-registration counts that differ from the registrations. All zero when current.
 */
async function driftOf(tx: Tx): Promise<Record<string, number>> {
	const [row] = await tx.query<Record<string, number>>(`
		with expected as (
			select c.activity_id, c.day, c.member_id, m.unit_id, max(c.guests_checked_in) as guests,
				bool_and(c.kind = 'paper') as paper_only
			from private.check_ins c
			join private.members m on m.id = c.member_id
			where c.kind in ('scan', 'manual', 'walk_in', 'paper')
				and not exists (
					select 1 from private.check_ins u
					where u.kind = 'undo' and u.activity_id = c.activity_id and c.id = any (u.undoes)
				)
				and not exists (
					select 1 from private.check_in_reviews r
					where r.check_in_id = c.id and r.decision = 'reversed'
						and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
				)
			group by c.activity_id, c.day, c.member_id, m.unit_id
		),
		actual as (
			select t.activity_id, t.day, t.member_id, t.unit_id, t.guests, t.paper_only from private.attendances t
		),
		admitted as (
			select r.activity_id, r.session_id, m.unit_id, count(*)::integer as registrations
			from private.registrations r join private.members m on m.id = r.member_id
			where r.status = 'registered'
			group by r.activity_id, r.session_id, m.unit_id
		),
		counted as (
			select a.activity_id, a.session_id, a.unit_id, a.registrations
			from private.report_admissions a where a.registrations <> 0
		)
		select
			(select count(*) from (select * from expected except select * from actual) x)::int as missing,
			(select count(*) from (select * from actual except select * from expected) x)::int as extra,
			(select count(*) from (
				select t.activity_id, t.day, t.member_id, t.category, t.valid, t.prev_day, t.prev_cat_day
				from private.attendances t
				except select * from private.attendances_chains()
			) x)::int as chains,
			(select count(*) from (
				(select * from admitted except select * from counted)
				union all
				(select * from counted except select * from admitted)
			) x)::int as admissions`);
	return row ?? {};
}

const rate = (numerator: number, denominator: number): number | null =>
	denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : null;

// ---------------------------------------------------------------------------------------------
// The generated year
// ---------------------------------------------------------------------------------------------

function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Shanghai local time → ISO timestamp. */
const local = (day: string, time: string) => `${day}T${time}:00+08:00`;

describe.each(lanes())('reports on $name', (lane) => {
	let db: SeededDatabase;
	let raw: Raw;
	let unionId: string;
	const office = demo('office');
	const organizer = demo('organizer'); // organizer of U03 (nursing)
	const employee = demo('employee');

	async function report(
		caller: Caller,
		args: {
			start: string;
			end: string;
			groupBy: string;
			unitId?: string | null;
			categories?: string[] | null;
			basis?: string;
		}
	) {
		return callApi<ReportRow[]>(
			db.backend,
			caller,
			`select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as result
			from public.report_participation($1::date, $2::date, $3, $4::uuid,
				case when $5::text is null then null else array(select jsonb_array_elements_text($5::text::jsonb)) end, $6) r`,
			[
				args.start,
				args.end,
				args.groupBy,
				args.unitId ?? null,
				args.categories ? JSON.stringify(args.categories) : null,
				args.basis ?? 'unit'
			]
		);
	}

	beforeAll(async () => {
		db = await lane.open();
		const rand = prng(2031);
		const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)] as T;

		await asOwner(db.backend, async (tx) => {
			const units = await tx.query<UnitRow>(
				'select id, code, parent_id, ancestors from private.units order by code'
			);
			// Members sit in units without sub-units (groups, and branches without groups).
			const leaves = units.filter((u) => !units.some((c) => c.parent_id === u.id));
			unionId = units.find((u) => u.parent_id === null)?.id ?? '';

			// Members joining and leaving during both years.
			const members: { id: string }[] = [];
			for (let i = 0; i < 150; i += 1) {
				const from = addDays('2029-06-01', Math.floor(rand() * 1000));
				const leaves_ = rand() < 0.25;
				const until = leaves_ ? addDays(from, 30 + Math.floor(rand() * 500)) : null;
				const [row] = await tx.query<{ id: string }>(
					`insert into private.members (employee_no, name, gender, member_type, unit_id, active_from, active_until)
					values ($1, $2, $3, $4, $5::uuid, $6::date, $7::date) returning id`,
					[
						`R${String(9000 + i)}`,
						`测试${String(i)}`,
						rand() < 0.5 ? 'female' : 'male',
						pick(['staff', 'staff', 'contract', 'retired']),
						pick(leaves).id,
						from,
						until
					]
				);
				if (row) members.push(row);
			}

			// Activities of both years.
			const categories = ['sports', 'health', 'women', 'skills', 'outing', 'care', 'culture'];
			const titles = [
				'拔河',
				'羽毛球',
				'健康讲座',
				'体检',
				'一日游',
				'读书会',
				'技能竞赛',
				'运动会'
			];
			for (const year of [YEAR - 1, YEAR]) {
				const specs: {
					title: string;
					category: string;
					status: string;
					start: string;
					end: string;
					sessions?: [string, string][];
					eligible?: string;
				}[] = [];
				titles.forEach((title, i) => {
					const day = `${String(year)}-${String(1 + ((i * 3 + (year % 2)) % 12)).padStart(2, '0')}-${String(5 + i).padStart(2, '0')}`;
					specs.push({
						title,
						category: categories[i % categories.length] ?? 'other',
						status: i % 3 === 0 ? 'closed' : 'completed',
						start: local(day, '09:00'),
						end: local(day, '11:00'),
						eligible: i === 2 ? 'female' : i === 6 ? 'staff' : i === 4 ? 'unit' : undefined
					});
				});
				// A three-day sports meet across a month boundary.
				specs.push({
					title: '职工运动会（三天）',
					category: 'sports',
					status: 'completed',
					start: local(`${String(year)}-05-30`, '08:00'),
					end: local(`${String(year)}-06-01`, '17:00')
				});
				// Checkup by sessions on two days.
				specs.push({
					title: '分场次体检',
					category: 'health',
					status: 'completed',
					start: local(`${String(year)}-09-14`, '07:30'),
					end: local(`${String(year)}-09-15`, '11:00'),
					sessions: [
						[local(`${String(year)}-09-14`, '07:30'), local(`${String(year)}-09-14`, '11:00')],
						[local(`${String(year)}-09-15`, '07:30'), local(`${String(year)}-09-15`, '11:00')]
					]
				});
				// Late evening on New Year's Eve in Shanghai: the UTC date is still the 31st, the
				// next morning's activity is the next year's (time zone days).
				specs.push({
					title: '跨年晚会',
					category: 'culture',
					status: 'completed',
					start: local(`${String(year)}-12-31`, '20:00'),
					end: local(`${String(year)}-12-31`, '23:30')
				});
				specs.push({
					title: '取消的活动',
					category: 'outing',
					status: 'cancelled',
					start: local(`${String(year)}-04-20`, '09:00'),
					end: local(`${String(year)}-04-20`, '12:00')
				});
				specs.push({
					title: '草稿活动',
					category: 'other',
					status: 'draft',
					start: local(`${String(year)}-10-20`, '09:00'),
					end: local(`${String(year)}-10-20`, '12:00')
				});

				for (const spec of specs) {
					const [activity] = await tx.query<{ id: string }>(
						`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at,
							guests_max, eligible_genders, eligible_member_types, eligible_unit_ids)
						values ($1, $2, $3, $4::uuid, $5::timestamptz, $6::timestamptz, 2,
							case when $7 = 'female' then array['female'] end,
							case when $7 = 'staff' then array['staff'] end,
							case when $7 = 'unit' then (select array[id] from private.units where code = 'U01') end)
						returning id`,
						[
							spec.title,
							spec.category,
							spec.status,
							unionId,
							spec.start,
							spec.end,
							spec.eligible ?? ''
						]
					);
					const activityId = activity?.id ?? '';
					const sessionIds: string[] = [];
					for (const [s, e] of spec.sessions ?? []) {
						const [session] = await tx.query<{ id: string }>(
							`insert into private.sessions (activity_id, starts_at, ends_at) values ($1::uuid, $2::timestamptz, $3::timestamptz) returning id`,
							[activityId, s, e]
						);
						sessionIds.push(session?.id ?? '');
					}
					const days = daysBetween(localDay(spec.start), localDay(spec.end));
					const chosen = members.filter(() => rand() < 0.4);
					for (const member of chosen) {
						const status = pick([
							'registered',
							'registered',
							'registered',
							'registered',
							'cancelled',
							'waitlisted',
							'pending_approval'
						]);
						const guests = Math.floor(rand() * 3);
						const sessionId = sessionIds.length ? pick(sessionIds) : null;
						const [registration] = await tx.query<{ id: string }>(
							`insert into private.registrations (activity_id, member_id, status, guest_names, session_id)
							values ($1::uuid, $2::uuid, $3, array(select jsonb_array_elements_text($4::text::jsonb)), $5::uuid) returning id`,
							[
								activityId,
								member.id,
								status,
								JSON.stringify(Array.from({ length: guests }, (_, g) => `家属${String(g + 1)}`)),
								sessionId
							]
						);
						const sessionDay = sessionId
							? localDay((spec.sessions ?? [])[sessionIds.indexOf(sessionId)]?.[0] ?? spec.start)
							: null;
						for (const day of days) {
							if (sessionDay && day !== sessionDay) continue;
							const present = status === 'registered' ? rand() < 0.8 : rand() < 0.1;
							if (!present) {
								// Some absentees were on the paper sheet (补录).
								if (status === 'registered' && rand() < 0.2) {
									await insertCheckIn(tx, activityId, registration?.id, member.id, day, 'paper', 0);
								}
								continue;
							}
							const first = await insertCheckIn(
								tx,
								activityId,
								registration?.id,
								member.id,
								day,
								pick(['scan', 'scan', 'manual', 'walk_in']),
								Math.min(guests, Math.floor(rand() * 3))
							);
							const roll = rand();
							if (roll < 0.15) {
								// A duplicate scan on another phone, maybe with other guests.
								await insertCheckIn(
									tx,
									activityId,
									registration?.id,
									member.id,
									day,
									'scan',
									guests
								);
							} else if (roll < 0.25) {
								// Undone by mistake-correction: no longer counts.
								await insertUndo(tx, activityId, day, [first]);
							} else if (roll < 0.3) {
								// Reversed on review.
								await tx.query(
									`insert into private.check_in_reviews (check_in_id, decision, decided_at) values ($1::uuid, 'reversed', now())`,
									[first]
								);
							} else if (roll < 0.33) {
								// Reversed, then confirmed later: counts again.
								await tx.query(
									`insert into private.check_in_reviews (check_in_id, decision, decided_at)
									values ($1::uuid, 'reversed', now() - interval '1 hour'), ($1::uuid, 'confirmed', now())`,
									[first]
								);
							} else if (roll < 0.36) {
								// Duplicate, then one of the two undone: still counts once.
								const second = await insertCheckIn(
									tx,
									activityId,
									registration?.id,
									member.id,
									day,
									'scan',
									0
								);
								await insertUndo(tx, activityId, day, [second]);
							}
						}
					}
					// A provisional check-in (unknown ticket): no member, never counts.
					await tx.query(
						`insert into private.check_ins (id, activity_id, day, kind, device_id, device_seq, flags)
						values ($1::uuid, $2::uuid, $3::date, 'provisional', 'phone', 1, array['provisional'])`,
						[randomUUID(), activityId, days[0] ?? null]
					);
				}
			}
		});

		raw = await asOwner(db.backend, readRaw);
	});

	afterAll(async () => {
		await db.close();
	});

	let seq = 0;
	async function insertCheckIn(
		tx: Tx,
		activityId: string,
		registrationId: string | undefined,
		memberId: string,
		day: string,
		kind: string,
		guests: number
	): Promise<string> {
		const id = randomUUID();
		seq += 1;
		await tx.query(
			`insert into private.check_ins (id, activity_id, registration_id, member_id, day, kind,
				guests_checked_in, device_id, device_seq, flags)
			values ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::date, $6::text, $7::int, 'phone', $8::bigint,
				case when $6::text = 'paper' then array['paper'] else '{}' end)`,
			[id, activityId, registrationId ?? null, memberId, day, kind, String(guests), String(seq)]
		);
		return id;
	}

	async function insertUndo(tx: Tx, activityId: string, day: string, targets: string[]) {
		seq += 1;
		await tx.query(
			`insert into private.check_ins (id, activity_id, day, kind, undoes, device_id, device_seq)
			values ($1::uuid, $2::uuid, $3::date, 'undo', array(select jsonb_array_elements_text($4::text::jsonb)::uuid), 'phone', $5::bigint)`,
			[randomUUID(), activityId, day, JSON.stringify(targets), String(seq)]
		);
	}

	const periods = [
		{ start: `${String(YEAR)}-01-01`, end: `${String(YEAR)}-12-31` },
		{ start: `${String(YEAR)}-05-15`, end: `${String(YEAR)}-09-14` }
	];

	for (const groupBy of ['total', 'unit', 'category', 'month', 'activity'] as const) {
		for (const basis of ['unit', 'eligible'] as const) {
			test(`every figure by ${groupBy} (headcount basis ${basis}) matches the independent calculation`, async () => {
				for (const period of periods) {
					const outcome = await report(office, { ...period, groupBy, basis });
					if (!outcome.ok) throw new Error(outcome.code);
					const rows = outcome.value;
					const expected = expectedFigures(
						raw,
						period.start,
						period.end,
						groupBy,
						[unionId],
						basis
					);
					const previous = expectedFigures(
						raw,
						minusYear(period.start),
						minusYear(period.end),
						groupBy === 'activity' ? 'activity_title' : groupBy,
						[unionId],
						basis
					);
					expect(rows.map((r) => r.group_key).sort()).toEqual([...expected.keys()].sort());
					for (const row of rows) {
						const want = expected.get(row.group_key);
						const prevKey =
							groupBy === 'month'
								? `${String(Number(row.group_key.slice(0, 4)) - 1)}${row.group_key.slice(4)}`
								: groupBy === 'activity'
									? row.group_label
									: row.group_key;
						const prev = previous.get(prevKey);
						const zero = {
							activities: 0,
							attendances: 0,
							participants: 0,
							guest_attendances: 0,
							registrations_admitted: 0,
							admitted_days: 0,
							headcount: 0
						};
						const p = prev ?? zero;
						expect({ key: row.group_key, ...pickFigures(row) }).toEqual({
							key: row.group_key,
							...want
						});
						expect(row.show_up_rate).toBe(rate(want?.attendances ?? 0, want?.admitted_days ?? 0));
						expect(row.participation_rate).toBe(
							rate(want?.participants ?? 0, want?.headcount ?? 0)
						);
						expect({
							key: row.group_key,
							activities: row.prev_activities,
							attendances: row.prev_attendances,
							participants: row.prev_participants,
							guest_attendances: row.prev_guest_attendances,
							registrations_admitted: row.prev_registrations_admitted,
							admitted_days: row.prev_admitted_days,
							headcount: row.prev_headcount
						}).toEqual({ key: row.group_key, ...p });
						expect(row.prev_participation_rate).toBe(rate(p.participants, p.headcount));
						expect(row.prev_show_up_rate).toBe(rate(p.attendances, p.admitted_days));
					}
				}
			});
		}
	}

	test('the generated year exercises every case the definitions name', () => {
		const kinds = new Set(raw.checkIns.map((c) => c.kind));
		for (const kind of ['scan', 'manual', 'walk_in', 'paper', 'provisional', 'undo'])
			expect(kinds).toContain(kind);
		expect(raw.reviews.some((r) => r.decision === 'reversed')).toBe(true);
		expect(raw.members.some((m) => m.active_until?.startsWith(String(YEAR)))).toBe(true);
		expect(raw.members.some((m) => m.active_from.startsWith(String(YEAR)))).toBe(true);
		expect(raw.activities.some((a) => a.status === 'cancelled')).toBe(true);
	});

	test('a branch row rolls up its groups, and the union row is everyone', async () => {
		const outcome = await report(office, { ...periods[0]!, groupBy: 'unit' });
		if (!outcome.ok) throw new Error(outcome.code);
		const byKey = new Map(outcome.value.map((r) => [r.group_key, r]));
		const total = await report(office, { ...periods[0]!, groupBy: 'total' });
		if (!total.ok) throw new Error(total.code);
		expect(byKey.get(unionId)?.attendances).toBe(total.value[0]?.attendances);
		const branch = raw.units.find((u) => u.code === 'U01');
		const groups = raw.units.filter((u) => u.parent_id === branch?.id);
		const sum = groups.reduce((s, g) => s + (byKey.get(g.id)?.attendances ?? 0), 0);
		expect(byKey.get(branch?.id ?? '')?.attendances).toBe(sum);
	});

	test('guests are reported apart and never in member figures', async () => {
		const outcome = await report(office, { ...periods[0]!, groupBy: 'total' });
		if (!outcome.ok) throw new Error(outcome.code);
		const row = outcome.value[0];
		expect(row?.guest_attendances).toBeGreaterThan(0);
		const expected = expectedFigures(
			raw,
			periods[0]!.start,
			periods[0]!.end,
			'total',
			[unionId],
			'unit'
		);
		expect(row?.attendances).toBe(expected.get('')?.attendances);
	});

	test('an organizer sees only their branch, also when naming another unit', async () => {
		const nursing = raw.units.find((u) => u.code === 'U03');
		const internal = raw.units.find((u) => u.code === 'U01');
		const mine = await report(organizer, { ...periods[0]!, groupBy: 'unit' });
		if (!mine.ok) throw new Error(mine.code);
		const inNursing = raw.units
			.filter((u) => u.ancestors.includes(nursing?.id ?? ''))
			.map((u) => u.id);
		expect(mine.value.map((r) => r.group_key).sort()).toEqual(inNursing.sort());
		const expected = expectedFigures(
			raw,
			periods[0]!.start,
			periods[0]!.end,
			'unit',
			[nursing?.id ?? ''],
			'unit'
		);
		for (const row of mine.value) expect(pickFigures(row)).toEqual(expected.get(row.group_key));

		for (const groupBy of ['unit', 'total', 'category', 'activity']) {
			const other = await report(organizer, { ...periods[0]!, groupBy, unitId: internal?.id });
			expect(other).toMatchObject({ ok: false, code: 'unit_not_in_scope' });
		}
		const union = await report(organizer, { ...periods[0]!, groupBy: 'total', unitId: unionId });
		expect(union).toMatchObject({ ok: false, code: 'unit_not_in_scope' });
		const drill = await callApi(
			db.backend,
			organizer,
			`select jsonb_agg(r) as result from public.report_drilldown($1::date, $2::date, 'attendances', 'unit', $3) r`,
			[periods[0]!.start, periods[0]!.end, internal?.id ?? '']
		);
		expect(drill).toMatchObject({ ok: false, code: 'unit_not_in_scope' });
		const summary = await callApi(
			db.backend,
			organizer,
			'select public.report_summary_text($1::int, $2::uuid) as result',
			[String(YEAR), internal?.id ?? '']
		);
		expect(summary).toMatchObject({ ok: false, code: 'unit_not_in_scope' });
	});

	test('a member who is not staff gets no figures', async () => {
		expect(await report(employee, { ...periods[0]!, groupBy: 'total' })).toMatchObject({
			ok: false,
			code: 'not_allowed'
		});
	});

	test('bad arguments are refused clearly', async () => {
		expect(
			await report(office, { start: '2031-12-31', end: '2031-01-01', groupBy: 'total' })
		).toMatchObject({ ok: false, code: 'period_invalid' });
		expect(await report(office, { ...periods[0]!, groupBy: 'colour' })).toMatchObject({
			ok: false,
			code: 'group_by_invalid'
		});
		expect(await report(office, { ...periods[0]!, groupBy: 'total', basis: 'x' })).toMatchObject({
			ok: false,
			code: 'headcount_basis_invalid'
		});
		expect(
			await report(office, { ...periods[0]!, groupBy: 'total', categories: ['nope'] })
		).toMatchObject({ ok: false, code: 'category_invalid' });
	});

	test('categories narrow the activities', async () => {
		const outcome = await report(office, {
			...periods[0]!,
			groupBy: 'category',
			categories: ['sports', 'health']
		});
		if (!outcome.ok) throw new Error(outcome.code);
		expect(outcome.value.map((r) => r.group_key).sort()).toEqual(['health', 'sports']);
	});

	test('the drill-down lists the people behind each figure', async () => {
		const { start, end } = periods[0]!;
		const expected = expectedFigures(raw, start, end, 'activity', [unionId], 'unit');
		const [activityId, figures] = [...expected.entries()].find(([, f]) => f.attendances > 3)!;
		const drill = async (figure: string, groupBy = 'activity', key: string | null = activityId) => {
			const outcome = await callApi<{ member_id: string; paper: boolean; attendances: number }[]>(
				db.backend,
				office,
				`select coalesce(jsonb_agg(r), '[]'::jsonb) as result
				from public.report_drilldown($1::date, $2::date, $3, $4, $5) r`,
				[start, end, figure, groupBy, key]
			);
			if (!outcome.ok) throw new Error(outcome.code);
			return outcome.value;
		};
		expect((await drill('attendances')).length).toBe(figures.attendances);
		expect((await drill('participants')).length).toBe(figures.participants);
		expect((await drill('registrations')).length).toBe(figures.registrations_admitted);
		const total = expectedFigures(raw, start, end, 'total', [unionId], 'unit').get('')!;
		expect((await drill('attendances', 'total', null)).length).toBe(total.attendances);
		expect((await drill('headcount', 'total', null)).length).toBe(total.headcount);
		expect((await drill('attendances', 'total', null)).some((r) => r.paper)).toBe(true);
	});

	test('the yearly summary paragraph quotes the same figures, with the year before', async () => {
		const outcome = await callApi<string>(
			db.backend,
			office,
			'select public.report_summary_text($1::int) as result',
			[String(YEAR)]
		);
		if (!outcome.ok) throw new Error(outcome.code);
		const cur = expectedFigures(
			raw,
			`${String(YEAR)}-01-01`,
			`${String(YEAR)}-12-31`,
			'total',
			[unionId],
			'unit'
		).get('')!;
		const prev = expectedFigures(
			raw,
			`${String(YEAR - 1)}-01-01`,
			`${String(YEAR - 1)}-12-31`,
			'total',
			[unionId],
			'unit'
		).get('')!;
		const text = outcome.value;
		expect(text).toContain(`${String(YEAR)}年，工会共组织活动${String(cur.activities)}项`);
		expect(text).toContain(`职工参加${String(cur.attendances)}人次、${String(cur.participants)}人`);
		expect(text).toContain(`职工参与率${((cur.participants / cur.headcount) * 100).toFixed(1)}%`);
		expect(text).toContain(`上年${String(prev.attendances)}人次`);
		expect(text).toContain(`家属参加${String(cur.guest_attendances)}人次`);
	});

	// The tables the reports read (private.attendances, private.report_admissions) are kept by
	// triggers; these check them against a recomputation, and the figures after later changes.

	/** Every figure of `rows` (and the year before) against the independent calculation on `data`. */
	function expectFigures(
		rows: ReportRow[],
		data: Raw,
		period: { start: string; end: string },
		groupBy: Exclude<GroupBy, 'activity_title'>,
		basis: 'unit' | 'eligible',
		categories: string[] | null = null
	) {
		const expected = expectedFigures(
			data,
			period.start,
			period.end,
			groupBy,
			[unionId],
			basis,
			categories
		);
		const previous = expectedFigures(
			data,
			minusYear(period.start),
			minusYear(period.end),
			groupBy === 'activity' ? 'activity_title' : groupBy,
			[unionId],
			basis,
			categories
		);
		expect(rows.map((r) => r.group_key).sort()).toEqual([...expected.keys()].sort());
		for (const row of rows) {
			const prevKey =
				groupBy === 'month'
					? `${String(Number(row.group_key.slice(0, 4)) - 1)}${row.group_key.slice(4)}`
					: groupBy === 'activity'
						? row.group_label
						: row.group_key;
			const want = expected.get(row.group_key);
			const prev = previous.get(prevKey);
			expect({ key: row.group_key, ...pickFigures(row) }).toEqual({ key: row.group_key, ...want });
			expect({
				key: row.group_key,
				activities: row.prev_activities,
				attendances: row.prev_attendances,
				participants: row.prev_participants,
				guest_attendances: row.prev_guest_attendances,
				registrations_admitted: row.prev_registrations_admitted,
				admitted_days: row.prev_admitted_days,
				headcount: row.prev_headcount
			}).toEqual({
				key: row.group_key,
				...(prev ?? {
					activities: 0,
					attendances: 0,
					participants: 0,
					guest_attendances: 0,
					registrations_admitted: 0,
					admitted_days: 0,
					headcount: 0
				})
			});
		}
	}

	/** report_participation as the office inside `tx` (then back to the owner). */
	async function reportIn(
		tx: Tx,
		period: { start: string; end: string },
		groupBy: string,
		basis = 'unit'
	): Promise<ReportRow[]> {
		await tx.query(`select set_config('request.jwt.claims', $1, true)`, [
			JSON.stringify({
				role: 'authenticated',
				sub: DEMO_ACCOUNTS.office.userId,
				email: DEMO_ACCOUNTS.office.email,
				aud: 'authenticated'
			})
		]);
		await tx.query('set local role authenticated');
		const [row] = await tx.query<{ result: ReportRow[] }>(
			`select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as result
			from public.report_participation($1::date, $2::date, $3, null, null, $4) r`,
			[period.start, period.end, groupBy, basis]
		);
		await tx.query('reset role');
		return row?.result ?? [];
	}

	/** Runs `fn` as the owner in a transaction that is rolled back afterwards. */
	async function thenRollBack(fn: (tx: Tx) => Promise<void>): Promise<void> {
		const rollback = new Error('rollback');
		await db.backend
			.transaction(async (tx) => {
				await fn(tx);
				throw rollback;
			})
			.catch((error: unknown) => {
				if (error !== rollback) throw error;
			});
	}

	test('the tables the reports read agree with the log and the registrations', async () => {
		expect(await asOwner(db.backend, driftOf)).toEqual({
			missing: 0,
			extra: 0,
			chains: 0,
			admissions: 0
		});
	});

	test('every figure with some categories matches the independent calculation', async () => {
		const categories = ['sports', 'health', 'culture'];
		for (const groupBy of ['total', 'unit', 'month', 'category', 'activity'] as const) {
			for (const period of periods) {
				const outcome = await report(office, { ...period, groupBy, categories });
				if (!outcome.ok) throw new Error(outcome.code);
				expectFigures(outcome.value, raw, period, groupBy, 'unit', categories);
			}
		}
	});

	test('the figures stay right when activities, members, registrations and check-ins change later', async () => {
		await thenRollBack(async (tx) => {
			const year = String(YEAR);
			// Held one-day activities of the year with attendances, in a fixed order.
			const held = await tx.query<{ id: string; day: string }>(
				`select a.id, min(t.day)::text as day from private.activities a
				join private.attendances t on t.activity_id = a.id
				where a.status not in ('draft', 'cancelled') and a.starts_at::date = a.ends_at::date
					and extract(year from a.starts_at) = $1::int
				group by a.id order by min(a.title), a.id`,
				[year]
			);
			const [cancelled, moved, recategorized, late] = held;
			if (!cancelled || !moved || !recategorized || !late) throw new Error('too few activities');
			// Cancelled after the check-ins; moved a day later (its check-ins no longer on its days);
			// another category.
			await tx.query(`update private.activities set status = 'cancelled' where id = $1::uuid`, [
				cancelled.id
			]);
			await tx.query(
				`update private.activities set starts_at = starts_at + interval '1 day', ends_at = ends_at + interval '1 day'
				where id = $1::uuid`,
				[moved.id]
			);
			await tx.query(
				`update private.activities set category = case when category = 'outing' then 'care' else 'outing' end
				where id = $1::uuid`,
				[recategorized.id]
			);
			// A member who attended moves to a unit of another branch.
			await tx.query(
				`update private.members m set unit_id = (
					select u.id from private.units u
					where u.kind = 'group' and u.parent_id <> (select parent_id from private.units where id = m.unit_id)
					order by u.code limit 1)
				where m.id = (
					select x.id from private.members x
					where exists (select 1 from private.attendances t where t.member_id = x.id)
					order by x.employee_no limit 1)`
			);
			// An admitted registration cancelled, another moved to the other session.
			await tx.query(
				`update private.registrations set status = 'cancelled', cancelled_at = now()
				where id = (
					select r.id from private.registrations r join private.members m on m.id = r.member_id
					where r.status = 'registered' order by m.employee_no, r.created_at limit 1)`
			);
			await tx.query(
				`update private.registrations r set session_id = (
					select s.id from private.sessions s where s.activity_id = r.activity_id and s.id <> r.session_id limit 1)
				where r.id = (
					select x.id from private.registrations x join private.members m on m.id = x.member_id
					where x.status = 'registered' and x.session_id is not null order by m.employee_no limit 1)`
			);
			// A member who joins, signs up and is deleted again.
			await tx.query(
				`with m as (
					insert into private.members (employee_no, name, gender, member_type, unit_id)
					select 'R-GONE', '离开', 'female', 'staff', unit_id from private.members order by employee_no limit 1
					returning id
				)
				insert into private.registrations (activity_id, member_id, status)
				select $1::uuid, m.id, 'registered' from m`,
				[late.id]
			);
			await tx.query(`delete from private.members where employee_no = 'R-GONE'`);
			// Registered members of `late` with no check-in: paper entries after the day, one undone
			// by an undo that reached the server first, and then 60 at once in one statement (a mix
			// of new ones and duplicates with more guests).
			const absent = await tx.query<{ registration_id: string; member_id: string }>(
				`select r.id as registration_id, r.member_id from private.registrations r
				where r.activity_id = $1::uuid and r.status = 'registered'
					and not exists (select 1 from private.check_ins c where c.registration_id = r.id)
				order by (select m.employee_no from private.members m where m.id = r.member_id)`,
				[late.id]
			);
			const [first, second] = absent;
			if (!first || !second) throw new Error('no absentees');
			const overtaken = randomUUID();
			await tx.query(
				`insert into private.check_ins (id, activity_id, day, kind, undoes, device_id, device_seq)
				values ($1::uuid, $2::uuid, $3::date, 'undo', array[$4::uuid], 'late-phone', 1)`,
				[randomUUID(), late.id, late.day, overtaken]
			);
			for (const [id, who] of [
				[overtaken, first],
				[randomUUID(), second]
			] as const) {
				await tx.query(
					`insert into private.check_ins (id, activity_id, registration_id, member_id, day, kind, device_id, device_seq, flags)
					values ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::date, 'paper', 'paper', 2, array['paper'])`,
					[id, late.id, who.registration_id, who.member_id, late.day]
				);
			}
			await tx.query(
				`insert into private.check_ins (id, activity_id, registration_id, member_id, day, kind, guests_checked_in,
					device_id, device_seq)
				select gen_random_uuid(), r.activity_id, r.id, r.member_id, $2::date,
					case when n % 3 = 0 then 'paper' else 'scan' end, 1, 'bulk', n
				from (
					select r.*, row_number() over (order by m.employee_no) as n
					from private.registrations r join private.members m on m.id = r.member_id
					where r.activity_id = $1::uuid and r.status = 'registered'
				) r
				cross join generate_series(1, 60) g
				where r.n = 1 + (g - 1) % (select count(*) from private.registrations x where x.activity_id = $1::uuid and x.status = 'registered')`,
				[late.id, late.day]
			);
			// Reviews: one attendance reversed, another reversed and confirmed again.
			const reviewed = await tx.query<{ id: string }>(
				`select c.id from private.check_ins c
				where c.kind = 'scan' and exists (
					select 1 from private.attendances t where t.activity_id = c.activity_id and t.day = c.day and t.member_id = c.member_id)
				order by c.device_seq limit 2`
			);
			await tx.query(
				`insert into private.check_in_reviews (check_in_id, decision, decided_at)
				values ($1::uuid, 'reversed', now()), ($2::uuid, 'reversed', now() - interval '1 hour'),
					($2::uuid, 'confirmed', now())`,
				[reviewed[0]?.id ?? null, reviewed[1]?.id ?? null]
			);

			expect(await driftOf(tx)).toEqual({ missing: 0, extra: 0, chains: 0, admissions: 0 });
			const data = await readRaw(tx);
			for (const groupBy of ['total', 'unit', 'category', 'month', 'activity'] as const) {
				for (const period of periods) {
					expectFigures(await reportIn(tx, period, groupBy), data, period, groupBy, 'unit');
				}
			}
		});
	});

	test('a new time zone recomputes which attendances count', async () => {
		await thenRollBack(async (tx) => {
			await tx.query(`update private.union_settings set time_zone = 'America/Los_Angeles'`);
			expect(await driftOf(tx)).toEqual({ missing: 0, extra: 0, chains: 0, admissions: 0 });
			const [row] = await tx.query<{ n: number }>(
				`select count(*)::int as n from private.attendances where not valid`
			);
			expect(row?.n).toBeGreaterThan(0);
		});
	});
});

function pickFigures(row: Figures): Figures {
	return {
		activities: row.activities,
		attendances: row.attendances,
		participants: row.participants,
		guest_attendances: row.guest_attendances,
		registrations_admitted: row.registrations_admitted,
		admitted_days: row.admitted_days,
		headcount: row.headcount
	};
}
