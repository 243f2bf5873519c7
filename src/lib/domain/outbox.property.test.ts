// Property tests of the outbox state machine (the outbox invariants, docs/decisions.md §10): random
// interleavings of enqueues, user switches and flushes whose answers fail in every way the
// catalogue lists (lost after commit, network error, retry, missing results, rejections) never
// lose an action (I1), never apply one twice (I2) and never send one under another user (I4).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	ACTION_SCHEMA_VERSION,
	nextBatch,
	settleBatch,
	toWire,
	type ApplyResponse,
	type OutboxRow
} from './outbox.ts';

const USERS = ['user-a', 'user-b', 'user-c'] as const;
const ACTIVITIES = ['act-1', 'act-2'] as const;

type Fault = 'ok' | 'lost_after_commit' | 'network' | 'retry_all' | 'missing_some' | 'reject_some';

type Command =
	| { type: 'enqueue'; user: number; activity: number }
	| { type: 'switch'; user: number }
	| { type: 'flush'; fault: Fault; size: number };

const command: fc.Arbitrary<Command> = fc.oneof(
	fc.record({
		type: fc.constant('enqueue' as const),
		user: fc.nat(USERS.length - 1),
		activity: fc.nat(ACTIVITIES.length - 1)
	}),
	fc.record({ type: fc.constant('switch' as const), user: fc.nat(USERS.length - 1) }),
	fc.record({
		type: fc.constant('flush' as const),
		fault: fc.constantFrom<Fault>(
			'ok',
			'lost_after_commit',
			'network',
			'retry_all',
			'missing_some',
			'reject_some'
		),
		size: fc.integer({ min: 1, max: 8 })
	})
);

/** The server side of apply_actions: a ledger by id; a new id has exactly one effect. */
class Server {
	readonly ledger = new Map<string, { owner: string; result: ApplyResponse['results'][number] }>();
	readonly effects = new Map<string, number>();
	readonly sentUnder: Array<{ owner: string; session: string }> = [];

	apply(
		rows: readonly OutboxRow[],
		session: string,
		reject: (id: string) => boolean
	): ApplyResponse {
		const results = rows.map((row) => {
			const wire = toWire(row);
			this.sentUnder.push({ owner: wire.user_id, session });
			const stored = this.ledger.get(wire.id);
			if (stored) return { ...stored.result, replayed: true };
			let result: ApplyResponse['results'][number];
			if (wire.user_id !== session) {
				result = { id: wire.id, status: 'rejected', code: 'wrong_user', warnings: [] };
			} else if (reject(wire.id)) {
				result = { id: wire.id, status: 'rejected', code: 'full', warnings: [] };
			} else {
				this.effects.set(wire.id, (this.effects.get(wire.id) ?? 0) + 1);
				result = { id: wire.id, status: 'applied', code: 'registered', warnings: [] };
			}
			this.ledger.set(wire.id, { owner: wire.user_id, result });
			return { ...result, replayed: false };
		});
		return { server_time: new Date(0).toISOString(), results };
	}
}

function newRow(id: number, user: string, activity: string, now: number): OutboxRow {
	return {
		id: `00000000-0000-7000-8000-${id.toString(16).padStart(12, '0')}`,
		v: ACTION_SCHEMA_VERSION,
		seq: id,
		userId: user,
		deviceId: 'phone',
		clientAt: new Date(now).toISOString(),
		activityId: activity,
		kind: 'signup',
		payload: { activity_id: activity },
		status: 'pending',
		attempts: 0,
		failures: 0,
		nextAttemptAt: 0,
		createdAt: now,
		updatedAt: now
	};
}

