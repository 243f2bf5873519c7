// The durable outbox (docs/decisions.md §2): every action is written in one strict
// readwrite transaction, with its per-device sequence number allocated in that same
// transaction, before the UI may say "saved on this phone". Rows are only ever read and sent
// for their owner. Other tabs hear about changes over a BroadcastChannel.
import { uuidv7 } from 'uuidv7';
import {
	ACTION_SCHEMA_VERSION,
	activityOf,
	bySeq,
	type ActionKind,
	type ActionPayloads,
	type OutboxRow
} from '#lib/domain/outbox.ts';
import { upcastRow, validatePayload } from '#lib/domain/outbox-validation.ts';
import type { OfflineDatabase } from './db.ts';
import { OutboxWriteError, type OutboxWriteErrorKind } from './errors.ts';

export { OutboxWriteError } from './errors.ts';

export const OUTBOX_CHANNEL = 'union-outbox';
/** Acked rows are kept this long for the "recent" list and overlay retirement, then removed. */
export const ACKED_RETENTION_MS = 24 * 3_600_000;

function writeErrorKind(error: unknown): OutboxWriteErrorKind {
	const name = error instanceof Error || error instanceof DOMException ? error.name : '';
	if (name === 'QuotaExceededError') return 'quota';
	if (error instanceof Error && error.cause instanceof DOMException) {
		return error.cause.name === 'QuotaExceededError' ? 'quota' : 'unavailable';
	}
	return 'unavailable';
}

export interface OutboxOptions {
	now?: () => number;
	/** BroadcastChannel name; null disables cross-tab notices (tests). */
	channel?: string | null;
}

type Listener = () => void;

export class Outbox {
	readonly database: OfflineDatabase;
	#now: () => number;
	#listeners = new Set<Listener>();
	#channel: BroadcastChannel | null = null;

