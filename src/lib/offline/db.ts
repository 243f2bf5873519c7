// The phone's own database (IndexedDB through `idb`): the outbox, the read cache and a little
// metadata (device id, next sequence number). One connection per tab, reopened when the browser
// closes it; a newer app version asking to upgrade makes this tab close and reload.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { OutboxRow, OutboxStatus } from '#lib/domain/outbox.ts';

export const DB_NAME = 'union-offline';
/** Bump with an upgrade step below; never rewrite an old step. */
export const DB_VERSION = 1;

export interface CacheEntry {
	/** `${userId}:${key}`: cached reads are personal and never shown to another account. */
	key: string;
	userId: string;
	data: unknown;
	/** When the read that produced `data` was requested (epoch ms). */
	fetchedAt: number;
}

export interface FlushLease {
	owner: string;
	expiresAt: number;
}

export interface OfflineSchema extends DBSchema {
	meta: {
		key: string;
		value: string | number | FlushLease | Record<string, unknown>;
	};
	outbox: {
		key: string;
		value: OutboxRow;
		indexes: { by_user_seq: [string, number]; by_status: OutboxStatus };
	};
	cache: {
		key: string;
		value: CacheEntry;
		indexes: { by_user: string };
	};
	probe: {
		key: string;
		value: number;
	};
}

export type OfflineDb = IDBPDatabase<OfflineSchema>;

export class StorageUnavailableError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'StorageUnavailableError';
	}
}

export interface OfflineDatabaseOptions {
	name?: string;
	/** Some other tab runs a newer version that needs this one to let go: close and reload. */
	onVersionChange?: () => void;
	/** This tab's upgrade waits for an old tab: ask the user to close other tabs of the app. */
	onBlocked?: () => void;
	/** The browser closed the connection (site data cleared, storage pressure): look again. */
	onTerminated?: () => void;
}

/** The connection, opened lazily and reopened after the browser closed it (T19). */
export class OfflineDatabase {
	readonly name: string;
	#options: OfflineDatabaseOptions;
	#opening: Promise<OfflineDb> | null = null;

	constructor(options: OfflineDatabaseOptions = {}) {
		this.name = options.name ?? DB_NAME;
		this.#options = options;
	}

	/** An open connection; rejects with StorageUnavailableError when IndexedDB cannot be used. */
	db(): Promise<OfflineDb> {
		this.#opening ??= this.#open().catch((error: unknown) => {
			this.#opening = null;
			throw error;
		});
		return this.#opening;
	}

	/**
	 * Runs `fn` with the connection. A connection the browser closed under us (InvalidStateError
	 * on a new transaction, before its `close` event arrives) is dropped and `fn` runs once more
	 * on a new one; `fn` must not have written anything when that error is thrown.
	 */
	async use<T>(fn: (db: OfflineDb) => Promise<T>): Promise<T> {
		const db = await this.db();
		try {
			return await fn(db);
		} catch (error) {
			if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error;
			console.warn('IndexedDB connection was closed; reopening', error);
			this.#opening = null;
			return fn(await this.db());
		}
	}

	close(): void {
		const opening = this.#opening;
		this.#opening = null;
		void opening?.then((db) => {
			db.close();
		});
	}

	async #open(): Promise<OfflineDb> {
		// Absent in some in-app browsers and hardened modes; `idb` opens through the global.
		if (!('indexedDB' in globalThis) || (globalThis.indexedDB as IDBFactory | null) == null) {
			throw new StorageUnavailableError('IndexedDB is not available in this browser');
		}
		try {
			const db = await openDB<OfflineSchema>(this.name, DB_VERSION, {
				upgrade(database, oldVersion, _newVersion, transaction) {
					if (oldVersion < 1) {
						const meta = database.createObjectStore('meta');
						// The device id: random per install, never per tab (docs/decisions.md §2).
						void meta.put(crypto.randomUUID(), 'deviceId');
						void meta.put(1, 'nextSeq');
						const outbox = database.createObjectStore('outbox', { keyPath: 'id' });
						outbox.createIndex('by_user_seq', ['userId', 'seq']);
						outbox.createIndex('by_status', 'status');
						const cache = database.createObjectStore('cache', { keyPath: 'key' });
						cache.createIndex('by_user', 'userId');
						database.createObjectStore('probe');
					}
					void transaction.done;
				},
				blocked: () => {
					this.#options.onBlocked?.();
				},
				blocking: () => {
					// A newer version waits for us: let go at once, then reload into it.
					this.close();
					this.#options.onVersionChange?.();
				},
				terminated: () => {
					// The browser closed the connection (storage pressure, T19; site data cleared):
					// reopen on next use.
					this.#opening = null;
					this.#options.onTerminated?.();
				}
			});
			return db;
		} catch (error) {
			throw new StorageUnavailableError(
				`IndexedDB could not be opened: ${error instanceof Error ? error.message : String(error)}`,
				{ cause: error }
			);
		}
	}
}

/**
 * Writes and reads back a value (docs/decisions.md §9): in private modes IndexedDB may exist and still
 * refuse writes. False means this phone cannot keep offline work.
 */
export async function probeStorage(database: OfflineDatabase): Promise<boolean> {
	try {
		const db = await database.db();
		const value = Date.now();
		const tx = db.transaction('probe', 'readwrite', { durability: 'strict' });
		await tx.store.put(value, 'probe');
		await tx.done;
		const read = await db.get('probe', 'probe');
		return read === value;
	} catch (error) {
		console.warn('offline storage probe failed', error);
		return false;
	}
}