/** Runs commands; returns the store, the server and every id the UI was told is saved. */
function run(commands: readonly Command[]) {
	let store: OutboxRow[] = [];
	const saved: string[] = [];
	const server = new Server();
	let user: string = USERS[0];
	let now = 1_000;
	let nextId = 1;
	const terminalSentAgain: string[] = [];
	const flush = (fault: Fault, size: number) => {
		now += 1_000;
		const batch = nextBatch(store, user, now, size);
		if (batch.length === 0) return;
		// I4 at the source: the batch holds only the signed-in user's actions.
		for (const row of batch) expect(row.userId).toBe(user);
		for (const row of batch) if (row.status !== 'pending') terminalSentAgain.push(row.id);
		if (fault === 'network' || fault === 'retry_all') {
			if (fault === 'retry_all') {
				const response: ApplyResponse = {
					server_time: '',
					results: batch.map((r) => ({ id: r.id, status: 'retry', code: '40001', warnings: [] }))
				};
				replace(settleBatch(batch, response, now).rows);
			}
			return;
		}
		const response = server.apply(batch, user, (id) => fault === 'reject_some' && id.endsWith('3'));
		if (fault === 'lost_after_commit') return;
		const answered =
			fault === 'missing_some'
				? { ...response, results: response.results.filter((_, i) => i % 2 === 0) }
				: response;
		replace(settleBatch(batch, answered, now).rows);
	};
	const replace = (rows: OutboxRow[]) => {
		const byId = new Map(rows.map((r) => [r.id, r]));
		store = store.map((r) => byId.get(r.id) ?? r);
	};
	for (const c of commands) {
		if (c.type === 'enqueue') {
			const row = newRow(nextId++, USERS[c.user]!, ACTIVITIES[c.activity]!, now);
			store = [...store, row];
			saved.push(row.id);
		} else if (c.type === 'switch') {
			user = USERS[c.user]!;
		} else {
			flush(c.fault, c.size);
		}
	}
	// Then every user comes back online with a good network until nothing is pending.
	for (const u of USERS) {
		user = u;
		for (let i = 0; i < 200 && store.some((r) => r.userId === u && r.status === 'pending'); i++) {
			flush('ok', 50);
		}
	}
	return { store, saved, server, terminalSentAgain };
}

describe('outbox state machine (fast-check)', () => {
	it('I1 I2 I4 random interleavings of enqueue, user switches and faulty flushes', () => {
		fc.assert(
			fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
				const { store, saved, server, terminalSentAgain } = run(commands);
				// I1: every action the UI was told is saved is still stored, and settled at the end.
				const ids = new Set(store.map((r) => r.id));
				for (const id of saved) expect(ids.has(id)).toBe(true);
				for (const row of store) expect(['acked', 'rejected']).toContain(row.status);
				// I2: at most one effect per action; nothing terminal is ever sent again as new.
				for (const count of server.effects.values()) expect(count).toBe(1);
				expect(terminalSentAgain).toEqual([]);
				// Every acked action had its one effect; a rejected one had none.
				for (const row of store) {
					expect(server.effects.get(row.id) ?? 0).toBe(row.status === 'acked' ? 1 : 0);
				}
				// I4: nothing was ever sent under another user's session.
				for (const sent of server.sentUnder) expect(sent.owner).toBe(sent.session);
			}),
			{ numRuns: 300 }
		);
	});

	it('batches respect seq order, one activity at a time, and the size cap', () => {
		fc.assert(
			fc.property(
				fc.array(
					fc.record({
						user: fc.nat(2),
						activity: fc.nat(1),
						seq: fc.integer({ min: 0, max: 1e6 })
					}),
					{ maxLength: 40 }
				),
				fc.integer({ min: 1, max: 100 }),
				(specs, size) => {
					const rows = specs.map((s, i) => ({
						...newRow(i + 1, USERS[s.user]!, ACTIVITIES[s.activity]!, 0),
						seq: s.seq * 100 + i
					}));
					const batch = nextBatch(rows, USERS[0], 0, size);
					expect(batch.length).toBeLessThanOrEqual(Math.min(size, 50));
					expect(new Set(batch.map((r) => r.activityId)).size).toBeLessThanOrEqual(1);
					for (let i = 1; i < batch.length; i++) {
						expect(batch[i]!.seq).toBeGreaterThan(batch[i - 1]!.seq);
					}
					const mine = rows.filter((r) => r.userId === USERS[0]).sort((a, b) => a.seq - b.seq);
					if (mine.length > 0) expect(batch[0]?.id).toBe(mine[0]!.id);
				}
			),
			{ numRuns: 300 }
		);
	});
});