	constructor(database: OfflineDatabase, options: OutboxOptions = {}) {
		this.database = database;
		this.#now = options.now ?? Date.now;
		const name = options.channel === undefined ? OUTBOX_CHANNEL : options.channel;
		if (name !== null && typeof BroadcastChannel !== 'undefined') {
			this.#channel = new BroadcastChannel(name);
			this.#channel.onmessage = () => {
				this.#emit();
			};
		}
	}

	/** The install's device id (random, made with the database). */
	async deviceId(): Promise<string> {
		const id = await this.database.use((db) => db.get('meta', 'deviceId'));
		if (typeof id !== 'string') throw new Error('device id missing');
		return id;
	}

	/** The next sequence number that will be allocated (diagnostics and tests). */
	async nextSeq(): Promise<number> {
		const next = await this.database.use((db) => db.get('meta', 'nextSeq'));
		return typeof next === 'number' ? next : 1;
	}

	/**
	 * Saves one action of `userId` and resolves with the stored row once the transaction has
	 * committed (durability strict). Rejects with OutboxWriteError when it could not be saved:
	 * then nothing was stored and the sequence number was not used.
	 */
	async enqueue<K extends ActionKind>(
		userId: string,
		kind: K,
		payload: ActionPayloads[K]
	): Promise<OutboxRow> {
		const valid = validatePayload(kind, payload);
		if (!valid.ok)
			throw new OutboxWriteError('invalid', `invalid ${kind} payload: ${valid.message}`);
		const now = this.#now();
		const id = uuidv7();
		let row: OutboxRow;
		try {
			row = await this.database.use(async (db) => {
				const tx = db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
				try {
					const meta = tx.objectStore('meta');
					const [deviceId, nextSeq] = await Promise.all([
						meta.get('deviceId'),
						meta.get('nextSeq')
					]);
					if (typeof deviceId !== 'string') throw new Error('device id missing');
					const seq = typeof nextSeq === 'number' ? nextSeq : 1;
					const stored = {
						id,
						v: ACTION_SCHEMA_VERSION,
						seq,
						kind,
						payload: valid.payload,
						userId,
						deviceId,
						clientAt: new Date(now).toISOString(),
						activityId: activityOf(kind, valid.payload),
						status: 'pending',
						attempts: 0,
						failures: 0,
						nextAttemptAt: 0,
						createdAt: now,
						updatedAt: now
					} as OutboxRow;
					// Both writes or neither: the sequence number is only used by a stored action.
					await meta.put(seq + 1, 'nextSeq');
					await tx.objectStore('outbox').add(stored);
					await tx.done;
					return stored;
				} catch (error) {
					try {
						tx.abort();
					} catch {
						// Already finished (committed or aborted by the browser).
					}
					tx.done.catch(() => undefined);
					throw error;
				}
			});
		} catch (error) {
			console.warn('outbox: enqueue failed', error);
			throw new OutboxWriteError(writeErrorKind(error), 'the action could not be saved', {
				cause: error
			});
		}
		this.#changed();
		return row;
	}

	/** All rows of one user (or of everyone), upcast, in sequence order. */
	async rows(userId?: string): Promise<OutboxRow[]> {
		const stored = await this.database.use((db) =>
			userId === undefined
				? db.getAll('outbox')
				: db.getAllFromIndex(
						'outbox',
						'by_user_seq',
						IDBKeyRange.bound([userId, -Infinity], [userId, Infinity])
					)
		);
		const now = this.#now();
		const rows = stored.map((row) => upcastRow(row, now));
		const changed = rows.filter((row, index) => row !== stored[index]);
		if (changed.length > 0) await this.#put(changed);
		return rows.sort(bySeq);
	}

	async get(id: string): Promise<OutboxRow | undefined> {
		const row = await this.database.use((db) => db.get('outbox', id));
		return row === undefined ? undefined : upcastRow(row, this.#now());
	}

	/** Rows still to be sent for this user, in sequence order. */
	async pending(userId: string): Promise<OutboxRow[]> {
		return (await this.rows(userId)).filter((row) => row.status === 'pending');
	}

	/**
	 * Stores updated rows in one transaction. A row another writer already made terminal is
	 * never moved back to pending (the terminal answer is the server's and is final).
	 */
	async save(rows: readonly OutboxRow[]): Promise<void> {
		if (rows.length === 0) return;
		await this.#put(rows);
		this.#changed();
	}

	/** The user has read a rejected or blocked action: keep it, stop showing it. */
	async dismiss(id: string): Promise<void> {
		const row = await this.get(id);
		if (row === undefined || row.status === 'pending' || row.status === 'acked') return;
		await this.save([{ ...row, dismissedAt: this.#now(), updatedAt: this.#now() }]);
	}

	/** Deletes a dead-lettered action the user chose to discard (never a pending one). */
	async discard(id: string): Promise<void> {
		await this.database.use(async (db) => {
			const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
			const row = await tx.store.get(id);
			if (row !== undefined && (row.status === 'rejected' || row.status === 'blocked')) {
				await tx.store.delete(id);
			}
			await tx.done;
		});
		this.#changed();
	}

	/**
	 * Deletes this user's actions not yet uploaded, when the user explicitly chose to discard
	 * them (the logout dialog names how many). Returns how many were deleted.
	 */
	async discardPending(userId: string): Promise<number> {
		const removed = await this.database.use(async (db) => {
			const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
			let count = 0;
			const range = IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
			for await (const cursor of tx.store.index('by_user_seq').iterate(range)) {
				if (cursor.value.status === 'pending') {
					await cursor.delete();
					count += 1;
				}
			}
			await tx.done;
			return count;
		});
		if (removed > 0) this.#changed();
		return removed;
	}

	/** Removes acked rows settled more than ACKED_RETENTION_MS ago. Pending ones are never aged out. */
	async collectGarbage(): Promise<number> {
		const cutoff = this.#now() - ACKED_RETENTION_MS;
		const removed = await this.database.use(async (db) => {
			const tx = db.transaction('outbox', 'readwrite');
			let count = 0;
			for await (const cursor of tx.store.index('by_status').iterate('acked')) {
				if ((cursor.value.settledAt ?? cursor.value.updatedAt) < cutoff) {
					await cursor.delete();
					count += 1;
				}
			}
			await tx.done;
			return count;
		});
		if (removed > 0) this.#changed();
		return removed;
	}

	/** Called on any change here or in another tab. Returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	close(): void {
		this.#channel?.close();
		this.#channel = null;
		this.#listeners.clear();
	}

	async #put(rows: readonly OutboxRow[]): Promise<void> {
		await this.database.use(async (db) => {
			const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
			await Promise.all(
				rows.map(async (row) => {
					const current = await tx.store.get(row.id);
					if (current !== undefined && current.status !== 'pending' && row.status === 'pending') {
						return;
					}
					await tx.store.put(row);
				})
			);
			await tx.done;
		});
	}

	#changed(): void {
		this.#emit();
		this.#channel?.postMessage({ type: 'changed' });
	}

	#emit(): void {
		for (const listener of this.#listeners) {
			try {
				listener();
			} catch (error) {
				console.error('outbox listener failed', error);
			}
		}
	}
}
