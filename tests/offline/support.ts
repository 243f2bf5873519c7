// Test support for the offline engine: a fresh fake-IndexedDB database per test, an in-memory
// server that applies actions exactly once (the apply_actions contract), a scriptable transport,
// an auth port and an in-memory Web Locks implementation.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ApplyResponse, OutboxRow, WireAction } from '../../src/lib/domain/outbox.ts';
import type { TransportOutcome } from '../../src/lib/domain/outbox-classify.ts';
import { OfflineDatabase } from '../../src/lib/offline/db.ts';
import { Flusher, type FlusherOptions } from '../../src/lib/offline/flusher.ts';
import { leaseFlushLock, webLocksFlushLock, type FlushLock } from '../../src/lib/offline/lock.ts';
import { Outbox } from '../../src/lib/offline/outbox-store.ts';
import type {
	AuthPort,
	AuthState,
	SendRequest,
	Transport
} from '../../src/lib/offline/transport.ts';

export const USER_A = '00000000-0000-4000-8000-00000000000a';
export const USER_B = '00000000-0000-4000-8000-00000000000b';

export function activityId(n: number): string {
	return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The server side of apply_actions: a ledger by id, one effect per new id, replays answered. */
export class FakeServer {
	readonly ledger = new Map<
		string,
		{ userId: string; payload: string; result: ApplyResponse['results'][number] }
	>();
	/** Effects actually applied, by action id (I2: never more than one each). */
	readonly effects: string[] = [];
	readonly calls: SendRequest[] = [];
	/** Every action id sent, with the token's user it was sent under (I4). */
	readonly sentUnder: Array<{ id: string; owner: string; tokenUser: string }> = [];
	version = 10;
	/** Per action: the answer to give instead of applying it. */
	readonly refuse = new Map<string, { status: 'rejected' | 'retry'; code: string }>();

	apply(request: SendRequest): ApplyResponse {
		const tokenUser = tokenUserOf(request.accessToken);
		const results = [...request.actions]
			.sort((a, b) => a.seq - b.seq)
			.map((action) => this.#one(action, tokenUser));
		return { server_time: new Date().toISOString(), results };
	}

	effectCount(id: string): number {
		return this.effects.filter((effect) => effect === id).length;
	}

	#one(action: WireAction, tokenUser: string): ApplyResponse['results'][number] {
		this.sentUnder.push({ id: action.id, owner: action.user_id, tokenUser });
		const payload = JSON.stringify([action.kind, action.payload]);
		const stored = this.ledger.get(action.id);
		if (stored !== undefined) {
			if (stored.userId !== tokenUser || stored.payload !== payload) {
				return { id: action.id, status: 'rejected', code: 'id_reuse', warnings: [] };
			}
			return { ...stored.result, replayed: true };
		}
		if (action.user_id !== tokenUser) {
			return { id: action.id, status: 'rejected', code: 'wrong_user', warnings: [] };
		}
		const refusal = this.refuse.get(action.id);
		if (refusal?.status === 'retry') {
			return { id: action.id, status: 'retry', code: refusal.code, warnings: [] };
		}
		let result: ApplyResponse['results'][number];
		if (refusal?.status === 'rejected') {
			result = {
				id: action.id,
				status: 'rejected',
				code: refusal.code,
				warnings: [],
				replayed: false
			};
		} else {
			this.effects.push(action.id);
			this.version += 1;
			result = {
				id: action.id,
				status: 'applied',
				code: action.kind === 'signup' ? 'registered' : 'cancelled',
				warnings: [],
				replayed: false,
				activity_version: this.version,
				entity: {
					status: action.kind === 'signup' ? 'registered' : 'cancelled',
					guest_names: []
				}
			};
		}
		this.ledger.set(action.id, { userId: tokenUser, payload, result });
		return result;
	}
}

/** Access tokens in tests are `token:<userId>:<n>`. */
export function tokenFor(userId: string, n = 1): string {
	return `token:${userId}:${String(n)}`;
}

function tokenUserOf(token: string): string {
	return token.split(':')[1] ?? '';
}

export function ok(response: ApplyResponse): TransportOutcome {
	return {
		type: 'response',
		status: 200,
		data: response,
		error: null,
		contentType: 'application/json',
		retryAfter: null
	};
}

export function httpError(
	status: number,
	code = '',
	retryAfter: string | null = null
): TransportOutcome {
	return {
		type: 'response',
		status,
		data: null,
		error: { code, message: code },
		contentType: 'application/json',
		retryAfter
	};
}

export type Handler = (
	request: SendRequest,
	server: FakeServer,
	call: number
) => Promise<TransportOutcome> | TransportOutcome;

/** A transport over the fake server; `handler` may inject faults, by default it applies. */
export class FakeTransport implements Transport {
	readonly server: FakeServer;
	handler: Handler;
	inFlight = 0;
	maxInFlight = 0;
	calls = 0;
	readonly inFlightIds = new Set<string>();
	overlapped = false;

	constructor(server = new FakeServer(), handler?: Handler) {
		this.server = server;
		this.handler = handler ?? ((request, s) => ok(s.apply(request)));
	}

	async send(request: SendRequest): Promise<TransportOutcome> {
		this.calls += 1;
		this.server.calls.push(request);
		this.inFlight += 1;
		this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
		for (const action of request.actions) {
			if (this.inFlightIds.has(action.id)) this.overlapped = true;
			this.inFlightIds.add(action.id);
		}
		try {
			await new Promise((resolve) => setTimeout(resolve, 1));
			return await this.handler(request, this.server, this.calls);
		} finally {
			this.inFlight -= 1;
			for (const action of request.actions) this.inFlightIds.delete(action.id);
		}
	}
}

export class FakeAuth implements AuthPort {
	userId: string | null;
	state: 'ok' | 'signed_out' | 'unreachable' = 'ok';
	token = 1;
	refreshes = 0;
	refreshAnswer: 'ok' | 'network' | 'refused' = 'ok';

	constructor(userId: string | null = USER_A) {
		this.userId = userId;
	}

	async current(): Promise<AuthState> {
		if (this.state === 'unreachable') return { status: 'unreachable' };
		if (this.state === 'signed_out' || this.userId === null) return { status: 'signed_out' };
		return { status: 'ok', userId: this.userId, accessToken: tokenFor(this.userId, this.token) };
	}

	async refresh(): Promise<'ok' | 'network' | 'refused'> {
		this.refreshes += 1;
		if (this.refreshAnswer === 'ok') this.token += 1;
		if (this.refreshAnswer === 'refused') this.state = 'signed_out';
		return this.refreshAnswer;
	}
}

/** Web Locks in memory, shared by every "tab" given the same instance. */
export class MemoryLocks {
	#held = new Set<string>();
	#waiters = new Map<string, Array<() => void>>();

	async request<T>(
		name: string,
		optionsOrCallback: { ifAvailable?: boolean } | ((lock: { name: string } | null) => Promise<T>),
		maybeCallback?: (lock: { name: string } | null) => Promise<T>
	): Promise<T> {
		const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
		const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback)!;
		if (this.#held.has(name)) {
			if (options.ifAvailable === true) return callback(null);
			await new Promise<void>((resolve) => {
				const queue = this.#waiters.get(name) ?? [];
				queue.push(resolve);
				this.#waiters.set(name, queue);
			});
		}
		this.#held.add(name);
		try {
			return await callback({ name });
		} finally {
			const next = this.#waiters.get(name)?.shift();
			if (next === undefined) this.#held.delete(name);
			else next();
		}
	}
}

