// The offline engine: database, outbox, flusher and read cache wired together. Without usable
// IndexedDB (private mode, WebViews that refuse it) it still works online: actions go straight
// to the server and an offline action fails loudly instead of pretending to be saved (T17, T44).
import { uuidv7 } from 'uuidv7';
import {
	ACTION_SCHEMA_VERSION,
	activityOf,
	settleBatch,
	toWire,
	type ActionKind,
	type ActionPayloads,
	type OutboxRow
} from '#lib/domain/outbox.ts';
import { validatePayload } from '#lib/domain/outbox-validation.ts';
import { classify } from '#lib/domain/outbox-classify.ts';
import { ReadCache, type CachedRead } from './cache.ts';
import { OfflineDatabase, probeStorage } from './db.ts';
import { Flusher, type FlusherOptions } from './flusher.ts';
import { createFlushLock, type FlushLock } from './lock.ts';
import { DirectSendError, OutboxWriteError } from './errors.ts';
import { Outbox } from './outbox-store.ts';
import type { AuthPort, Transport } from './transport.ts';

export { DirectSendError, type DirectSendErrorKind } from './errors.ts';

export interface OfflineEngineOptions {
	transport: Transport;
	auth: AuthPort;
	/** A database to use; a new one named DB_NAME by default. */
	database?: OfflineDatabase;
	lock?: FlushLock;
	/** BroadcastChannel name for the outbox (null: none). */
	channel?: string | null;
	now?: () => number;
	flusher?: Partial<Omit<FlusherOptions, 'outbox' | 'transport' | 'auth' | 'lock'>>;
	/** Another tab upgraded the database: this one must reload. */
	onVersionChange?: () => void;
	onBlocked?: () => void;
	/** The browser closed the database under the app (e.g. site data cleared). */
	onTerminated?: () => void;
}

export class OfflineEngine {
	/** False when this phone cannot keep offline work. */
	readonly capable: boolean;
	readonly outbox: Outbox | null;
	readonly flusher: Flusher | null;
	readonly cache: ReadCache;
	readonly lock: FlushLock | null;
	readonly #transport: Transport;
	readonly #auth: AuthPort;
	readonly #now: () => number;
	#directSeq = 0;
	readonly #directDevice = `direct-${crypto.randomUUID()}`;

	private constructor(
		options: OfflineEngineOptions,
		database: OfflineDatabase | null,
		lock: FlushLock | null
	) {
		this.#transport = options.transport;
		this.#auth = options.auth;
		this.#now = options.now ?? Date.now;
		this.capable = database !== null;
		this.cache = new ReadCache(database, this.#now);
		this.lock = lock;
		if (database === null || lock === null) {
			this.outbox = null;
			this.flusher = null;
			return;
		}
		this.outbox = new Outbox(database, {
			now: this.#now,
			...(options.channel === undefined ? {} : { channel: options.channel })
		});
		this.flusher = new Flusher({
			...options.flusher,
			now: this.#now,
			outbox: this.outbox,
			transport: options.transport,
			auth: options.auth,
			lock
		});
	}

	/** Probes storage (a write and a read) and builds the engine accordingly. */
	static async create(options: OfflineEngineOptions): Promise<OfflineEngine> {
		const database =
			options.database ??
			new OfflineDatabase({
				...(options.onVersionChange === undefined
					? {}
					: { onVersionChange: options.onVersionChange }),
				...(options.onBlocked === undefined ? {} : { onBlocked: options.onBlocked }),
				...(options.onTerminated === undefined ? {} : { onTerminated: options.onTerminated })
			});
		const capable = await probeStorage(database);
		if (!capable) {
			database.close();
			return new OfflineEngine(options, null, null);
		}
		return new OfflineEngine(options, database, options.lock ?? createFlushLock(database));
	}

	/**
	 * Saves an action of `userId` on this phone and starts a flush. Resolves once it is stored
	 * (the UI may then say "saved on this phone"); rejects with OutboxWriteError if it is not.
	 * Without offline storage the action is sent at once: it resolves with the server's answer
	 * (status acked or rejected) or rejects with DirectSendError.
	 */
	async enqueue<K extends ActionKind>(
		userId: string,
		kind: K,
		payload: ActionPayloads[K]
	): Promise<OutboxRow> {
		if (this.outbox === null) return this.#sendDirect(userId, kind, payload);
		const row = await this.outbox.enqueue(userId, kind, payload);
		if (this.flusher?.userId === userId) void this.flusher.trigger('enqueue');
		return row;
	}

	/** Network first; on a network failure the last snapshot of this user's (T-cache). */
	cachedRead<T>(userId: string, key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>> {
		return this.cache.read(userId, key, fetcher);
	}

	close(): void {
		this.flusher?.stop();
		this.outbox?.close();
		this.outbox?.database.close();
	}

	async #sendDirect<K extends ActionKind>(
		userId: string,
		kind: K,
		payload: ActionPayloads[K]
	): Promise<OutboxRow> {
		const valid = validatePayload(kind, payload);
		if (!valid.ok)
			throw new OutboxWriteError('invalid', `invalid ${kind} payload: ${valid.message}`);
		const now = this.#now();
		this.#directSeq = Math.max(this.#directSeq + 1, now);
		const row = {
			id: uuidv7(),
			v: ACTION_SCHEMA_VERSION,
			seq: this.#directSeq,
			kind,
			payload: valid.payload,
			userId,
			deviceId: this.#directDevice,
			clientAt: new Date(now).toISOString(),
			activityId: activityOf(kind, valid.payload),
			status: 'pending',
			attempts: 0,
			failures: 0,
			nextAttemptAt: 0,
			createdAt: now,
			updatedAt: now
		} as OutboxRow;
		let refreshed = false;
		for (;;) {
			const auth = await this.#auth.current();
			if (auth.status === 'unreachable') {
				throw new DirectSendError('offline', 'offline, and this phone cannot keep offline work');
			}
			if (auth.status === 'signed_out' || auth.userId !== userId) {
				throw new DirectSendError('signed_out', 'not signed in as the owner of this action');
			}
			const outcome = await this.#transport.send({
				deviceId: row.deviceId,
				sentAt: new Date(this.#now()).toISOString(),
				actions: [toWire(row)],
				accessToken: auth.accessToken
			});
			const verdict = classify(outcome, this.#now());
			if (verdict.kind === 'results') {
				const [settled] = settleBatch([row], verdict.response, this.#now()).rows;
				if (settled !== undefined && settled.status !== 'pending') return settled;
				throw new DirectSendError('server', 'the server asked to retry later');
			}
			if (verdict.kind === 'auth' && !refreshed) {
				refreshed = true;
				const refresh = await this.#auth.refresh();
				if (refresh === 'ok') continue;
				if (refresh === 'network') throw new DirectSendError('offline', 'offline');
				throw new DirectSendError('signed_out', 'the session could not be refreshed');
			}
			if (
				verdict.kind === 'transient' &&
				(verdict.error === 'network' || verdict.error === 'timeout')
			) {
				throw new DirectSendError('offline', 'offline, and this phone cannot keep offline work');
			}
			if (verdict.kind === 'auth') throw new DirectSendError('signed_out', 'signed out');
			throw new DirectSendError('server', `the server did not accept the call (${verdict.kind})`);
		}
	}
}
