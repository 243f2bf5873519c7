// The member pages' reading of their own actions: which registration generation a queued cancel
// names (T30: a stale cancel never cancels a newer sign-up), how an answer reads in the outcome
// panel, and the logout dialog's explicit discard (only this user's pending actions go).
import { afterEach, describe, expect, test } from 'vitest';
import type { OutboxRow } from '../../src/lib/domain/outbox.ts';
import { cancelGeneration, outcomeOf } from '../../src/lib/offline/registration-view.ts';
import { USER_A, USER_B, activityId, closeTab, openTab, signup, type Tab } from './support.ts';

const ACTIVITY = activityId(1);
let seq = 0;

function row(
	kind: 'signup' | 'cancel_signup',
	status: OutboxRow['status'],
	extra: Partial<OutboxRow> = {}
): OutboxRow {
	seq += 1;
	return {
		id: `00000000-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`,
		v: 1,
		seq,
		kind,
		payload: { activity_id: ACTIVITY },
		userId: USER_A,
		deviceId: 'device',
		clientAt: new Date(0).toISOString(),
		activityId: ACTIVITY,
		status,
		attempts: 0,
		failures: 0,
		nextAttemptAt: 0,
		createdAt: seq,
		updatedAt: seq,
		...extra
	} as OutboxRow;
}

function acked(
	kind: 'signup' | 'cancel_signup',
	entity: Record<string, unknown>,
	version: number
): OutboxRow {
	return row(kind, 'acked', {
		settledAt: 1_000,
		result: {
			id: 'x',
			status: 'applied',
			code: typeof entity.status === 'string' ? entity.status : null,
			activity_version: version,
			entity
		}
	});
}

describe('cancelGeneration (the registration a queued cancel is meant for)', () => {
	const snapshot = { version: 5, fetchedAt: 2_000 };

	test('an active registration read from the server: its own generation', () => {
		expect(
			cancelGeneration({ status: 'registered', generation: 3 }, snapshot, [], ACTIVITY, USER_A)
		).toBe(3);
	});

	test('a sign-up saved offline for an activity never joined: generation 1', () => {
		expect(cancelGeneration(null, snapshot, [row('signup', 'pending')], ACTIVITY, USER_A)).toBe(1);
	});

	test('a sign-up saved offline after an earlier cancelled one: the next generation', () => {
		expect(
			cancelGeneration(
				{ status: 'cancelled', generation: 2 },
				snapshot,
				[row('signup', 'pending')],
				ACTIVITY,
				USER_A
			)
		).toBe(3);
	});

	test('a pending sign-up over an active registration creates nothing new', () => {
		expect(
			cancelGeneration(
				{ status: 'waitlisted', generation: 4 },
				snapshot,
				[row('signup', 'pending')],
				ACTIVITY,
				USER_A
			)
		).toBe(4);
	});

	test('an acked sign-up not yet in the snapshot brings its generation; a retired one does not', () => {
		const fresh = acked('signup', { status: 'registered', generation: 7 }, 9);
		expect(
			cancelGeneration({ status: 'cancelled', generation: 6 }, snapshot, [fresh], ACTIVITY, USER_A)
		).toBe(7);
		const old = acked('signup', { status: 'registered', generation: 2 }, 4);
		expect(
			cancelGeneration({ status: 'registered', generation: 6 }, snapshot, [old], ACTIVITY, USER_A)
		).toBe(6);
	});

	test("another user's rows and other activities are ignored", () => {
		const foreign = row('signup', 'pending', { userId: USER_B });
		const elsewhere = row('signup', 'pending', { activityId: activityId(2) });
		expect(cancelGeneration(null, snapshot, [foreign, elsewhere], ACTIVITY, USER_A)).toBe(
			undefined
		);
	});
});

describe('outcomeOf (what the outcome panel says)', () => {
	test('pending, applied with a waitlist place, a replayed noop, a refusal, a dead letter', () => {
		expect(outcomeOf(row('signup', 'pending'))).toEqual({ state: 'pending', kind: 'signup' });
		expect(
			outcomeOf(acked('signup', { status: 'waitlisted', generation: 1, waitlist_position: 2 }, 3))
		).toMatchObject({ state: 'done', status: 'waitlisted', waitlistPosition: 2, existing: false });
		const noop = row('signup', 'acked', {
			result: {
				id: 'x',
				status: 'noop',
				code: 'already_registered',
				entity: { status: 'registered' }
			}
		});
		expect(outcomeOf(noop)).toMatchObject({ state: 'done', status: 'registered', existing: true });
		const refused = row('signup', 'rejected', {
			result: { id: 'x', status: 'rejected', code: 'full' }
		});
		expect(outcomeOf(refused)).toEqual({
			state: 'refused',
			kind: 'signup',
			code: 'full',
			blocked: false
		});
		expect(outcomeOf(row('cancel_signup', 'blocked'))).toMatchObject({
			state: 'refused',
			blocked: true
		});
	});
});

describe('discardPending (logout: "discard N", explicit and counted)', () => {
	const tabs: Tab[] = [];
	afterEach(() => {
		for (const opened of tabs.splice(0)) closeTab(opened);
	});

	test("deletes only this user's pending actions and says how many", async () => {
		const tab = openTab();
		tabs.push(tab);
		const a1 = await tab.outbox.enqueue(USER_A, 'signup', signup(1));
		await tab.outbox.enqueue(USER_A, 'signup', signup(2));
		const b1 = await tab.outbox.enqueue(USER_B, 'signup', signup(3));
		await tab.outbox.save([{ ...a1, status: 'rejected', settledAt: 1 }]);
		expect(await tab.outbox.discardPending(USER_A)).toBe(1);
		const left = await tab.outbox.rows();
		expect(left.map((r) => [r.userId, r.status]).sort()).toEqual(
			[
				[USER_A, 'rejected'],
				[USER_B, 'pending']
			].sort()
		);
		expect(left.some((r) => r.id === b1.id)).toBe(true);
	});
});
