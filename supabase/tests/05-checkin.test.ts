// Check-in at the venue through apply_actions: scans, by hand, walk-ins, undo (add-wins), the
// counter and the conflict inbox. Titles carry the abuse catalogue ids (A*) and the fault catalogue ids (T*)
// of docs/decisions.md §10.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	asOwner,
	callApi,
	createActivity,
	demo,
	lanes,
	linkAllMembers,
	membersWhere,
	type Caller,
	type SeededDatabase
} from './support.ts';

interface Result {
	id: string;
	status: string;
	code: string;
	warnings: string[];
	entity?: {
		name?: string;
		first_check_in?: { device_id: string } | null;
		registration_status?: string;
	};
}

interface Counter {
	checked_in: number;
	admitted: number;
	guests: number;
	provisional: number;
}

describe.each(lanes())('check-in on $name', (lane) => {
	let db: SeededDatabase;
	let attendees: Caller[];
	let scanner: Caller;
	const office = demo('office');
	const organizerOfNursing = demo('organizer');

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		attendees = await membersWhere(
			db.backend,
			`m.member_type = 'staff' and u.code like 'U01%'`,
			60
		);
		const [staff] = await membersWhere(
			db.backend,
			`m.member_type = 'staff' and u.code like 'U02%'`,
			1
		);
		if (!staff) throw new Error('no staff member');
		scanner = staff;
	});

	afterAll(async () => {
		await db.close();
	});

	const attendee = (index: number): Caller => {
		const found = attendees[index];
		if (!found) throw new Error(`no attendee ${String(index)}`);
		return found;
	};

	/** An activity running today with registrations (index → status) and a check-in staff member. */
	async function venue(
		statuses: Record<number, string> = {},
		fields: Record<string, unknown> = {}
	) {
		const activity = await createActivity(db.backend, {
			starts_at: new Date(Date.now() - 3_600_000).toISOString(),
			ends_at: new Date(Date.now() + 3_600_000).toISOString(),
			signup_opens_at: new Date(Date.now() - 86_400_000).toISOString(),
			signup_closes_at: new Date(Date.now() - 7_200_000).toISOString(),
			capacity: 30,
			guests_max: 2,
			...fields
		});
		const tickets: Record<number, string> = {};
		await asOwner(db.backend, async (tx) => {
			for (const [index, status] of Object.entries(statuses)) {
				const caller = attendee(Number(index));
				if (caller.role !== 'authenticated') continue;
				const [row] = await tx.query<{ ticket_secret: string }>(
					`insert into private.registrations (activity_id, member_id, status, guest_names)
					select $1::uuid, m.id, $2, case when $2 = 'registered' then array['家属'] else '{}' end
					from private.members m where m.user_id = $3::uuid returning ticket_secret`,
					[activity, status, caller.userId]
				);
				tickets[Number(index)] = row?.ticket_secret ?? '';
			}
			if (scanner.role === 'authenticated') {
				await tx.query(
					`insert into private.staff_roles (member_id, role, activity_id)
					select m.id, 'checkin_staff', $1::uuid from private.members m where m.user_id = $2::uuid`,
					[activity, scanner.userId]
				);
			}
		});
		return { activity, tickets };
	}

	let seq = 0;
	function action(caller: Caller, kind: string, payload: Record<string, unknown>) {
		if (caller.role !== 'authenticated') throw new Error('signed-in callers only');
		seq += 1;
		return {
			id: randomUUID(),
			v: 1,
			seq,
			kind,
			user_id: caller.userId,
			client_at: new Date().toISOString(),
			payload
		};
	}

	async function send(caller: Caller, actions: unknown[], device = 'phone-a'): Promise<Result[]> {
		const outcome = await callApi<{ results: Result[] }>(
			db.backend,
			caller,
			'select public.apply_actions($1, now(), $2::text::jsonb) as result',
			[device, JSON.stringify(actions)]
		);
		if (!outcome.ok) throw new Error(`${outcome.status} ${outcome.code}`);
		return outcome.value.results;
	}

	async function scan(
		caller: Caller,
		activity: string,
		ticket: string,
		extra: Record<string, unknown> = {},
		device = 'phone-a'
	) {
		const [result] = await send(
			caller,
			[action(caller, 'check_in', { activity_id: activity, ticket, ...extra })],
			device
		);
		if (!result) throw new Error('no result');
		return result;
	}

	async function counter(activity: string): Promise<Counter> {
		const outcome = await callApi<Counter>(
			db.backend,
			office,
			'select public.get_checkin_counter($1::uuid) as result',
			[activity]
		);
		if (!outcome.ok) throw new Error(outcome.code);
		return outcome.value;
	}

	async function logRows(activity: string): Promise<number> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				'select count(*)::int as n from private.check_ins where activity_id = $1::uuid',
				[activity]
			)
		);
		return row?.n ?? -1;
	}

	test('a valid ticket checks its member in, with name and unit, guests counted apart', async () => {
		const { activity, tickets } = await venue({ 0: 'registered' });
		const result = await scan(scanner, activity, tickets[0] ?? '');
		expect(result).toMatchObject({ status: 'applied', code: 'checked_in', warnings: [] });
		expect(result.entity?.name).toBeTruthy();
		expect(await counter(activity)).toMatchObject({ checked_in: 1, admitted: 1, guests: 1 });
	});

	test('A1 a forged, truncated or random ticket is refused with no check-in and no attendee data', async () => {
		const { activity, tickets } = await venue({ 0: 'registered' });
		for (const forged of [
			'garbage',
			(tickets[0] ?? '').slice(0, 10),
			randomUUID(),
			'',
			'x'.repeat(400)
		]) {
			const result = await scan(scanner, activity, forged);
			expect(result).toMatchObject({ status: 'rejected', code: 'ticket_unknown' });
			expect(result.entity).toBeUndefined();
		}
		expect(await logRows(activity)).toBe(0);
	});

	test('A4 a ticket of another activity is refused without revealing that activity', async () => {
		const { activity } = await venue({});
		const other = await venue({ 1: 'registered' });
		const result = await scan(scanner, activity, other.tickets[1] ?? '');
		expect(result).toEqual(expect.objectContaining({ status: 'rejected', code: 'wrong_activity' }));
		expect(result.entity).toBeUndefined();
		expect(await logRows(activity)).toBe(0);
	});

	test('A5 T25 a second scan, also on another phone, counts once and names the first scan', async () => {
		const { activity, tickets } = await venue({ 2: 'registered' });
		await scan(scanner, activity, tickets[2] ?? '', {}, 'phone-a');
		const again = await scan(office, activity, tickets[2] ?? '', {}, 'phone-b');
		expect(again).toMatchObject({
			status: 'applied',
			code: 'already_checked_in',
			warnings: ['duplicate_scan']
		});
		expect(again.entity?.first_check_in?.device_id).toBe('phone-a');
		expect(await counter(activity)).toMatchObject({ checked_in: 1 });
		expect(await logRows(activity)).toBe(2);
	});

	test('A6 the same offline scan uploaded twice makes one row', async () => {
		const { activity, tickets } = await venue({ 3: 'registered' });
		const upload = action(scanner, 'check_in', { activity_id: activity, ticket: tickets[3] });
		await send(scanner, [upload]);
		const [replay] = await send(scanner, [upload]);
		expect(replay).toMatchObject({ status: 'applied', code: 'checked_in', replayed: true });
		expect(await logRows(activity)).toBe(1);
	});

	test('A7 twenty stations redeem one ticket at once: one check-in, the rest duplicates', async () => {
		const { activity, tickets } = await venue({ 4: 'registered' });
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, index) =>
				scan(office, activity, tickets[4] ?? '', {}, `phone-${String(index)}`)
			)
		);
		expect(results.every((r) => r.status === 'applied')).toBe(true);
		expect(await counter(activity)).toMatchObject({ checked_in: 1 });
		expect(await logRows(activity)).toBe(20);
	});

	test('A8 a ticket cancelled after the phone downloaded the roster is recorded, flagged for review', async () => {
		const { activity, tickets } = await venue({ 5: 'cancelled' });
		const result = await scan(scanner, activity, tickets[5] ?? '');
		expect(result).toMatchObject({ status: 'applied', warnings: ['registration_cancelled'] });
		const inbox = await callApi<Array<{ flags: string[] }>>(
			db.backend,
			office,
			'select public.list_checkin_conflicts($1::uuid) as result',
			[activity]
		);
		expect(inbox.ok && inbox.value.map((c) => c.flags)).toEqual([['registration_cancelled']]);
	});

	test('A9 waitlisted, pending and rejected registrations are not admitted, each said', async () => {
		const { activity, tickets } = await venue({
			6: 'waitlisted',
			7: 'pending_approval',
			8: 'rejected'
		});
		for (const [index, status] of [
			[6, 'waitlisted'],
			[7, 'pending_approval'],
			[8, 'rejected']
		] as const) {
			const result = await scan(scanner, activity, tickets[index] ?? '');
			expect(result).toMatchObject({
				status: 'rejected',
				code: 'not_admitted',
				entity: { registration_status: status }
			});
		}
		expect(await logRows(activity)).toBe(0);
	});

	test('A10 a registration id in place of the secret is not a ticket', async () => {
		const { activity } = await venue({ 9: 'registered' });
		const [registration] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(
				'select id from private.registrations where activity_id = $1::uuid',
				[activity]
			)
		);
		const result = await scan(scanner, activity, registration?.id ?? '');
		expect(result).toMatchObject({ status: 'rejected', code: 'ticket_unknown' });
	});

	test('A11 tickets carry 144 random bits; walk-in search needs 2 characters or 4 digits and caps answers', async () => {
		const { activity, tickets } = await venue({ 10: 'registered' }, { walk_in_allowed: true });
		expect(tickets[10]).toMatch(/^[A-Za-z0-9_-]{24}$/);
		for (const query of ['王', '12', '%', '']) {
			const outcome = await callApi(
				db.backend,
				scanner,
				'select * from public.search_walk_in_members($1::uuid, $2)',
				[activity, query]
			);
			expect(outcome).toMatchObject({ ok: false, code: 'query_too_short' });
		}
		const wildcard = await asOwner(db.backend, (tx) =>
			tx.query(`select * from private.members_for_walk_in($1::uuid, '%%')`, [activity])
		);
		expect(wildcard).toEqual([]);
		const [someone] = await asOwner(db.backend, (tx) =>
			tx.query<{ name: string }>(
				`select name from private.members where char_length(name) >= 2 limit 1`
			)
		);
		const answers = await callApi<number>(
			db.backend,
			scanner,
			`select count(*)::int as result from public.search_walk_in_members($1::uuid, $2)`,
			[activity, someone?.name.slice(0, 2) ?? '']
		);
		expect(answers.ok && answers.value).toBeGreaterThan(0);
		expect(answers.ok && answers.value).toBeLessThanOrEqual(10);
	});

	test('A12 an attendee cannot check themselves in; A13 staff of one activity cannot check in at another', async () => {
		const { activity, tickets } = await venue({ 11: 'registered' });
		const self = await scan(attendee(11), activity, tickets[11] ?? '');
		expect(self).toMatchObject({ status: 'rejected', code: 'not_staff' });
		const elsewhere = await venue({ 12: 'registered' });
		// `scanner` is check-in staff of every venue() activity; the nursing organizer is staff of none.
		const foreign = await scan(organizerOfNursing, elsewhere.activity, elsewhere.tickets[12] ?? '');
		expect(foreign).toMatchObject({ status: 'rejected', code: 'not_staff' });
		const roster = await callApi(
			db.backend,
			organizerOfNursing,
			'select public.get_checkin_roster($1::uuid) as result',
			[activity]
		);
		expect(roster).toMatchObject({ ok: false, code: 'not_staff' });
		expect(await logRows(activity)).toBe(0);
	});

	test('A14 only organizers accept an unknown ticket provisionally, and it is flagged', async () => {
		const { activity } = await venue({});
		const byStaff = await scan(scanner, activity, 'unknown-ticket-123', { provisional: true });
		expect(byStaff).toMatchObject({ status: 'rejected', code: 'provisional_not_allowed' });
		const byOffice = await scan(office, activity, 'unknown-ticket-123', { provisional: true });
		expect(byOffice).toMatchObject({
			status: 'applied',
			code: 'provisional',
			warnings: ['provisional']
		});
		expect(await counter(activity)).toMatchObject({ checked_in: 0, provisional: 1 });
	});

	test('A15 a ticket URL, spaces and a newline from the scanner are canonicalised once', async () => {
		const { activity, tickets } = await venue({ 13: 'registered' });
		const result = await scan(
			scanner,
			activity,
			`  https://union.example/t/${tickets[13] ?? ''}\n`
		);
		expect(result).toMatchObject({ status: 'applied', code: 'checked_in' });
		const doubled = await scan(scanner, activity, encodeURIComponent(`/t/${tickets[13] ?? ''}`));
		expect(doubled).toMatchObject({ status: 'rejected', code: 'ticket_unknown' });
	});

	test('T26 undo removes only the check-ins the undoing phone had seen (add-wins)', async () => {
		const { activity, tickets } = await venue({ 14: 'registered' });
		const a1 = action(scanner, 'check_in', { activity_id: activity, ticket: tickets[14] });
		const b1 = action(office, 'check_in', { activity_id: activity, ticket: tickets[14] });
		await send(scanner, [a1], 'phone-a');
		await send(office, [b1], 'phone-b');
		const [undoA] = await send(scanner, [
			action(scanner, 'undo_check_in', { activity_id: activity, target_ids: [a1.id] })
		]);
		expect(undoA).toMatchObject({ status: 'applied', code: 'undone' });
		expect(await counter(activity)).toMatchObject({ checked_in: 1 });
		await send(
			office,
			[action(office, 'undo_check_in', { activity_id: activity, target_ids: [a1.id, b1.id] })],
			'phone-b'
		);
		expect(await counter(activity)).toMatchObject({ checked_in: 0 });
	});

	test('T27 an undo that arrives before its check-in still wins', async () => {
		const { activity, tickets } = await venue({ 15: 'registered' });
		const c1 = action(scanner, 'check_in', { activity_id: activity, ticket: tickets[15] });
		const [early] = await send(scanner, [
			action(scanner, 'undo_check_in', { activity_id: activity, target_ids: [c1.id] })
		]);
		expect(early).toMatchObject({ status: 'noop', code: 'nothing_to_undo' });
		await send(scanner, [c1]);
		expect(await counter(activity)).toMatchObject({ checked_in: 0 });
	});

	test('walk-ins register and check in as one action, only where allowed', async () => {
		const closed = await venue({});
		const open = await venue({}, { walk_in_allowed: true });
		const [member] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(`select m.id from private.members m where m.user_id = $1::uuid`, [
				attendee(16).role === 'authenticated' ? (attendee(16) as { userId: string }).userId : ''
			])
		);
		const refused = await send(scanner, [
			action(scanner, 'walk_in', { activity_id: closed.activity, member_id: member?.id })
		]);
		expect(refused[0]).toMatchObject({ status: 'rejected', code: 'walk_in_not_allowed' });
		const admitted = await send(scanner, [
			action(scanner, 'walk_in', { activity_id: open.activity, member_id: member?.id, guests: 1 })
		]);
		expect(admitted[0]).toMatchObject({ status: 'applied', code: 'checked_in' });
		const [registration] = await asOwner(db.backend, (tx) =>
			tx.query<{ source: string; status: string }>(
				'select source, status from private.registrations where activity_id = $1::uuid',
				[open.activity]
			)
		);
		expect(registration).toEqual({ source: 'walk_in', status: 'registered' });
		expect(await counter(open.activity)).toMatchObject({ checked_in: 1, guests: 1, admitted: 1 });
	});

	/** The roster id of an attendee. */
	async function memberIdOf(index: number): Promise<string> {
		const caller = attendee(index);
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(`select m.id from private.members m where m.user_id = $1::uuid`, [
				caller.role === 'authenticated' ? caller.userId : ''
			])
		);
		if (!row) throw new Error('no member');
		return row.id;
	}

	async function walkIn(activity: string, member: string, guests = 0): Promise<Result> {
		const [result] = await send(scanner, [
			action(scanner, 'walk_in', { activity_id: activity, member_id: member, guests })
		]);
		if (!result) throw new Error('no result');
		return result;
	}

	async function registrationOf(activity: string, member: string) {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ status: string; source: string; ticket_secret: string }>(
				`select status, source, ticket_secret from private.registrations
				where activity_id = $1::uuid and member_id = $2::uuid`,
				[activity, member]
			)
		);
		return row ?? null;
	}

	test('R2 a walk-in cannot overturn a rejection, nor admit someone ineligible or over the series limit', async () => {
		// Rejected by the organizer: stays rejected, same ticket, nothing checked in.
		const approval = await venue({ 42: 'rejected' }, { walk_in_allowed: true });
		const rejected = await memberIdOf(42);
		const before = await registrationOf(approval.activity, rejected);
		expect(await walkIn(approval.activity, rejected)).toMatchObject({
			status: 'rejected',
			code: 'registration_rejected'
		});
		expect(await registrationOf(approval.activity, rejected)).toEqual(before);
		// Outside the activity's population (these attendees are staff, not retired).
		const retiredOnly = await venue(
			{},
			{ walk_in_allowed: true, eligible_member_types: ['retired'] }
		);
		expect(await walkIn(retiredOnly.activity, await memberIdOf(43))).toMatchObject({
			status: 'rejected',
			code: 'ineligible_member_type'
		});
		// Already in another activity of a series with a limit of one.
		const taken = await venue({ 44: 'registered' }, { series: 'walk-in-2027', series_limit: 1 });
		const series = await venue(
			{},
			{ walk_in_allowed: true, series: 'walk-in-2027', series_limit: 1 }
		);
		expect(taken.activity).not.toBe(series.activity);
		expect(await walkIn(series.activity, await memberIdOf(44))).toMatchObject({
			status: 'rejected',
			code: 'series_limit_reached'
		});
		// Approval or lottery: admission is the organizers' decision, not the door's.
		const needsApproval = await venue({}, { walk_in_allowed: true, admission: 'approval' });
		expect(await walkIn(needsApproval.activity, await memberIdOf(45))).toMatchObject({
			status: 'rejected',
			code: 'approval_required'
		});
		for (const activity of [retiredOnly, series, needsApproval]) {
			expect(await logRows(activity.activity)).toBe(0);
		}
		expect(await logRows(approval.activity)).toBe(0);
	});

	test('R2 a walk-in takes no seat that is not free: capacity, and the waitlist ahead', async () => {
		const full = await venue({ 46: 'registered' }, { walk_in_allowed: true, capacity: 2 });
		// 46 holds 2 seats (with a guest): none left.
		expect(await walkIn(full.activity, await memberIdOf(47))).toMatchObject({
			status: 'rejected',
			code: 'full'
		});
		// Seats free, but someone waits for one: the walk-in does not overtake the queue.
		const queue = await venue({ 48: 'waitlisted' }, { walk_in_allowed: true, capacity: 30 });
		expect(await walkIn(queue.activity, await memberIdOf(49))).toMatchObject({
			status: 'rejected',
			code: 'full'
		});
		// With a seat free and nobody waiting, an eligible member walks in.
		const open = await venue({}, { walk_in_allowed: true, capacity: 30 });
		const member = await memberIdOf(50);
		expect(await walkIn(open.activity, member, 1)).toMatchObject({
			status: 'applied',
			code: 'checked_in'
		});
		expect(await registrationOf(open.activity, member)).toMatchObject({
			status: 'registered',
			source: 'walk_in'
		});
	});

	function searchWalkIn(caller: Caller, activity: string, query: string) {
		return callApi<Array<{ employee_no: string }>>(
			db.backend,
			caller,
			`select coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) as result
			from public.search_walk_in_members($1::uuid, $2) s`,
			[activity, query]
		);
	}

	test('R3 walk-in search: only where walk-ins are allowed, and only the eligible population', async () => {
		const [inside, outside] = await asOwner(db.backend, (tx) =>
			tx.query<{ employee_no: string; unit_id: string }>(
				`(select m.employee_no, m.unit_id from private.members m join private.units u on u.id = m.unit_id
					where u.code like 'U01%' and m.active_until is null order by m.employee_no limit 1)
				union all
				(select m.employee_no, m.unit_id from private.members m join private.units u on u.id = m.unit_id
					where u.code like 'U02%' and m.active_until is null order by m.employee_no limit 1)`
			)
		);
		if (!inside || !outside) throw new Error('no members');
		const closed = await venue({});
		expect(await searchWalkIn(scanner, closed.activity, inside.employee_no)).toMatchObject({
			ok: false,
			code: 'walk_in_not_allowed'
		});
		const units = await venue({}, { walk_in_allowed: true, eligible_unit_ids: [inside.unit_id] });
		const found = await searchWalkIn(scanner, units.activity, inside.employee_no);
		expect(found.ok && found.value.map((m) => m.employee_no)).toEqual([inside.employee_no]);
		// A member of another unit is not listed, though the 工号 is exact.
		expect(await searchWalkIn(scanner, units.activity, outside.employee_no)).toEqual({
			ok: true,
			value: []
		});
	});

	test('R3 walk-in search: at most 30 searches a minute per caller, also 40 at once, then 429 rate_limited', async () => {
		const open = await venue({}, { walk_in_allowed: true });
		// The office's window starts with this burst (nothing else here searches as the office).
		// 40 at once: on PostgreSQL they really run together, and the count still lets 30 through.
		const answers = await Promise.all(
			Array.from({ length: 40 }, async () => {
				const outcome = await searchWalkIn(office, open.activity, '9999');
				return outcome.ok ? 'ok' : `${outcome.status} ${outcome.code}`;
			})
		);
		const tally = answers.reduce<Record<string, number>>(
			(acc, a) => ({ ...acc, [a]: (acc[a] ?? 0) + 1 }),
			{}
		);
		expect(tally).toEqual({ ok: 30, 'PT429 rate_limited': 10 });
		// Each caller has their own count.
		expect((await searchWalkIn(scanner, open.activity, '9999')).ok).toBe(true);
	});

	test('the roster carries hashed tickets, never the secrets', async () => {
		const { activity, tickets } = await venue({ 17: 'registered', 18: 'waitlisted' });
		const roster = await callApi<{ entries: Array<{ ticket_hash: string; status: string }> }>(
			db.backend,
			scanner,
			'select public.get_checkin_roster($1::uuid) as result',
			[activity]
		);
		const text = JSON.stringify(roster);
		expect(text).not.toContain(tickets[17]);
		expect(roster.ok && roster.value.entries.map((e) => e.status).sort()).toEqual([
			'registered',
			'waitlisted'
		]);
		const expected = await asOwner(db.backend, (tx) =>
			tx.query<{ h: string }>(`select encode(extensions.digest($1, 'sha256'), 'hex') as h`, [
				tickets[17] ?? ''
			])
		);
		expect(roster.ok && roster.value.entries.some((e) => e.ticket_hash === expected[0]?.h)).toBe(
			true
		);
	});

	test('a reversed check-in stops counting; the review is audited', async () => {
		const { activity, tickets } = await venue({ 19: 'cancelled' });
		const result = await scan(scanner, activity, tickets[19] ?? '');
		expect(await counter(activity)).toMatchObject({ checked_in: 1 });
		const review = await callApi(
			db.backend,
			office,
			`select public.review_check_in($1::uuid, 'reversed', '已退票') as result`,
			[result.id]
		);
		expect(review.ok).toBe(true);
		expect(await counter(activity)).toMatchObject({ checked_in: 0 });
		const notManager = await callApi(
			db.backend,
			scanner,
			`select public.review_check_in($1::uuid, 'confirmed') as result`,
			[result.id]
		);
		expect(notManager).toMatchObject({ ok: false, code: 'check_in_not_found' });
	});

	/** Today in the union's time zone, the activity-day a scanner sends. */
	async function today(): Promise<string> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ day: string }>(
				`select (now() at time zone (select s.time_zone from private.union_settings s))::date::text as day`
			)
		);
		return row?.day ?? '';
	}

	/** The rows a set of actions left in the log: how many, and in how many subtransactions. */
	async function logOf(ids: string[]): Promise<{ rows: number; xmins: number }> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ rows: number; xmins: number }>(
				`select count(*)::int as rows, count(distinct xmin::text)::int as xmins
				from private.check_ins where id = any ($1::uuid[])`,
				[`{${ids.join(',')}}`]
			)
		);
		return { rows: row?.rows ?? 0, xmins: row?.xmins ?? 0 };
	}

	/** A result without what differs between two venues (ids, times). */
	function comparable(result: Result & { activity_version?: number; replayed?: boolean }) {
		const entity = result.entity as Record<string, unknown> | undefined;
		const first = entity?.first_check_in as Record<string, unknown> | null | undefined;
		return {
			status: result.status,
			code: result.code,
			warnings: result.warnings,
			replayed: result.replayed,
			activity_version: result.activity_version,
			entity: entity && {
				...entity,
				registration_id: entity.registration_id ? 'a registration' : entity.registration_id,
				first_check_in: first && { device_id: first.device_id, recorded_by: first.recorded_by }
			}
		};
	}

	test('a batch of check-ins is applied at once and answers exactly as one action at a time', async () => {
		const statuses = {
			21: 'registered',
			22: 'registered',
			23: 'cancelled',
			24: 'waitlisted',
			25: 'registered',
			26: 'registered'
		};
		const day = await today();
		const stranger = await venue({ 27: 'registered' });
		const answers: Result[][] = [];
		const logs: Array<{ rows: number; xmins: number }> = [];
		for (const oneByOne of [false, true]) {
			const { activity, tickets } = await venue(statuses);
			// Checked in earlier by another phone: the batch's scan of 25 is a duplicate.
			await scan(office, activity, tickets[25] ?? '', {}, 'phone-x');
			const [registration] = await asOwner(db.backend, (tx) =>
				tx.query<{ id: string }>(
					`select r.id from private.registrations r join private.members m on m.id = r.member_id
					where r.activity_id = $1::uuid and m.user_id = $2::uuid`,
					[
						activity,
						attendee(26).role === 'authenticated' ? (attendee(26) as { userId: string }).userId : ''
					]
				)
			);
			const batch = [
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[21], day, guests: 1 }),
				action(scanner, 'check_in', {
					activity_id: activity,
					ticket: ` https://union.example/t/${tickets[22] ?? ''}\n`,
					day,
					guests: 0
				}),
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[23], day }),
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[24], day }),
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[25] }),
				action(scanner, 'check_in', {
					activity_id: activity,
					registration_id: registration?.id,
					day,
					guests: 5
				}),
				action(scanner, 'check_in', { activity_id: activity, ticket: stranger.tickets[27], day }),
				action(scanner, 'check_in', { activity_id: activity, ticket: 'no-such-ticket', day }),
				action(scanner, 'check_in', {
					activity_id: activity,
					ticket: tickets[21],
					day: '2000-01-01'
				})
			];
			// One at a time: an action of another kind in the batch makes it go one by one.
			const results = oneByOne
				? (await send(scanner, [...batch, action(scanner, 'fly_to_moon', {})])).slice(
						0,
						batch.length
					)
				: await send(scanner, batch);
			expect(results.map((r) => r.id)).toEqual(batch.map((a) => a.id));
			answers.push(results);
			logs.push(await logOf(batch.map((a) => a.id)));
			// A replay answers with the stored results.
			const replay = await send(scanner, batch);
			expect(replay).toEqual(results.map((r) => ({ ...r, replayed: true })));
			expect(await logOf(batch.map((a) => a.id))).toEqual(logs[logs.length - 1]);
		}
		const [together, alone] = answers as [Result[], Result[]];
		expect(together.map(comparable)).toEqual(alone.map(comparable));
		expect(together.map((r) => [r.status, r.code])).toEqual([
			['applied', 'checked_in'],
			['applied', 'checked_in'],
			['applied', 'checked_in'],
			['rejected', 'not_admitted'],
			['applied', 'already_checked_in'],
			['applied', 'checked_in'],
			['rejected', 'wrong_activity'],
			['rejected', 'ticket_unknown'],
			['rejected', 'wrong_day']
		]);
		expect(together[2]?.warnings).toEqual(['registration_cancelled']);
		expect(together[4]?.entity?.first_check_in?.device_id).toBe('phone-x');
		// Five check-ins each way; the batch wrote them in one statement (one subtransaction), one
		// at a time wrote each in its own.
		expect(logs).toEqual([
			{ rows: 5, xmins: 1 },
			{ rows: 5, xmins: 5 }
		]);
	});

	test('a batch with a repeated member, an unknown ticket accepted provisionally or a clock off is answered as one at a time', async () => {
		const { activity, tickets } = await venue({ 28: 'registered', 29: 'registered' });
		const twice = [
			action(office, 'check_in', { activity_id: activity, ticket: tickets[28] }),
			action(office, 'check_in', { activity_id: activity, ticket: tickets[28] }),
			action(office, 'check_in', {
				activity_id: activity,
				ticket: 'unknown-ticket-456',
				provisional: true
			})
		];
		const results = await send(office, twice, 'phone-b');
		expect(results.map((r) => [r.status, r.code])).toEqual([
			['applied', 'checked_in'],
			['applied', 'already_checked_in'],
			['applied', 'provisional']
		]);
		expect(results[1]?.entity?.first_check_in?.device_id).toBe('phone-b');
		const skewed = await callApi<{ results: Result[] }>(
			db.backend,
			scanner,
			"select public.apply_actions($1, now() + interval '2 hours', $2::text::jsonb) as result",
			[
				'phone-a',
				JSON.stringify([
					action(scanner, 'check_in', { activity_id: activity, ticket: tickets[29] })
				])
			]
		);
		expect(skewed.ok && skewed.value.results[0]).toMatchObject({
			status: 'applied',
			code: 'checked_in',
			warnings: ['clock_skew']
		});
		const [flags] = await asOwner(db.backend, (tx) =>
			tx.query<{ flags: string[] }>(
				`select c.flags from private.check_ins c join private.registrations r on r.id = c.registration_id
				where c.activity_id = $1::uuid and r.ticket_secret = $2`,
				[activity, tickets[29] ?? '']
			)
		);
		expect(flags?.flags).toEqual(['clock_skew']);
		expect(await counter(activity)).toMatchObject({ checked_in: 2, provisional: 1 });
	});

	test('T31 a transient lock timeout in a batch of check-ins: that action and the ones after it retry', async () => {
		if (lane.name !== 'postgres') {
			// PGlite has one connection: no other session can hold a lock. Asserted on PostgreSQL.
			expect(lane.name).toBe('pglite');
			return;
		}
		const { activity, tickets } = await venue({ 30: 'registered', 31: 'registered' });
		const batch = [
			action(scanner, 'check_in', { activity_id: activity, ticket: tickets[30] }),
			action(scanner, 'check_in', { activity_id: activity, ticket: tickets[31] })
		];
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let lockTaken: () => void = () => undefined;
		const taken = new Promise<void>((resolve) => {
			lockTaken = resolve;
		});
		// The office editing the activity holds its row lock; a check-in must wait to reference it.
		const holder = asOwner(db.backend, async (tx) => {
			await tx.query('select 1 from private.activities where id = $1::uuid for update', [activity]);
			lockTaken();
			await held;
		});
		await taken;
		const response = await callApi<{ results: Result[] }>(
			db.backend,
			scanner,
			`select set_config('lock_timeout', '200ms', true), public.apply_actions('phone-a', now(), $1::text::jsonb) as result`,
			[JSON.stringify(batch)]
		);
		release();
		await holder;
		expect(response.ok && response.value.results.map((r) => [r.status, r.code])).toEqual([
			['retry', '55P03'],
			['retry', 'halted']
		]);
		expect(await logOf(batch.map((a) => a.id))).toEqual({ rows: 0, xmins: 0 });
		const retried = await send(scanner, batch);
		expect(retried.map((r) => r.code)).toEqual(['checked_in', 'checked_in']);
	});

	/**
	 * A three-day activity (today and the next two days, union time) with a session on each day,
	 * check-in staff `scanner`, and registered attendees: index → session day offset (0, 1, 2) or
	 * null (no session). Returns the tickets, registration ids and the three days.
	 */
	async function threeDays(bookings: Record<number, number | null>) {
		const [range] = await asOwner(db.backend, (tx) =>
			tx.query<{ starts_at: string; ends_at: string; days: string[] }>(
				`select ((d::timestamp + time '00:05') at time zone s.time_zone)::text as starts_at,
					(((d + 2)::timestamp + time '23:00') at time zone s.time_zone)::text as ends_at,
					array[d::text, (d + 1)::text, (d + 2)::text] as days
				from private.union_settings s,
					lateral (select (now() at time zone s.time_zone)::date as d) today`
			)
		);
		if (!range) throw new Error('no days');
		const { activity } = await venue({}, { starts_at: range.starts_at, ends_at: range.ends_at });
		const tickets: Record<number, string> = {};
		const registrations: Record<number, string> = {};
		await asOwner(db.backend, async (tx) => {
			await tx.query(
				`insert into private.sessions (activity_id, label, starts_at, ends_at)
				select $1::uuid, '', (((d + o)::timestamp + time '08:30') at time zone s.time_zone),
					(((d + o)::timestamp + time '11:30') at time zone s.time_zone)
				from private.union_settings s,
					lateral (select (now() at time zone s.time_zone)::date as d) today,
					generate_series(0, 2) o`,
				[activity]
			);
			for (const [index, offset] of Object.entries(bookings)) {
				const caller = attendee(Number(index));
				if (caller.role !== 'authenticated') continue;
				const [row] = await tx.query<{ id: string; ticket_secret: string }>(
					`insert into private.registrations (activity_id, member_id, status, session_id)
					select $1::uuid, m.id, 'registered', (
						select s.id from private.sessions s where s.activity_id = $1::uuid and $3::int is not null
						order by s.starts_at offset $3::int limit 1
					)
					from private.members m where m.user_id = $2::uuid
					returning id, ticket_secret`,
					[activity, caller.userId, offset === null ? null : String(offset)]
				);
				tickets[Number(index)] = row?.ticket_secret ?? '';
				registrations[Number(index)] = row?.id ?? '';
			}
		});
		return { activity, tickets, registrations, days: range.days };
	}

	test("R1 a ticket for another day's session is refused as wrong_day, naming its day, one by one and in a batch alike", async () => {
		const bookings = { 32: 0, 33: 1, 34: null, 35: 2 };
		const answers: Result[][] = [];
		for (const oneByOne of [false, true]) {
			const { activity, tickets, registrations, days } = await threeDays(bookings);
			const batch = [
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[32], day: days[0] }),
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[33], day: days[0] }),
				action(scanner, 'check_in', { activity_id: activity, ticket: tickets[34], day: days[0] }),
				action(scanner, 'check_in', {
					activity_id: activity,
					registration_id: registrations[35],
					day: days[0]
				})
			];
			const results = oneByOne
				? (await send(scanner, [...batch, action(scanner, 'fly_to_moon', {})])).slice(0, 4)
				: await send(scanner, batch);
			expect(results.map((r) => [r.status, r.code])).toEqual([
				['applied', 'checked_in'],
				['rejected', 'wrong_day'],
				['applied', 'checked_in'],
				['rejected', 'wrong_day']
			]);
			expect(results[1]?.entity).toMatchObject({ session_day: days[1] });
			expect(results[3]?.entity).toMatchObject({ session_day: days[2] });
			expect(await counter(activity)).toMatchObject({ checked_in: 2 });
			// On the ticket's own day it is admitted.
			const onItsDay = await scan(scanner, activity, tickets[33] ?? '', { day: days[1] });
			expect(onItsDay).toMatchObject({ status: 'applied', code: 'checked_in' });
			answers.push(results);
		}
		// The same answers, but for the ids of the two venues' sessions.
		const same = (result: Result) => {
			const shown = comparable(result);
			return { ...shown, entity: shown.entity && { ...shown.entity, session_id: 'a session' } };
		};
		const [together, alone] = answers as [Result[], Result[]];
		expect(together.map(same)).toEqual(alone.map(same));
	});

	test('R1 only an organizer checks a ticket in on another day, flagged other_day for review', async () => {
		const { activity, tickets, days } = await threeDays({ 36: 1 });
		const byStaff = await scan(scanner, activity, tickets[36] ?? '', {
			day: days[0],
			override_day: true
		});
		expect(byStaff).toMatchObject({ status: 'rejected', code: 'override_not_allowed' });
		const byOffice = await scan(office, activity, tickets[36] ?? '', {
			day: days[0],
			override_day: true
		});
		expect(byOffice).toMatchObject({ status: 'applied', code: 'checked_in' });
		expect(byOffice.warnings).toContain('other_day');
		const inbox = await callApi<Array<{ flags: string[] }>>(
			db.backend,
			office,
			'select public.list_checkin_conflicts($1::uuid) as result',
			[activity]
		);
		expect(inbox.ok && inbox.value.map((c) => c.flags)).toEqual([['other_day']]);
	});

	test("R1 the counter expects only the day's people: no session, or a session on that day", async () => {
		const { activity, days } = await threeDays({ 37: 0, 38: 0, 39: 1, 40: null, 41: 2 });
		const perDay = await Promise.all(
			days.map(async (day) => {
				const outcome = await callApi<Counter & { sessions: Array<{ admitted: number }> }>(
					db.backend,
					office,
					'select public.get_checkin_counter($1::uuid, $2::date) as result',
					[activity, day]
				);
				if (!outcome.ok) throw new Error(outcome.code);
				return [outcome.value.admitted, outcome.value.sessions.map((s) => s.admitted)];
			})
		);
		expect(perDay).toEqual([
			[3, [2]],
			[2, [1]],
			[2, [1]]
		]);
	});

	test('a day outside the activity is refused', async () => {
		const { activity, tickets } = await venue({ 20: 'registered' });
		const result = await scan(scanner, activity, tickets[20] ?? '', { day: '2000-01-01' });
		expect(result).toMatchObject({ status: 'rejected', code: 'wrong_day' });
	});
});