export function memoryLock(locks = new MemoryLocks()): FlushLock {
	return webLocksFlushLock(locks as unknown as LockManager);
}

export interface Tab {
	database: OfflineDatabase;
	outbox: Outbox;
	flusher: Flusher;
	transport: FakeTransport;
	auth: FakeAuth;
}

/** One "tab": its own connection, outbox and flusher on a (possibly shared) database name. */
export function openTab(
	options: {
		name?: string;
		transport?: FakeTransport;
		auth?: FakeAuth;
		lock?: FlushLock | 'lease';
		channel?: string | null;
		flusher?: Partial<FlusherOptions>;
	} = {}
): Tab {
	const database = new OfflineDatabase({ name: options.name ?? `test-${randomUUID()}` });
	const outbox = new Outbox(database, { channel: options.channel ?? null });
	const transport = options.transport ?? new FakeTransport();
	const auth = options.auth ?? new FakeAuth();
	const lock =
		options.lock === 'lease'
			? leaseFlushLock(database, { pollMs: 5 })
			: (options.lock ?? memoryLock());
	const flusher = new Flusher({
		outbox,
		transport,
		auth,
		lock,
		random: () => 0.5,
		backoff: { baseMs: 1_000, capMs: 60_000 },
		...options.flusher
	});
	return { database, outbox, flusher, transport, auth };
}

export function closeTab(tab: Tab): void {
	tab.flusher.stop();
	tab.outbox.close();
	tab.database.close();
}

/** I1: every action the UI was told is saved is still stored, pending or terminal. */
export async function expectAllStored(outbox: Outbox, rows: readonly OutboxRow[]): Promise<void> {
	const stored = new Map((await outbox.rows()).map((row) => [row.id, row]));
	for (const row of rows) expect(stored.has(row.id), `row ${row.id} kept`).toBe(true);
}

/** I2: no action had more than one effect on the server. */
export function expectExactlyOnce(server: FakeServer, ids: readonly string[]): void {
	for (const id of ids) expect(server.effectCount(id), `effects of ${id}`).toBeLessThanOrEqual(1);
}

/** I4: no action was ever sent under a token of another user. */
export function expectNeverForeign(server: FakeServer): void {
	for (const sent of server.sentUnder) expect(sent.owner).toBe(sent.tokenUser);
}

export function signup(n: number) {
	return { activity_id: activityId(n) };
}
