// The client outbox against the fault catalogue (docs/decisions.md §10, T01–T20), on
// fake-indexeddb. Every test asserts the invariants it can see: I1 (nothing saved is lost),
// I2 (at most one effect per action id), I4 (never sent under another user's token).
import { forceCloseDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { OutboxRow } from '../../src/lib/domain/outbox.ts';
import { overlayRegistration } from '../../src/lib/domain/outbox-overlay.ts';
import { OfflineDatabase } from '../../src/lib/offline/db.ts';
import { DirectSendError, OfflineEngine } from '../../src/lib/offline/engine.ts';
import { OutboxWriteError } from '../../src/lib/offline/outbox-store.ts';
import {
	FakeAuth,
	FakeServer,
	FakeTransport,
	MemoryLocks,
	USER_A,
	USER_B,
	activityId,
	closeTab,
	expectAllStored,
	expectExactlyOnce,
	expectNeverForeign,
	httpError,
	memoryLock,
	ok,
	openTab,
	signup,
	type Tab
} from './support.ts';

const tabs: Tab[] = [];

function tab(options: Parameters<typeof openTab>[0] = {}): Tab {
	const opened = openTab(options);
	tabs.push(opened);
	return opened;
}

afterEach(() => {
	for (const opened of tabs.splice(0)) closeTab(opened);
});

async function enqueueMany(
	t: Tab,
	count: number,
	activity = 1,
	userId = USER_A
): Promise<OutboxRow[]> {
	const rows: OutboxRow[] = [];
	for (let i = 0; i < count; i += 1) {
		rows.push(await t.outbox.enqueue(userId, 'signup', signup(activity)));
	}
	return rows;
}

async function statuses(t: Tab, rows: readonly OutboxRow[]): Promise<string[]> {
	const stored = new Map((await t.outbox.rows()).map((row) => [row.id, row.status]));
	return rows.map((row) => stored.get(row.id) ?? 'missing');
}

describe('enqueue', () => {
	test('stores a row with a UUIDv7 id, a device sequence, owner, device clock and schema version', async () => {
		const t = tab();
		const row = await t.outbox.enqueue(USER_A, 'signup', {
			activity_id: activityId(1),
			guest_names: ['小明'],
			answers: { size: 'L' }
		});
		expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(row).toMatchObject({ v: 1, seq: 1, userId: USER_A, status: 'pending', kind: 'signup' });
		expect(row.deviceId).toBe(await t.outbox.deviceId());
		expect(Date.parse(row.clientAt)).not.toBeNaN();
		expect(await t.outbox.nextSeq()).toBe(2);
		expect(await t.outbox.rows(USER_A)).toEqual([row]);
	});

	test('refuses an invalid payload before touching storage', async () => {
		const t = tab();
		await expect(t.outbox.enqueue(USER_A, 'signup', { activity_id: 'nope' })).rejects.toMatchObject(
			{ name: 'OutboxWriteError', kind: 'invalid' }
		);
		expect(await t.outbox.nextSeq()).toBe(1);
	});

	test('T01 a transaction that fails inside enqueue rejects, stores nothing and keeps nextSeq', async () => {
		const t = tab();
		const before = await t.outbox.enqueue(USER_A, 'signup', signup(1));
		const add = vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementation(() => {
			throw new DOMException('injected failure', 'UnknownError');
		});
		await expect(t.outbox.enqueue(USER_A, 'signup', signup(2))).rejects.toBeInstanceOf(
			OutboxWriteError
		);
		add.mockRestore();
		expect(await t.outbox.nextSeq()).toBe(2);
		expect(await t.outbox.rows()).toEqual([before]);
		// No overlay entry for the failed action.
		const view = overlayRegistration(
			{ status: null, guestCount: 0 },
			{ fetchedAt: 0 },
			await t.outbox.rows(),
			activityId(2),
			USER_A
		);
		expect(view.pending).toBeNull();
		const after = await t.outbox.enqueue(USER_A, 'signup', signup(3));
		expect(after.seq).toBe(2);
	});

	test('T18 QuotaExceededError: a visible failure of kind quota, and nothing stored', async () => {
		const t = tab();
		vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementation(() => {
			throw new DOMException('disk full', 'QuotaExceededError');
		});
		await expect(t.outbox.enqueue(USER_A, 'signup', signup(1))).rejects.toMatchObject({
			kind: 'quota'
		});
		vi.restoreAllMocks();
		expect(await t.outbox.rows()).toEqual([]);
		expect(await t.outbox.nextSeq()).toBe(1);
	});

	test('T15 a clock going backwards keeps seq strictly increasing, ids unique, flush in seq order', async () => {
		let clock = Date.parse('2027-05-01T10:00:00Z');
		const database = new OfflineDatabase({ name: `test-clock-${String(Math.random())}` });
		const t = tab();
		closeTab(t);
		const { Outbox } = await import('../../src/lib/offline/outbox-store.ts');
		const outbox = new Outbox(database, { now: () => clock, channel: null });
		const rows: OutboxRow[] = [];
		for (let i = 0; i < 6; i += 1) {
			rows.push(await outbox.enqueue(USER_A, 'signup', signup(1)));
			clock -= 3_600_000; // −1 h between enqueues
		}
		expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
		expect(new Set(rows.map((row) => row.id)).size).toBe(6);
		const transport = new FakeTransport();
		const { Flusher } = await import('../../src/lib/offline/flusher.ts');
		const flusher = new Flusher({
			outbox,
			transport,
			auth: new FakeAuth(),
			lock: memoryLock(),
			now: () => clock
		});
		await flusher.start(USER_A);
		expect(transport.server.calls[0]?.actions.map((action) => action.seq)).toEqual([
			1, 2, 3, 4, 5, 6
		]);
		expect(await outbox.rows()).toSatisfy((all: OutboxRow[]) =>
			all.every((r) => r.status === 'acked')
		);
		flusher.stop();
		outbox.close();
		database.close();
	});
});

describe('flush', () => {
	test('sends pending actions once, in seq order, one activity per batch, and acks them', async () => {
		const t = tab();
		const a = await enqueueMany(t, 2, 1);
		const b = await enqueueMany(t, 1, 2);
		await t.flusher.start(USER_A);
		expect(t.transport.server.calls.map((call) => call.actions.map((x) => x.id))).toEqual([
			a.map((row) => row.id),
			b.map((row) => row.id)
		]);
		expect(await statuses(t, [...a, ...b])).toEqual(['acked', 'acked', 'acked']);
		expect(t.flusher.status.phase).toBe('idle');
		expect(t.flusher.status.lastSyncAt).not.toBeNull();
		// No token and no bookkeeping in what is sent.
		expect(Object.keys(t.transport.server.calls[0]!.actions[0]!).sort()).toEqual(
			['client_at', 'id', 'kind', 'payload', 'seq', 'user_id', 'v'].sort()
		);
		expectExactlyOnce(
			t.transport.server,
			[...a, ...b].map((row) => row.id)
		);
		expectNeverForeign(t.transport.server);
	});

	test('T02 a crash after the server committed and before the ack was written loses and doubles nothing', async () => {
		const name = `test-crash-${String(Math.random())}`;
		const transport = new FakeTransport();
		const first = tab({ name, transport });
		const rows = await enqueueMany(first, 3);
		const save = vi.spyOn(first.outbox, 'save').mockRejectedValueOnce(new Error('app killed'));
		await first.flusher.start(USER_A);
		expect(save).toHaveBeenCalled();
		expect(transport.server.effects).toHaveLength(3);
		// Drop all in-memory state and reopen the database, as after a restart.
		closeTab(first);
		const second = tab({ name, transport });
		expect(await statuses(second, rows)).toEqual(['pending', 'pending', 'pending']);
		await second.flusher.start(USER_A);
		const stored = await second.outbox.rows();
		expect(stored.map((row) => row.status)).toEqual(['acked', 'acked', 'acked']);
		expect(stored.every((row) => row.result?.replayed === true)).toBe(true);
		expect(transport.server.effects).toHaveLength(3);
		expectExactlyOnce(
			transport.server,
			rows.map((row) => row.id)
		);
	});

	test('T03 network errors back off with growing, capped, jittered delays, never overlap, then ack', async () => {
		const transport = new FakeTransport(new FakeServer(), (request, server, call) =>
			call <= 4 ? { type: 'network', message: 'Failed to fetch' } : ok(server.apply(request))
		);
		const random = vi.fn(() => 0.75);
		const t = tab({
			transport,
			flusher: { random, backoff: { baseMs: 60_000, capMs: 300_000 } }
		});
		const rows = await enqueueMany(t, 2);
		const delays: number[] = [];
		const before = Date.now();
		await t.flusher.start(USER_A);
		for (let attempt = 0; attempt < 4; attempt += 1) {
			expect(t.flusher.status.phase).toBe(attempt < 4 ? 'offline' : 'idle');
			delays.push(t.flusher.status.nextAttemptAt! - before);
			if (attempt < 3) await t.flusher.trigger('timer');
		}
		// Full jitter: random × min(cap, base·2^n); with random 0.75: 45 s, 90 s, 180 s, 225 s (cap).
		const expected = [45_000, 90_000, 180_000, 225_000];
		delays.forEach((delay, n) => {
			expect(delay).toBeGreaterThanOrEqual(expected[n]! - 50);
			expect(delay).toBeLessThanOrEqual(Math.min(300_000, 60_000 * 2 ** n) + 5_000);
		});
		await t.flusher.trigger('timer');
		expect(await statuses(t, rows)).toEqual(['acked', 'acked']);
		expect(transport.maxInFlight).toBe(1);
		const stored = await t.outbox.rows();
		expect(stored.map((row) => row.attempts)).toEqual([5, 5]);
	});

	test('T04 online or returning to the foreground flushes at once despite a backoff minutes out', async () => {
		let offline = true;
		const transport = new FakeTransport(new FakeServer(), (request, server) =>
			offline ? { type: 'network', message: 'offline' } : ok(server.apply(request))
		);
		const t = tab({ transport, flusher: { backoff: { baseMs: 480_000, capMs: 480_000 } } });
		const rows = await enqueueMany(t, 1);
		await t.flusher.start(USER_A);
		expect(t.flusher.status.nextAttemptAt! - Date.now()).toBeGreaterThan(200_000);
		offline = false;
		await t.flusher.trigger('online');
		expect(await statuses(t, rows)).toEqual(['acked']);
		const more = await enqueueMany(t, 1);
		offline = true;
		await t.flusher.trigger('timer');
		offline = false;
		await t.flusher.trigger('visible');
		expect(await statuses(t, more)).toEqual(['acked']);
		expect(transport.calls).toBe(4);
	});

	test('T05 a 401 refreshes the session exactly once, then the retry succeeds', async () => {
		const transport = new FakeTransport(new FakeServer(), (request, server, call) =>
			call === 1 ? httpError(401, 'PGRST301') : ok(server.apply(request))
		);
		const auth = new FakeAuth();
		const t = tab({ transport, auth });
		const rows = await enqueueMany(t, 2);
		await t.flusher.start(USER_A);
		expect(auth.refreshes).toBe(1);
		expect(t.flusher.status.phase).toBe('idle');
		expect(await statuses(t, rows)).toEqual(['acked', 'acked']);
		expect(transport.server.calls[1]?.accessToken).not.toBe(transport.server.calls[0]?.accessToken);
	});

	test('T06 a refused refresh stops in auth_required with everything kept, until the same user signs in', async () => {
		const transport = new FakeTransport(new FakeServer(), (request, server) =>
			auth.token === 1 ? httpError(401, 'PGRST301') : ok(server.apply(request))
		);
		const auth = new FakeAuth();
		auth.refreshAnswer = 'refused';
		const t = tab({ transport, auth });
		const rows = await enqueueMany(t, 3);
		await t.flusher.start(USER_A);
		expect(t.flusher.status.phase).toBe('auth_required');
		expect(await statuses(t, rows)).toEqual(['pending', 'pending', 'pending']);
		const calls = transport.calls;
		for (const reason of ['online', 'visible', 'enqueue', 'timer', 'manual'] as const) {
			await t.flusher.trigger(reason);
		}
		expect(transport.calls).toBe(calls);
		// Another user signing in does not resume A's queue.
		await t.flusher.resumeAuth(USER_B);
		expect(transport.calls).toBe(calls);
		// A signs in again.
		auth.state = 'ok';
		auth.token = 2;
		await t.flusher.resumeAuth(USER_A);
		expect(await statuses(t, rows)).toEqual(['acked', 'acked', 'acked']);
		await expectAllStored(t.outbox, rows);
	});

	test('T07 a refresh that fails for lack of network is transient: session kept, no auth_required', async () => {
		const transport = new FakeTransport(new FakeServer(), () => httpError(401, 'PGRST301'));
		const auth = new FakeAuth();
		auth.refreshAnswer = 'network';
		const t = tab({ transport, auth });
		const rows = await enqueueMany(t, 1);
		await t.flusher.start(USER_A);
		expect(t.flusher.status.phase).toBe('offline');
		expect(auth.state).toBe('ok');
		expect(t.flusher.status.nextAttemptAt).not.toBeNull();
		expect(await statuses(t, rows)).toEqual(['pending']);
	});

	test('T08 a rejected action is kept with its code, and the actions after it are not held back', async () => {
		const t = tab();
		const rows = await enqueueMany(t, 3);
		t.transport.server.refuse.set(rows[1]!.id, { status: 'rejected', code: 'ticket_invalid' });
		await t.flusher.start(USER_A);
		expect(await statuses(t, rows)).toEqual(['acked', 'rejected', 'acked']);
		const rejected = await t.outbox.get(rows[1]!.id);
		expect(rejected?.result?.code).toBe('ticket_invalid');
		expect(transport(t).calls).toBe(1);
	});

	test('T09 bisecting isolates the one action that breaks every call; it is blocked after 5 tries', async () => {
		let poison = '';
		const transport = new FakeTransport(new FakeServer(), (request, server) =>
			request.actions.some((action) => action.id === poison)
				? httpError(400, 'PGRST100')
				: ok(server.apply(request))
		);
		const t = tab({ transport, flusher: { random: () => 0 } });
		const rows = await enqueueMany(t, 20);
		poison = rows[6]!.id;
		await t.flusher.start(USER_A);
		const stored = await statuses(t, rows);
		expect(stored.filter((status) => status === 'acked')).toHaveLength(19);
		expect(stored[6]).toBe('blocked');
		const blocked = await t.outbox.get(poison);
		expect(blocked?.failures).toBe(5);
		expect(blocked?.lastError).toMatchObject({ kind: 'http', status: 400 });
		expect(
			transport.server.calls.filter(
				(call) => call.actions.length === 1 && call.actions[0]?.id === poison
			)
		).toHaveLength(5);
		expectExactlyOnce(
			transport.server,
			rows.map((row) => row.id)
		);
	});

	test('T10 a captive portal answering 200 text/html is transient: nothing acked, backoff', async () => {
		const transport = new FakeTransport(new FakeServer(), () => ({
			type: 'response',
			status: 200,
			data: null,
			error: { code: '', message: '<html>Please log in to the Wi-Fi</html>' },
			contentType: 'text/html',
			retryAfter: null
		}));
		const t = tab({ transport });
		const rows = await enqueueMany(t, 2);
		await t.flusher.start(USER_A);
		expect(await statuses(t, rows)).toEqual(['pending', 'pending']);
		expect(t.flusher.status.phase).toBe('error');
		expect(t.flusher.status.lastError?.kind).toBe('bad_response');
		expect(t.flusher.status.nextAttemptAt).not.toBeNull();
		// A 200 with JSON of the wrong shape is the same.
		transport.handler = () => ok({ hello: 'proxy' } as never);
		await t.flusher.trigger('manual');
		expect(await statuses(t, rows)).toEqual(['pending', 'pending']);
	});

	test('T11 results missing from the answer, or `retry`, stay pending; the others are acked', async () => {
		const transport = new FakeTransport(new FakeServer(), (request, server, call) => {
			const response = server.apply(request);
			if (call === 1) {
				const dropped = new Set([request.actions[1]!.id, request.actions[3]!.id]);
				response.results = response.results.filter((result) => !dropped.has(result.id));
			}
			return ok(response);
		});
		const t = tab({ transport, flusher: { random: () => 0 } });
		const rows = await enqueueMany(t, 5);
		t.flusher.stop();
		await t.flusher.start(USER_A);
		// The loop continued after the partial answer: the missing two were resent and replayed.
		expect(transport.server.calls[0]?.actions).toHaveLength(5);
		expect(transport.server.calls[1]?.actions.map((a) => a.id)).toEqual([rows[1]!.id, rows[3]!.id]);
		expect(await statuses(t, rows)).toEqual(['acked', 'acked', 'acked', 'acked', 'acked']);
		expectExactlyOnce(
			transport.server,
			rows.map((row) => row.id)
		);
	});

	test('T12 halt semantics: after [applied, retry, retry] #2 and #3 are resent in order', async () => {
		const t = tab({ flusher: { random: () => 0 } });
		const rows = await enqueueMany(t, 3);
		t.transport.server.refuse.set(rows[1]!.id, { status: 'retry', code: '55P03' });
		t.transport.server.refuse.set(rows[2]!.id, { status: 'retry', code: 'halted' });
		t.transport.handler = (request, server, call) => {
			if (call === 2) server.refuse.clear();
			return ok(server.apply(request));
		};
		await t.flusher.start(USER_A);
		expect(t.transport.server.calls[1]?.actions.map((a) => a.id)).toEqual([
			rows[1]!.id,
			rows[2]!.id
		]);
		expect(await statuses(t, rows)).toEqual(['acked', 'acked', 'acked']);
	});

	test('T13 batch too large (413) or a statement timeout (57014): the next call carries half', async () => {
		for (const fault of [httpError(413, 'PT413'), httpError(500, '57014')]) {
			const transport = new FakeTransport(new FakeServer(), (request, server, call) =>
				call === 1 ? fault : ok(server.apply(request))
			);
			const t = tab({ transport });
			const rows = await enqueueMany(t, 12);
			await t.flusher.start(USER_A);
			expect(transport.server.calls.map((call) => call.actions.length)).toEqual([12, 6, 6]);
			expect((await statuses(t, rows)).every((status) => status === 'acked')).toBe(true);
		}
	});

	test('batches hold at most 50 actions', async () => {
		const t = tab();
		const rows = await enqueueMany(t, 51);
		await t.flusher.start(USER_A);
		expect(t.transport.server.calls.map((call) => call.actions.length)).toEqual([50, 1]);
		expect((await statuses(t, rows)).every((status) => status === 'acked')).toBe(true);
	});

	test('Retry-After on 503/429 is honoured as the least delay', async () => {
		const transport = new FakeTransport(new FakeServer(), () => httpError(503, '', '120'));
		const t = tab({ transport, flusher: { random: () => 0 } });
		await enqueueMany(t, 1);
		const before = Date.now();
		await t.flusher.start(USER_A);
		expect(t.flusher.status.nextAttemptAt! - before).toBeGreaterThanOrEqual(120_000);
	});

	test.each([
		['Web Locks', 'locks'],
		['the IndexedDB lease fallback', 'lease']
	] as const)(
		'T14 two tabs never flush at once (%s), never the same action twice at a time',
		async (_label, kind) => {
			const name = `test-tabs-${kind}-${String(Math.random())}`;
			const transport = new FakeTransport();
			const locks = new MemoryLocks();
			const one = tab({ name, transport, lock: kind === 'lease' ? 'lease' : memoryLock(locks) });
			const two = tab({ name, transport, lock: kind === 'lease' ? 'lease' : memoryLock(locks) });
			const rows = [...(await enqueueMany(one, 30, 1)), ...(await enqueueMany(two, 30, 2))];
			await Promise.all([one.flusher.start(USER_A), two.flusher.start(USER_A)]);
			// The tab that found the lock busy looks again later; nudge it as its timer would.
			await Promise.all([one.flusher.trigger('manual'), two.flusher.trigger('manual')]);
			expect(transport.maxInFlight).toBe(1);
			expect(transport.overlapped).toBe(false);
			expect((await statuses(one, rows)).every((status) => status === 'acked')).toBe(true);
			expectExactlyOnce(
				transport.server,
				rows.map((row) => row.id)
			);
		}
	);

	test('T16 a v0 row is upcast and sent as v1; an un-upcastable one is blocked/schema and the rest flush', async () => {
		const t = tab();
		const good = await t.outbox.enqueue(USER_A, 'signup', signup(1));
		const db = await t.database.db();
		const base = { ...good, status: 'pending' as const };
		const old = {
			...base,
			id: '01890000-0000-7000-8000-000000000001',
			seq: 100,
			v: 0,
			payload: { activityId: activityId(5), guestNames: ['老王'] }
		};
		const future = { ...base, id: '01890000-0000-7000-8000-000000000002', seq: 101, v: 7 };
		await db.put('outbox', old as unknown as OutboxRow);
		await db.put('outbox', future);
		await t.flusher.start(USER_A);
		const sent = t.transport.server.calls.flatMap((call) => call.actions);
		expect(sent.find((action) => action.id === old.id)).toMatchObject({
			v: 1,
			payload: { activity_id: activityId(5), guest_names: ['老王'] }
		});
		expect(sent.some((action) => action.id === future.id)).toBe(false);
		expect(await t.outbox.get(future.id)).toMatchObject({
			status: 'blocked',
			lastError: { kind: 'schema' }
		});
		expect(await statuses(t, [good, old as unknown as OutboxRow])).toEqual(['acked', 'acked']);
	});

	test('T19 the connection force-closed while results are written: reopen, replay, no loss, no duplicates', async () => {
		const t = tab();
		const rows = await enqueueMany(t, 3);
		// The browser closes the connection under the results transaction (storage pressure).
		// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
		const put = IDBObjectStore.prototype.put;
		let closed = false;
		vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
			this: IDBObjectStore,
			...args: Parameters<IDBObjectStore['put']>
		) {
			if (!closed && this.name === 'outbox') {
				closed = true;
				forceCloseDatabase(this.transaction.db as never);
			}
			return put.apply(this, args);
		});
		await t.flusher.start(USER_A);
		expect(closed).toBe(true);
		// Whether the closing transaction still committed or not, the next round converges.
		await t.flusher.trigger('manual');
		const stored = await t.outbox.rows();
		expect(stored.map((row) => row.status)).toEqual(['acked', 'acked', 'acked']);
		expect(stored).toHaveLength(3);
		expectExactlyOnce(
			t.transport.server,
			rows.map((row) => row.id)
		);
	});
});

