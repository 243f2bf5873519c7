// The outbox's server contract (docs/decisions.md §2–4, §10): apply_actions applies each
// client action exactly once. Titles carry the catalogue ids; invariant I2 (at most one ledger
// row and one effect per action id) is asserted throughout.
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

interface ActionResult {
	id: string;
	status: 'applied' | 'noop' | 'rejected' | 'retry';
	code?: string;
	warnings: string[];
	replayed?: boolean;
	activity_version?: number;
	entity?: { id: string; status: string; generation: number };
}

interface ApplyResponse {
	server_time: string;
	results: ActionResult[];
}

interface Action {
	id: string;
	v: number;
	seq: number;
	kind: string;
	user_id: string;
	client_at: string;
	payload: Record<string, unknown>;
}

let sequence = 0;

function action(
	caller: Caller,
	kind: string,
	payload: Record<string, unknown>,
	overrides: Partial<Action> = {}
): Action {
	if (caller.role !== 'authenticated') throw new Error('actions belong to signed-in users');
	sequence += 1;
	return {
		id: randomUUID(),
		v: 1,
		seq: sequence,
		kind,
		user_id: caller.userId,
		client_at: new Date().toISOString(),
		payload,
		...overrides
	};
}

describe.each(lanes())('apply_actions on $name', (lane) => {
	let db: SeededDatabase;
	let members: Caller[];

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		members = await membersWhere(db.backend, `m.member_type = 'staff'`, 60);
	});

	afterAll(async () => {
		await db.close();
	});

	const member = (index: number): Caller => {
		const found = members[index];
		if (!found) throw new Error(`no member ${String(index)}`);
		return found;
	};

	async function apply(
		caller: Caller,
		actions: unknown[],
		options: { device?: string; sentAt?: string } = {}
	): Promise<ApplyResponse> {
		const outcome = await callApi<ApplyResponse>(
			db.backend,
			caller,
			'select public.apply_actions(device_id => $1, sent_at => $2::timestamptz, actions => $3::text::jsonb) as result',
			[
				options.device ?? 'phone-1',
				options.sentAt ?? new Date().toISOString(),
				JSON.stringify(actions)
			]
		);
		if (!outcome.ok) throw new Error(`apply_actions failed: ${outcome.status} ${outcome.code}`);
		return outcome.value;
	}

	async function ledgerRows(id: string): Promise<number> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				'select count(*)::int as n from private.client_actions where id = $1::uuid',
				[id]
			)
		);
		return row?.n ?? -1;
	}

	async function registrations(
		activity: string
	): Promise<Array<{ status: string; generation: number }>> {
		return asOwner(db.backend, (tx) =>
			tx.query<{ status: string; generation: number }>(
				'select status, generation from private.registrations where activity_id = $1::uuid order by queued_at',
				[activity]
			)
		);
	}

	test('applies a signup and answers with the registration and the activity version', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const signup = action(member(0), 'signup', { activity_id: activity });
		const response = await apply(member(0), [signup]);
		expect(response.results).toEqual([
			expect.objectContaining({
				id: signup.id,
				status: 'applied',
				code: 'registered',
				replayed: false
			})
		]);
		expect(response.results[0]?.entity?.status).toBe('registered');
		expect(response.results[0]?.activity_version).toBeGreaterThan(1);
	});

	test('T21 a replay returns the first result and makes no second effect', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const signup = action(member(1), 'signup', { activity_id: activity });
		const first = await apply(member(1), [signup]);
		const second = await apply(member(1), [signup]);
		expect(second.results[0]).toEqual({ ...first.results[0], replayed: true });
		expect(await ledgerRows(signup.id)).toBe(1);
		expect(await registrations(activity)).toHaveLength(1);
	});

	test('T22 ten identical calls at once make one effect, and all answer alike', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const signup = action(member(2), 'signup', { activity_id: activity });
		const responses = await Promise.all(
			Array.from({ length: 10 }, () => apply(member(2), [signup]))
		);
		const statuses = responses.map((r) => r.results[0]?.status);
		expect(new Set(statuses)).toEqual(new Set(['applied']));
		expect(responses.filter((r) => r.results[0]?.replayed === false)).toHaveLength(1);
		expect(await ledgerRows(signup.id)).toBe(1);
		expect(await registrations(activity)).toEqual([{ status: 'registered', generation: 1 }]);
	});

	test('T23 an id reused with another payload is rejected and the first effect stays', async () => {
		const first = await createActivity(db.backend, { capacity: 5 });
		const other = await createActivity(db.backend, { capacity: 5 });
		const signup = action(member(3), 'signup', { activity_id: first });
		await apply(member(3), [signup]);
		const reused = await apply(member(3), [{ ...signup, payload: { activity_id: other } }]);
		expect(reused.results[0]).toMatchObject({ status: 'rejected', code: 'id_reuse' });
		expect(await registrations(first)).toHaveLength(1);
		expect(await registrations(other)).toHaveLength(0);
	});

	test('T24 an action of another user is rejected, and another user cannot replay mine', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const forged = action(member(4), 'signup', { activity_id: activity });
		const response = await apply(member(5), [forged]);
		expect(response.results[0]).toMatchObject({ status: 'rejected', code: 'wrong_user' });
		expect(await registrations(activity)).toHaveLength(0);
		const mine = action(member(6), 'signup', { activity_id: activity });
		await apply(member(6), [mine]);
		const stolen = await apply(member(7), [mine]);
		expect(stolen.results[0]).toMatchObject({ status: 'rejected', code: 'id_reuse' });
		expect(stolen.results[0]?.entity).toBeUndefined();
	});

	test('T24 the anonymous key cannot call apply_actions', async () => {
		const outcome = await callApi(
			db.backend,
			{ role: 'anon' },
			`select public.apply_actions('x', now(), '[]') as result`
		);
		expect(outcome).toMatchObject({ ok: false, status: '42501' });
	});

	test('T29 capacity race: 20 phones for the last seat, never over capacity', async () => {
		const activity = await createActivity(db.backend, { capacity: 1 });
		const crowd = members.slice(20, 40);
		const responses = await Promise.all(
			crowd.map((caller, index) =>
				apply(caller, [action(caller, 'signup', { activity_id: activity })], {
					device: `phone-${String(index)}`
				})
			)
		);
		const codes = responses.map((r) => r.results[0]?.code);
		expect(codes.filter((c) => c === 'registered')).toHaveLength(1);
		expect(codes.filter((c) => c === 'waitlisted')).toHaveLength(19);
	});

	test('T30 a stale cancel queued for an earlier sign-up leaves the newer sign-up active', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const phone = member(8);
		const signup = action(phone, 'signup', { activity_id: activity });
		const signed = await apply(phone, [signup]);
		const generation = signed.results[0]?.entity?.generation;
		expect(generation).toBe(1);
		// On the laptop: cancel and sign up again (generation 2).
		await apply(phone, [action(phone, 'cancel_signup', { activity_id: activity })], {
			device: 'laptop'
		});
		await apply(phone, [action(phone, 'signup', { activity_id: activity })], { device: 'laptop' });
		// The phone's old intent arrives last.
		const stale = await apply(phone, [
			action(phone, 'cancel_signup', { activity_id: activity, generation })
		]);
		expect(stale.results[0]).toMatchObject({ status: 'noop', code: 'stale_target' });
		expect(await registrations(activity)).toEqual([{ status: 'registered', generation: 2 }]);
	});

	test('T31 one bad action never blocks the rest; business refusals are stored for replay', async () => {
		const open = await createActivity(db.backend, { capacity: 5 });
		const closed = await createActivity(db.backend, {
			signup_closes_at: new Date(Date.now() - 60_000).toISOString()
		});
		const caller = member(9);
		const batch = [
			action(caller, 'signup', { activity_id: open }),
			action(caller, 'signup', { activity_id: closed }),
			action(caller, 'signup', { activity_id: 'not-a-uuid' }),
			action(caller, 'fly_to_moon', {}),
			{ id: 'garbage', seq: 'x' },
			action(caller, 'cancel_signup', { activity_id: open })
		];
		const response = await apply(caller, batch);
		// Results come in the order applied (by seq; unnamed ones first): match them by id.
		const byId = new Map(response.results.map((r) => [r.id, [r.status, r.code]]));
		expect(batch.map((a) => byId.get(a.id))).toEqual([
			['applied', 'registered'],
			['rejected', 'signup_closed'],
			['rejected', 'malformed'],
			['rejected', 'unknown_kind'],
			['rejected', 'malformed'],
			['applied', 'cancelled']
		]);
		const replay = await apply(caller, [batch[1]]);
		expect(replay.results[0]).toMatchObject({
			status: 'rejected',
			code: 'signup_closed',
			replayed: true
		});
	});

	test('T31 a transient lock timeout halts the batch: that action and the ones after it retry', async () => {
		if (lane.name !== 'postgres') {
			// PGlite has one connection: no other session can hold a lock. Asserted on PostgreSQL.
			expect(lane.name).toBe('pglite');
			return;
		}
		const locked = await createActivity(db.backend, { capacity: 5 });
		const free = await createActivity(db.backend, { capacity: 5 });
		const caller = member(10);
		const first = action(caller, 'signup', { activity_id: free });
		const blocked = action(caller, 'signup', { activity_id: locked });
		const after = action(caller, 'cancel_signup', { activity_id: free });
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let lockTaken: () => void = () => undefined;
		const taken = new Promise<void>((resolve) => {
			lockTaken = resolve;
		});
		const holder = asOwner(db.backend, async (tx) => {
			await tx.query('select 1 from private.activities where id = $1::uuid for update', [locked]);
			lockTaken();
			await held;
		});
		await taken;
		const response = await callApi<ApplyResponse>(
			db.backend,
			caller,
			`select set_config('lock_timeout', '200ms', true), public.apply_actions('phone-1', now(), $1::text::jsonb) as result`,
			[JSON.stringify([first, blocked, after])]
		);
		release();
		await holder;
		expect(response.ok && response.value.results.map((r) => r.status)).toEqual([
			'applied',
			'retry',
			'retry'
		]);
		expect(await registrations(free)).toEqual([{ status: 'registered', generation: 1 }]);
		expect(await ledgerRows(blocked.id)).toBe(0);
	});

	test('T28 a phone whose clock is hours off is flagged, and the outcome is the same', async () => {
		const activity = await createActivity(db.backend, { capacity: 5 });
		const caller = member(11);
		const skewed = action(
			caller,
			'signup',
			{ activity_id: activity },
			{
				client_at: new Date(Date.now() + 3 * 3_600_000).toISOString()
			}
		);
		const response = await apply(caller, [skewed], {
			sentAt: new Date(Date.now() + 3 * 3_600_000).toISOString()
		});
		expect(response.results[0]).toMatchObject({
			status: 'applied',
			code: 'registered',
			warnings: ['clock_skew']
		});
	});

	test('R15 "v":"1" (a string) is malformed on the set-based path exactly as one by one', async () => {
		const office = demo('office');
		const hour = 3_600_000;
		const activity = await createActivity(db.backend, {
			starts_at: new Date(Date.now() - hour).toISOString(),
			ends_at: new Date(Date.now() + hour).toISOString(),
			signup_opens_at: new Date(Date.now() - 24 * hour).toISOString(),
			signup_closes_at: new Date(Date.now() - 2 * hour).toISOString()
		});
		const tickets = await asOwner(db.backend, (tx) =>
			tx.query<{ ticket_secret: string }>(
				`insert into private.registrations (activity_id, member_id, status)
				select $1::uuid, m.id, 'registered' from private.members m
				where m.user_id = any ($2::uuid[]) returning ticket_secret`,
				[
					activity,
					`{${[member(50), member(51)].map((m) => (m.role === 'authenticated' ? m.userId : '')).join(',')}}`
				]
			)
		);
		const scan = (ticket: string | undefined) => ({
			...action(office, 'check_in', { activity_id: activity, ticket }),
			v: '1'
		});
		// A batch of check-ins only takes the set-based path; another kind in it, one by one.
		const together = await apply(office, [scan(tickets[0]?.ticket_secret)]);
		const alone = await apply(office, [
			scan(tickets[1]?.ticket_secret),
			action(office, 'fly_to_moon', {})
		]);
		expect(together.results[0]).toMatchObject({ status: 'rejected', code: 'malformed' });
		expect(alone.results[0]).toMatchObject({ status: 'rejected', code: 'malformed' });
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				'select count(*)::int as n from private.check_ins where activity_id = $1::uuid',
				[activity]
			)
		);
		expect(row?.n).toBe(0);
	});

	test('batches are bounded and need a device id', async () => {
		const caller = member(12);
		const tooMany = Array.from({ length: 51 }, () =>
			action(caller, 'signup', { activity_id: randomUUID() })
		);
		const outcome = await callApi(
			db.backend,
			caller,
			'select public.apply_actions($1, now(), $2::text::jsonb) as result',
			['phone-1', JSON.stringify(tooMany)]
		);
		expect(outcome).toMatchObject({ ok: false, status: 'PT413', code: 'batch_too_large' });
		const noDevice = await callApi(
			db.backend,
			caller,
			`select public.apply_actions('', now(), '[]') as result`
		);
		expect(noDevice).toMatchObject({ ok: false, status: 'PT400', code: 'device_invalid' });
	});
});
