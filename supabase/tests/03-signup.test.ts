// Sign-up under every rule of an activity, cancel, the waitlist and the lottery (issue: employees
// sign up). Each test makes its own activity, so tests do not share seats.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	asOwner,
	callApi,
	createActivity,
	lanes,
	linkAllMembers,
	membersWhere,
	type ApiOutcome,
	type Caller,
	type SeededDatabase
} from './support.ts';

interface Registration {
	id: string;
	status: string;
	session_id: string | null;
	guest_names: string[];
	ticket_secret: string | null;
	waitlist_position: number | null;
}

interface SignUpResult {
	outcome: string;
	existing: boolean;
	registration: Registration;
	promoted?: number;
}

interface SignUpInput {
	session?: string | null;
	guests?: string[];
	answers?: Record<string, unknown>;
}

const pgArray = (values: string[]) =>
	`{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

describe.each(lanes())('sign-up on $name', (lane) => {
	let db: SeededDatabase;
	let women: Caller[];
	let men: Caller[];
	let retired: Caller[];

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		women = await membersWhere(db.backend, `m.gender = 'female' and m.member_type = 'staff'`, 120);
		men = await membersWhere(db.backend, `m.gender = 'male' and m.member_type = 'staff'`, 20);
		retired = await membersWhere(db.backend, `m.member_type = 'retired'`, 5);
	});

	afterAll(async () => {
		await db.close();
	});

	const person = (list: Caller[], index: number): Caller => {
		const found = list[index];
		if (!found) throw new Error(`no member ${String(index)}`);
		return found;
	};

	function signUp(
		caller: Caller,
		activity: string,
		input: SignUpInput = {}
	): Promise<ApiOutcome<SignUpResult>> {
		return callApi<SignUpResult>(
			db.backend,
			caller,
			'select public.sign_up(activity_id => $1::uuid, session_id => $2::uuid, guest_names => $3::text[], answers => $4::text::jsonb) as result',
			[
				activity,
				input.session ?? null,
				pgArray(input.guests ?? []),
				JSON.stringify(input.answers ?? {})
			]
		);
	}

	function cancel(caller: Caller, activity: string): Promise<ApiOutcome<SignUpResult>> {
		return callApi<SignUpResult>(
			db.backend,
			caller,
			'select public.cancel_registration(activity_id => $1::uuid) as result',
			[activity]
		);
	}

	const outcome = (result: ApiOutcome<SignUpResult>) =>
		result.ok ? result.value.outcome : result.code;

	async function seats(activity: string): Promise<number> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				'select seats_taken as n from private.activities where id = $1::uuid',
				[activity]
			)
		);
		return Number(row?.n);
	}

	async function statuses(activity: string): Promise<Record<string, number>> {
		const rows = await asOwner(db.backend, (tx) =>
			tx.query<{ status: string; n: number }>(
				'select status, count(*)::int as n from private.registrations where activity_id = $1::uuid group by status',
				[activity]
			)
		);
		return Object.fromEntries(rows.map((r) => [r.status, r.n]));
	}

	test('first come takes a seat and gets a ticket of at least 128 bits', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const result = await signUp(person(women, 0), activity);
		expect(result.ok && result.value.outcome).toBe('registered');
		const secret = result.ok ? result.value.registration.ticket_secret : null;
		expect(secret).toMatch(/^[A-Za-z0-9_-]{24}$/); // 18 random bytes: 144 bits
		expect(await seats(activity)).toBe(1);
	});

	test('a repeated request returns the existing registration; a different one is refused', async () => {
		const activity = await createActivity(db.backend, { capacity: 5, guests_max: 2 });
		const first = await signUp(person(women, 1), activity, { guests: ['张三'] });
		const again = await signUp(person(women, 1), activity, { guests: ['张三'] });
		expect(again.ok && again.value.existing).toBe(true);
		expect(again.ok && again.value.registration.id).toBe(first.ok && first.value.registration.id);
		expect(outcome(await signUp(person(women, 1), activity, { guests: [] }))).toBe(
			'already_registered'
		);
		expect(await seats(activity)).toBe(2);
	});

	test('a double tap (two requests at once) makes one registration', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const results = await Promise.all([
			signUp(person(women, 2), activity),
			signUp(person(women, 2), activity)
		]);
		expect(results.map(outcome)).toEqual(['registered', 'registered']);
		expect(await statuses(activity)).toEqual({ registered: 1 });
	});

	test('the signup window is judged on server time', async () => {
		const notYet = await createActivity(db.backend, {
			signup_opens_at: new Date(Date.now() + 3_600_000).toISOString()
		});
		expect(outcome(await signUp(person(women, 3), notYet))).toBe('signup_not_open');
		// Closed a minute ago by the server's clock: whatever a phone's clock says, it is closed.
		const closed = await createActivity(db.backend, {
			signup_closes_at: new Date(Date.now() - 60_000).toISOString()
		});
		expect(outcome(await signUp(person(women, 3), closed))).toBe('signup_closed');
		const started = await createActivity(db.backend, {
			starts_at: new Date(Date.now() - 60_000).toISOString(),
			signup_closes_at: null
		});
		expect(outcome(await signUp(person(women, 3), started))).toBe('signup_closed');
		expect(await statuses(notYet)).toEqual({});
		expect(await statuses(closed)).toEqual({});
	});

	test('cancelled, closed and draft activities refuse sign-up with their own reasons', async () => {
		const cancelled = await createActivity(db.backend, { status: 'cancelled' });
		const closedByOffice = await createActivity(db.backend, { status: 'closed' });
		const draft = await createActivity(db.backend, { status: 'draft' });
		expect(outcome(await signUp(person(women, 4), cancelled))).toBe('activity_cancelled');
		expect(outcome(await signUp(person(women, 4), closedByOffice))).toBe('signup_closed');
		expect(outcome(await signUp(person(women, 4), draft))).toBe('activity_not_found');
		expect(outcome(await signUp(person(women, 4), '00000000-0000-4000-8000-000000000000'))).toBe(
			'activity_not_found'
		);
	});

	test('eligibility by gender, member type and unit is enforced by the server', async () => {
		const womenOnly = await createActivity(db.backend, { eligible_genders: ['female'] });
		const failure = await signUp(person(men, 0), womenOnly);
		expect(failure).toMatchObject({ ok: false, status: 'PT403', code: 'ineligible_gender' });
		const staffOnly = await createActivity(db.backend, {
			eligible_member_types: ['staff', 'contract']
		});
		expect(outcome(await signUp(person(retired, 0), staffOnly))).toBe('ineligible_member_type');
		const [nursing] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(`select id from private.units where code = 'U03'`)
		);
		const nursingOnly = await createActivity(db.backend, { eligible_unit_ids: [nursing?.id] });
		const nurses = await membersWhere(
			db.backend,
			`u.ancestors @> array[(select id from private.units where code = 'U03')]`,
			1
		);
		const others = await membersWhere(
			db.backend,
			`not (u.ancestors @> array[(select id from private.units where code = 'U03')])`,
			1
		);
		expect(outcome(await signUp(person(nurses, 0), nursingOnly))).toBe('registered');
		expect(outcome(await signUp(person(others, 0), nursingOnly))).toBe('ineligible_unit');
		expect(await statuses(womenOnly)).toEqual({});
	});

	test('guests count against capacity, up to the activity limit, with names', async () => {
		const trip = await createActivity(db.backend, { capacity: 4, guests_max: 2 });
		expect(
			outcome(await signUp(person(women, 5), trip, { guests: ['家属一', '家属二', '家属三'] }))
		).toBe('too_many_guests');
		expect(outcome(await signUp(person(women, 5), trip, { guests: ['  '] }))).toBe(
			'guest_name_invalid'
		);
		expect(outcome(await signUp(person(women, 5), trip, { guests: [' 李四 ', '王五'] }))).toBe(
			'registered'
		);
		expect(await seats(trip)).toBe(3);
		// One seat left: a member with one guest needs two, so they wait.
		expect(outcome(await signUp(person(women, 6), trip, { guests: ['赵六'] }))).toBe('waitlisted');
		expect(outcome(await signUp(person(women, 7), trip))).toBe('waitlisted');
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ guest_names: string[] }>(
				'select guest_names from private.registrations where activity_id = $1::uuid and cardinality(guest_names) = 2',
				[trip]
			)
		);
		expect(row?.guest_names).toEqual(['李四', '王五']);
	});

	test('without a waitlist a full activity says so', async () => {
		const activity = await createActivity(db.backend, { capacity: 1, waitlist_enabled: false });
		expect(outcome(await signUp(person(women, 8), activity))).toBe('registered');
		expect(outcome(await signUp(person(women, 9), activity))).toBe('full');
		expect(await statuses(activity)).toEqual({ registered: 1 });
	});

	test('typed questions are validated: required, choice, number range, text length, unknown keys', async () => {
		const questions = [
			{ id: 'package', kind: 'choice', required: true, options: [{ value: 'A' }, { value: 'B' }] },
			{ id: 'age', kind: 'number', min: 1, max: 120 },
			{ id: 'note', kind: 'text', max_length: 10 }
		];
		const activity = await createActivity(db.backend, { questions });
		const member = person(women, 10);
		expect(outcome(await signUp(member, activity, { answers: {} }))).toBe('answer_invalid');
		expect(outcome(await signUp(member, activity, { answers: { package: 'C' } }))).toBe(
			'answer_invalid'
		);
		expect(outcome(await signUp(member, activity, { answers: { package: 'A', age: 200 } }))).toBe(
			'answer_invalid'
		);
		expect(outcome(await signUp(member, activity, { answers: { package: 'A', age: '30' } }))).toBe(
			'answer_invalid'
		);
		expect(
			outcome(await signUp(member, activity, { answers: { package: 'A', note: 'x'.repeat(11) } }))
		).toBe('answer_invalid');
		expect(
			outcome(await signUp(member, activity, { answers: { package: 'A', is_admin: true } }))
		).toBe('answer_invalid');
		expect(await statuses(activity)).toEqual({});
		expect(
			outcome(await signUp(member, activity, { answers: { package: 'B', age: 41, note: '素食' } }))
		).toBe('registered');
	});

	test('sessions: required when the activity has them, of this activity, each with its capacity', async () => {
		const checkup = await createActivity(db.backend, {});
		const other = await createActivity(db.backend, {});
		const sessionIds = await asOwner(db.backend, async (tx) => {
			const rows = await tx.query<{ id: string }>(
				`insert into private.sessions (activity_id, starts_at, ends_at, capacity)
				select a.id, a.starts_at + g * interval '1 day', a.starts_at + g * interval '1 day' + interval '3 hours', 1
				from private.activities a, generate_series(0, 1) g where a.id = $1::uuid
				returning id`,
				[checkup]
			);
			const [foreign] = await tx.query<{ id: string }>(
				`insert into private.sessions (activity_id, starts_at, ends_at) select id, starts_at, ends_at
				from private.activities where id = $1::uuid returning id`,
				[other]
			);
			return [...rows.map((r) => r.id), foreign?.id ?? ''];
		});
		const [monday, tuesday, foreign] = sessionIds as [string, string, string];
		expect(outcome(await signUp(person(women, 11), checkup))).toBe('session_required');
		expect(outcome(await signUp(person(women, 11), checkup, { session: foreign }))).toBe(
			'session_invalid'
		);
		expect(outcome(await signUp(person(women, 11), checkup, { session: monday }))).toBe(
			'registered'
		);
		expect(outcome(await signUp(person(women, 12), checkup, { session: monday }))).toBe(
			'waitlisted'
		);
		expect(outcome(await signUp(person(women, 13), checkup, { session: tuesday }))).toBe(
			'registered'
		);
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ taken: number }>(
				'select sum(seats_taken)::int as taken from private.sessions where activity_id = $1::uuid',
				[checkup]
			)
		);
		expect(row?.taken).toBe(2);
	});

	test('cancelling frees the seat and promotes the waitlist in order', async () => {
		const activity = await createActivity(db.backend, { capacity: 2 });
		for (const index of [14, 15, 16, 17]) await signUp(person(women, index), activity);
		expect(await statuses(activity)).toEqual({ registered: 2, waitlisted: 2 });
		const result = await cancel(person(women, 14), activity);
		expect(result.ok && result.value.outcome).toBe('cancelled');
		expect(result.ok && result.value.promoted).toBe(1);
		const rows = await asOwner(db.backend, (tx) =>
			tx.query<{ email: string; status: string }>(
				`select m.email, r.status from private.registrations r join private.members m on m.id = r.member_id
				where r.activity_id = $1::uuid order by r.queued_at`,
				[activity]
			)
		);
		expect(rows.map((r) => r.status)).toEqual([
			'cancelled',
			'registered',
			'registered',
			'waitlisted'
		]);
		expect(await seats(activity)).toBe(2);
		// Cancelling again changes nothing.
		const again = await cancel(person(women, 14), activity);
		expect(again.ok && again.value.existing).toBe(true);
		expect(await seats(activity)).toBe(2);
	});

	test('after the cancellation deadline a cancel is refused; signing up again gives a new ticket', async () => {
		const late = await createActivity(db.backend, {
			cancel_deadline: new Date(Date.now() + 1000).toISOString(),
			capacity: 3
		});
		const first = await signUp(person(women, 18), late);
		await asOwner(db.backend, (tx) =>
			tx.query(
				`update private.activities set cancel_deadline = now() - interval '1 minute' where id = $1::uuid`,
				[late]
			)
		);
		expect(outcome(await cancel(person(women, 18), late))).toBe('cancel_deadline_passed');
		expect(await seats(late)).toBe(1);

		const activity = await createActivity(db.backend, { capacity: 3 });
		const before = await signUp(person(women, 19), activity);
		await cancel(person(women, 19), activity);
		const after = await signUp(person(women, 19), activity);
		expect(after.ok && after.value.outcome).toBe('registered');
		expect(after.ok && after.value.registration.ticket_secret).not.toBe(
			before.ok && before.value.registration.ticket_secret
		);
		expect(first.ok).toBe(true);
	});

	test('a rejected registration stays rejected when the member asks again', async () => {
		const activity = await createActivity(db.backend, { capacity: 3, admission: 'approval' });
		await signUp(person(women, 108), activity);
		await asOwner(db.backend, (tx) =>
			tx.query(
				`update private.registrations set status = 'rejected' where activity_id = $1::uuid`,
				[activity]
			)
		);
		expect(outcome(await signUp(person(women, 108), activity))).toBe('registration_rejected');
		expect(await statuses(activity)).toEqual({ rejected: 1 });
	});

	test('approval mode waits for the organizer', async () => {
		const activity = await createActivity(db.backend, { capacity: 3, admission: 'approval' });
		const result = await signUp(person(women, 20), activity);
		expect(result.ok && result.value.outcome).toBe('pending_approval');
		expect(result.ok && result.value.registration.ticket_secret).toBeNull();
		expect(await seats(activity)).toBe(0);
	});

	test('the lottery is drawn after close, reproducibly from its stored seed, and audited', async () => {
		const activity = await createActivity(db.backend, {
			capacity: 3,
			admission: 'lottery',
			waitlist_enabled: false
		});
		for (let index = 21; index < 29; index++) await signUp(person(women, index), activity);
		expect(await statuses(activity)).toEqual({ pending_approval: 8 });
		const office = (await membersWhere(db.backend, `m.email = 'office@union.example'`))[0];
		if (!office) throw new Error('no office account');
		const early = await callApi(
			db.backend,
			office,
			'select public.draw_lottery($1::uuid) as result',
			[activity]
		);
		expect(early).toMatchObject({ ok: false, code: 'lottery_before_close' });
		expect(
			await callApi(
				db.backend,
				person(women, 21),
				'select public.draw_lottery($1::uuid) as result',
				[activity]
			)
		).toMatchObject({ ok: false, code: 'not_allowed' });

		await asOwner(db.backend, (tx) =>
			tx.query(
				`update private.activities set signup_closes_at = now() - interval '1 second' where id = $1::uuid`,
				[activity]
			)
		);
		const draw = await callApi<{ seed: string; admitted: number }>(
			db.backend,
			office,
			'select public.draw_lottery($1::uuid) as result',
			[activity]
		);
		expect(draw.ok && draw.value.admitted).toBe(3);
		expect(await statuses(activity)).toEqual({ registered: 3, rejected: 5 });
		// Anyone can recompute the winners from the seed.
		const seed = draw.ok ? draw.value.seed : '';
		const check = await asOwner(db.backend, (tx) =>
			tx.query<{ matches: boolean }>(
				`select array_agg(id order by id) = (select array_agg(id order by id) from (
					select id from private.registrations where activity_id = $1::uuid
					order by md5($2 || id::text), id limit 3) w) as matches
				from private.registrations where activity_id = $1::uuid and status = 'registered'`,
				[activity, seed]
			)
		);
		expect(check[0]?.matches).toBe(true);
		const again = await callApi(
			db.backend,
			office,
			'select public.draw_lottery($1::uuid) as result',
			[activity]
		);
		expect(again).toMatchObject({ ok: false, code: 'lottery_already_drawn' });
		const audit = await asOwner(db.backend, (tx) =>
			tx.query(
				`select 1 from private.audit_log where action = 'lottery_drawn' and subject ->> 'activity_id' = $1`,
				[activity]
			)
		);
		expect(audit).toHaveLength(1);
	});

	test('a series limit caps sign-ups across the activities of a series', async () => {
		const first = await createActivity(db.backend, { series: 'contests-2027', series_limit: 1 });
		const second = await createActivity(db.backend, { series: 'contests-2027', series_limit: 1 });
		expect(outcome(await signUp(person(women, 29), first))).toBe('registered');
		expect(outcome(await signUp(person(women, 29), second))).toBe('series_limit_reached');
	});

	test('R4 100 members sign up for both activities of a series at once: nobody gets both', async () => {
		// On PostgreSQL the two sign-ups of a member run at the same instant on two connections;
		// PGlite runs them one after the other (the rule itself is asserted there too).
		const first = await createActivity(db.backend, { series: 'race-2027', series_limit: 1 });
		const second = await createActivity(db.backend, { series: 'race-2027', series_limit: 1 });
		const crowd = women.slice(0, 100);
		expect(crowd).toHaveLength(100);
		const results = await Promise.all(
			crowd.flatMap((member) => [signUp(member, first), signUp(member, second)])
		);
		const counts = results
			.map(outcome)
			.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
		expect(counts).toEqual({ registered: 100, series_limit_reached: 100 });
		const [both] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				`select count(*)::int as n from (
					select r.member_id from private.registrations r
					where r.activity_id in ($1::uuid, $2::uuid) and r.status = 'registered'
					group by r.member_id having count(*) > 1) twice`,
				[first, second]
			)
		);
		expect(both?.n).toBe(0);
	});

	test('50 concurrent sign-ups for the last seat: exactly one gets it, never over capacity', async () => {
		const activity = await createActivity(db.backend, { capacity: 2 });
		expect(outcome(await signUp(person(women, 30), activity))).toBe('registered');
		const crowd = women.slice(31, 81);
		expect(crowd).toHaveLength(50);
		const results = await Promise.all(crowd.map((member) => signUp(member, activity)));
		const counts = results
			.map(outcome)
			.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
		expect(counts).toEqual({ registered: 1, waitlisted: 49 });
		expect(await seats(activity)).toBe(2);
		expect(await statuses(activity)).toEqual({ registered: 2, waitlisted: 49 });
	});

	test('concurrent cancels promote each waitlisted person exactly once', async () => {
		const activity = await createActivity(db.backend, { capacity: 10 });
		const holders = women.slice(81, 91);
		const waiting = women.slice(91, 106);
		for (const member of holders) await signUp(member, activity);
		for (const member of waiting) await signUp(member, activity);
		const results = await Promise.all(holders.map((member) => cancel(member, activity)));
		expect(results.every((r) => r.ok)).toBe(true);
		const promoted = results.reduce((sum, r) => sum + (r.ok ? (r.value.promoted ?? 0) : 0), 0);
		expect(promoted).toBe(10);
		expect(await statuses(activity)).toEqual({ cancelled: 10, registered: 10, waitlisted: 5 });
		expect(await seats(activity)).toBe(10);
		const [audit] = await asOwner(db.backend, (tx) =>
			tx.query<{ ids: number; distinct_ids: number }>(
				`select count(*)::int as ids, count(distinct id)::int as distinct_ids
				from private.audit_log, jsonb_array_elements_text(subject -> 'registration_ids') id
				where action = 'waitlist_promoted' and subject ->> 'activity_id' = $1`,
				[activity]
			)
		);
		expect(audit).toEqual({ ids: 10, distinct_ids: 10 });
	});

	/**
	 * Holds the activity's row lock (as the office editing it would) until `whileHeld` has run and
	 * `waiters` sign-ups wait for it, then runs `change` in the same transaction and commits: the
	 * waiting sign-ups checked the rules before the lock and must judge the row they lock.
	 */
	async function holdingTheLock(
		activity: string,
		waiters: number,
		whileHeld: () => Promise<Array<ApiOutcome<SignUpResult>>>,
		change: string | null
	): Promise<Array<ApiOutcome<SignUpResult>>> {
		let release: () => void = () => undefined;
		const released = new Promise<void>((resolve) => {
			release = resolve;
		});
		let lockTaken: () => void = () => undefined;
		const taken = new Promise<void>((resolve) => {
			lockTaken = resolve;
		});
		const holder = asOwner(db.backend, async (tx) => {
			await tx.query('select 1 from private.activities where id = $1::uuid for update', [activity]);
			lockTaken();
			await released;
			if (change) await tx.query(change, [activity]);
		});
		await taken;
		const calls = whileHeld();
		for (let i = 0; ; i++) {
			const [row] = await asOwner(db.backend, (tx) =>
				tx.query<{ n: number }>(
					`select count(*)::int as n from pg_stat_activity
					where datname = current_database() and wait_event_type = 'Lock'`
				)
			);
			if (Number(row?.n) >= waiters) break;
			if (i > 200) throw new Error('the sign-ups never waited for the lock');
			await new Promise((resolve) => setTimeout(resolve, 25));
		}
		release();
		await holder;
		return calls;
	}

	test('a rule that changes while a sign-up waits for the lock is judged on the locked row', async () => {
		if (lane.name !== 'postgres') {
			// PGlite has one connection: no other session can hold a lock. Asserted on PostgreSQL.
			expect(lane.name).toBe('pglite');
			return;
		}
		const closing = await createActivity(db.backend, { capacity: 5 });
		const [closed] = await holdingTheLock(
			closing,
			1,
			async () => [await signUp(person(women, 108), closing)],
			`update private.activities set status = 'closed' where id = $1::uuid`
		);
		expect(closed && outcome(closed)).toBe('signup_closed');
		const narrowing = await createActivity(db.backend, { capacity: 5 });
		const [ineligible] = await holdingTheLock(
			narrowing,
			1,
			async () => [await signUp(person(women, 109), narrowing)],
			`update private.activities set eligible_genders = array['male'] where id = $1::uuid`
		);
		expect(ineligible && outcome(ineligible)).toBe('ineligible_gender');
		const sessions = await createActivity(db.backend, { capacity: 5 });
		const [needsSession] = await holdingTheLock(
			sessions,
			1,
			async () => [await signUp(person(women, 110), sessions)],
			`insert into private.sessions (activity_id, starts_at, ends_at, capacity)
			select id, starts_at, ends_at, 5 from private.activities where id = $1::uuid`
		);
		expect(needsSession && outcome(needsSession)).toBe('session_required');
		expect(await statuses(closing)).toEqual({});
		expect(await statuses(narrowing)).toEqual({});
		expect(await statuses(sessions)).toEqual({});
	});

	test('a double tap whose second request waits for the lock answers with the first sign-up', async () => {
		if (lane.name !== 'postgres') {
			expect(lane.name).toBe('pglite');
			return;
		}
		const activity = await createActivity(db.backend, { capacity: 5 });
		const member = person(women, 111);
		const results = await holdingTheLock(
			activity,
			2,
			async () => Promise.all([signUp(member, activity), signUp(member, activity)]),
			null
		);
		expect(results.map(outcome)).toEqual(['registered', 'registered']);
		expect(results.map((r) => r.ok && r.value.existing).sort()).toEqual([false, true]);
		expect(await statuses(activity)).toEqual({ registered: 1 });
		expect(await seats(activity)).toBe(1);
	});

	test('get_activity and list_my_registrations show the member their registration and ticket', async () => {
		const activity = await createActivity(db.backend, { capacity: 1, title: 'Detail test' });
		const member = person(women, 106);
		await signUp(member, activity);
		const detail = await callApi<{
			title: string;
			my_registration: Registration;
			ineligible_reason: null;
		}>(db.backend, member, 'select public.get_activity($1::uuid) as result', [activity]);
		expect(detail.ok && detail.value.my_registration.status).toBe('registered');
		const mine = await callApi<Array<Registration & { activity: { title: string } }>>(
			db.backend,
			member,
			'select public.list_my_registrations() as result'
		);
		expect(mine.ok && mine.value.find((r) => r.activity.title === 'Detail test')).toMatchObject({
			status: 'registered',
			ticket_secret: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/)
		});
		const waiting = person(women, 107);
		await signUp(waiting, activity);
		const waitingDetail = await callApi<{ my_registration: Registration }>(
			db.backend,
			waiting,
			'select public.get_activity($1::uuid) as result',
			[activity]
		);
		expect(waitingDetail.ok && waitingDetail.value.my_registration).toMatchObject({
			status: 'waitlisted',
			waitlist_position: 1,
			ticket_secret: null
		});
	});
});