describe('users', () => {
	test('I4 actions of another user are never sent; signed out nothing is sent at all', async () => {
		const auth = new FakeAuth(USER_A);
		const t = tab({ auth });
		const mine = await enqueueMany(t, 2, 1, USER_A);
		const theirs = await enqueueMany(t, 2, 1, USER_B);
		await t.flusher.start(USER_A);
		expect(await statuses(t, mine)).toEqual(['acked', 'acked']);
		expect(await statuses(t, theirs)).toEqual(['pending', 'pending']);
		// B is signed in but the flusher still runs for A (a stale tab): A's session is gone.
		auth.userId = USER_B;
		const later = await enqueueMany(t, 1, 1, USER_A);
		await t.flusher.trigger('manual');
		expect(await statuses(t, later)).toEqual(['pending']);
		expect(t.flusher.status.phase).toBe('auth_required');
		// Logout keeps B's parked actions; B signing in sends them under B's token.
		t.flusher.stop();
		await t.flusher.start(USER_B);
		expect(await statuses(t, theirs)).toEqual(['acked', 'acked']);
		expectNeverForeign(t.transport.server);
		await expectAllStored(t.outbox, [...mine, ...theirs]);
	});
});

describe('no IndexedDB', () => {
	test('T17 without IndexedDB the engine is not offline-capable; online actions go straight to the server', async () => {
		vi.stubGlobal('indexedDB', undefined);
		const transport = new FakeTransport();
		const auth = new FakeAuth();
		const engine = await OfflineEngine.create({ transport, auth, channel: null });
		expect(engine.capable).toBe(false);
		const row = await engine.enqueue(USER_A, 'signup', signup(1));
		expect(row.status).toBe('acked');
		expect(transport.server.effects).toEqual([row.id]);
		// Offline: an explicit error, no fake "saved".
		transport.handler = () => ({ type: 'network', message: 'Failed to fetch' });
		await expect(engine.enqueue(USER_A, 'signup', signup(2))).rejects.toMatchObject({
			kind: 'offline'
		});
		auth.state = 'unreachable';
		await expect(engine.enqueue(USER_A, 'signup', signup(3))).rejects.toBeInstanceOf(
			DirectSendError
		);
		engine.close();
		vi.unstubAllGlobals();
	});

	test('T17 an IndexedDB whose open fails (InvalidStateError, private mode) is treated the same', async () => {
		const open = vi.spyOn(indexedDB, 'open').mockImplementation(() => {
			throw new DOMException('A mutation operation was attempted', 'InvalidStateError');
		});
		const engine = await OfflineEngine.create({
			transport: new FakeTransport(),
			auth: new FakeAuth(),
			channel: null
		});
		open.mockRestore();
		expect(engine.capable).toBe(false);
		expect(engine.outbox).toBeNull();
		engine.close();
	});
});

