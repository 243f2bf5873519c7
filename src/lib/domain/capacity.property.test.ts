// Property test of the capacity rule (docs/invariants.md, promise 3) as a TS model of what the
// server does (supabase/schemas/02_signup.sql: admit while seats last, guests count, waitlist
// in order, promotion on cancel without overtaking), checked with the app's own seat arithmetic
// (seatsLeft). tests/security/properties.test.ts runs random sequences against the database too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seatsLeft } from './activity-state.ts';

type Status = 'registered' | 'waitlisted' | 'cancelled';
interface Registration {
	member: number;
	guests: number;
	status: Status;
	queuedAt: number;
}

type CapacityOp =
	{ type: 'signup'; member: number; guests: number } | { type: 'cancel'; member: number };

/** The server's rules, in TS. */
function simulate(capacity: number, waitlist: boolean, ops: readonly CapacityOp[]) {
	const registrations = new Map<number, Registration>();
	let clock = 0;
	const taken = () =>
		[...registrations.values()]
			.filter((r) => r.status === 'registered')
			.reduce((sum, r) => sum + 1 + r.guests, 0);
	const promote = () => {
		const queue = [...registrations.values()]
			.filter((r) => r.status === 'waitlisted')
			.sort((a, b) => a.queuedAt - b.queuedAt);
		for (const head of queue) {
			if (capacity - taken() < 1 + head.guests) break;
			head.status = 'registered';
		}
	};
	const trace: number[] = [];
	for (const op of ops) {
		const existing = registrations.get(op.member);
		if (op.type === 'signup') {
			if (existing && existing.status !== 'cancelled') continue;
			const anyoneWaiting = [...registrations.values()].some((r) => r.status === 'waitlisted');
			const fits = seatsLeft({ capacity, seatsTaken: taken() })! >= 1 + op.guests;
			const status: Status | null =
				fits && !anyoneWaiting ? 'registered' : waitlist ? 'waitlisted' : null;
			if (status !== null) {
				registrations.set(op.member, {
					member: op.member,
					guests: op.guests,
					status,
					queuedAt: clock++
				});
			}
		} else if (existing && existing.status !== 'cancelled') {
			existing.status = 'cancelled';
			promote();
		}
		trace.push(taken());
	}
	return { registrations, taken: taken(), trace };
}

const capacityOps = (members: number, guestsMax: number) =>
	fc.array(
		fc.oneof(
			fc.record({
				type: fc.constant('signup' as const),
				member: fc.nat(members - 1),
				guests: fc.nat(guestsMax)
			}),
			fc.record({ type: fc.constant('cancel' as const), member: fc.nat(members - 1) })
		),
		{ maxLength: 60 }
	);

describe('capacity (fast-check)', () => {
	it('seats taken never exceed capacity under random sign-ups and cancels with guests', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 12 }),
				fc.boolean(),
				capacityOps(15, 3),
				(capacity, waitlist, ops) => {
					const { trace, registrations, taken } = simulate(capacity, waitlist, ops);
					for (const seats of trace) expect(seats).toBeLessThanOrEqual(capacity);
					expect(seatsLeft({ capacity, seatsTaken: taken })).toBe(capacity - taken);
					// Nobody waits while the head of the queue would fit (promotion is not forgotten).
					const waiting = [...registrations.values()]
						.filter((r) => r.status === 'waitlisted')
						.sort((a, b) => a.queuedAt - b.queuedAt);
					if (waiting[0]) expect(capacity - taken).toBeLessThan(1 + waiting[0].guests);
				}
			),
			{ numRuns: 500 }
		);
	});

	it('seatsLeft is never negative, even when guests were counted late', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat(2000), (capacity, seatsTaken) => {
				const left = seatsLeft({ capacity, seatsTaken });
				expect(left).toBeGreaterThanOrEqual(0);
				expect(left).toBe(Math.max(0, capacity - seatsTaken));
			})
		);
	});
});
