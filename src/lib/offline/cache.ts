// The read cache (docs/offline-and-checkin.md, "Reads: snapshots": cached in IndexedDB). Network first: a read
// that works refreshes the cache; a read that fails for lack of network (or a server hiccup)
// answers with the last snapshot of *this user* and when it was taken, so the page can say how
// old it is. A refused read (signed out, forbidden) is never papered over with cached data.
import { toAppError } from '#lib/data/errors.ts';
import type { CacheEntry, OfflineDatabase } from './db.ts';

export interface CachedRead<T> {
	data: T;
	/** When the read that produced `data` was requested (epoch ms). */
	fetchedAt: number;
	/** True when the network read failed and this is the stored snapshot. */
	fromCache: boolean;
	/** Why the network read failed, when fromCache. */
	error?: unknown;
}

/** Failures a stored snapshot may stand in for: the server was not reached or misbehaved. */
export function isUnreachable(error: unknown): boolean {
	const kind = toAppError(error).kind;
	return kind === 'network' || kind === 'server' || kind === 'bad_response';
}

export class ReadCache {
	#database: OfflineDatabase | null;
	#now: () => number;

	/** `database` null: no offline storage on this phone; reads go to the network only. */
	constructor(database: OfflineDatabase | null, now: () => number = Date.now) {
		this.#database = database;
		this.#now = now;
	}

	async read<T>(userId: string, key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>> {
		const fetchedAt = this.#now();
		try {
			const data = await fetcher();
			await this.put(userId, key, data, fetchedAt);
			return { data, fetchedAt, fromCache: false };
		} catch (error) {
			if (!isUnreachable(error)) throw error;
			const entry = await this.get(userId, key);
			if (entry === undefined) throw error;
			return { data: entry.data as T, fetchedAt: entry.fetchedAt, fromCache: true, error };
		}
	}

	async get(
		userId: string,
		key: string
	): Promise<{ data: unknown; fetchedAt: number } | undefined> {
		if (this.#database === null) return undefined;
		try {
			const entry = await this.#database.use((db) => db.get('cache', `${userId}:${key}`));
			return entry === undefined ? undefined : { data: entry.data, fetchedAt: entry.fetchedAt };
		} catch (error) {
			console.warn('read cache unavailable', error);
			return undefined;
		}
	}

	/** Best effort: a cache that cannot be written never fails the read that succeeded. */
	async put(userId: string, key: string, data: unknown, fetchedAt: number): Promise<void> {
		if (this.#database === null) return;
		try {
			const entry: CacheEntry = { key: `${userId}:${key}`, userId, data, fetchedAt };
			await this.#database.use((db) => db.put('cache', entry));
		} catch (error) {
			console.warn('read cache not written', error);
		}
	}

	/** Forgets everything cached for a user (sign-out: cached reads are personal data). */
	async clearUser(userId: string): Promise<void> {
		if (this.#database === null) return;
		try {
			await this.#database.use(async (db) => {
				const tx = db.transaction('cache', 'readwrite');
				for await (const cursor of tx.store.index('by_user').iterate(userId)) {
					await cursor.delete();
				}
				await tx.done;
			});
		} catch (error) {
			console.warn('read cache not cleared', error);
		}
	}
}