describe('overlay', () => {
	test('T20 an acked sign-up stays counted once while a stale snapshot arrives, then retires', async () => {
		const t = tab();
		const row = await t.outbox.enqueue(USER_A, 'signup', signup(1));
		const seatsShown = (
			server: { seats: number; status: 'registered' | null; version: number },
			rows: OutboxRow[]
		) => {
			const view = overlayRegistration(
				{ status: server.status, guestCount: 0 },
				{ version: server.version, fetchedAt: Date.now() },
				rows,
				activityId(1),
				USER_A
			);
			return { seats: server.seats + view.seatDelta, status: view.status, pending: view.pending };
		};
		const N = 7;
		// Pending: shown as a pending sign-up; capacity not promised, so seats stay N.
		expect(seatsShown({ seats: N, status: null, version: 10 }, await t.outbox.rows())).toEqual({
			seats: N,
			status: null,
			pending: 'signup'
		});
		t.transport.server.version = 11; // the ack will carry activity_version 12
		await t.flusher.start(USER_A);
		const acked = await t.outbox.rows();
		expect(acked[0]?.result?.activity_version).toBe(12);
		// A stale snapshot (version 11) without the effect: N+1 from the overlay.
		expect(seatsShown({ seats: N, status: null, version: 11 }, acked)).toMatchObject({
			seats: N + 1,
			status: 'registered',
			pending: null
		});
		// The snapshot with the effect (version 12): the overlay retires, still N+1, never N+2.
		expect(seatsShown({ seats: N + 1, status: 'registered', version: 12 }, acked)).toMatchObject({
			seats: N + 1,
			status: 'registered'
		});
		expect(row.id).toBe(acked[0]?.id);
	});

	test('without versions, an ack retires once a read requested after it returns', async () => {
		const t = tab();
		await t.outbox.enqueue(USER_A, 'signup', signup(1));
		await t.flusher.start(USER_A);
		const rows = await t.outbox.rows();
		const settledAt = rows[0]!.settledAt!;
		const before = overlayRegistration(
			{ status: null, guestCount: 0 },
			{ fetchedAt: settledAt - 1 },
			rows,
			activityId(1),
			USER_A
		);
		expect(before.status).toBe('registered');
		const after = overlayRegistration(
			{ status: 'registered', guestCount: 0 },
			{ fetchedAt: settledAt },
			rows,
			activityId(1),
			USER_A
		);
		expect(after).toMatchObject({ status: 'registered', seatDelta: 0 });
	});

	test('a rejected action is shown as the problem until dismissed; it is never dropped', async () => {
		const t = tab();
		const row = await t.outbox.enqueue(USER_A, 'signup', signup(1));
		t.transport.server.refuse.set(row.id, { status: 'rejected', code: 'signup_closed' });
		await t.flusher.start(USER_A);
		let view = overlayRegistration(
			{ status: null, guestCount: 0 },
			{ fetchedAt: 0 },
			await t.outbox.rows(),
			activityId(1),
			USER_A
		);
		expect(view.problem?.result?.code).toBe('signup_closed');
		await t.outbox.dismiss(row.id);
		view = overlayRegistration(
			{ status: null, guestCount: 0 },
			{ fetchedAt: 0 },
			await t.outbox.rows(),
			activityId(1),
			USER_A
		);
		expect(view.problem).toBeNull();
		expect(await t.outbox.get(row.id)).toMatchObject({ status: 'rejected' });
	});
});

function transport(t: Tab): FakeTransport {
	return t.transport;
}
