// One flusher at a time across all tabs of the app (docs/decisions.md §3): the Web Lock "outbox-flush"
// where the browser has Web Locks (Safari ≥ 15.4, all current engines), else a lease row in
// IndexedDB that expires if its tab dies.
import type { FlushLease, OfflineDatabase } from './db.ts';

export const FLUSH_LOCK_NAME = 'outbox-flush';

export interface FlushLock {
	/** Runs `fn` holding the lock if nobody holds it; 'busy' without running it otherwise. */
	tryRun(fn: () => Promise<void>): Promise<'ran' | 'busy'>;
	/** Waits for the lock and runs `fn` holding it (an app update waits for any flush to end). */
	runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export function webLocksFlushLock(locks: LockManager, name = FLUSH_LOCK_NAME): FlushLock {
	return {
		async tryRun(fn) {
			return locks.request(name, { ifAvailable: true }, async (lock) => {
				if (lock === null) return 'busy' as const;
				await fn();
				return 'ran' as const;
			});
		},
		async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
			return locks.request(name, async () => fn());
		}
	};
}

export interface LeaseOptions {
	ttlMs?: number;
	now?: () => number;
	/** How often runExclusive looks again while another tab holds the lease. */
	pollMs?: number;
}

/**
 * The fallback: a lease `{owner, expiresAt}` in the meta store, taken in a readwrite
 * transaction (IndexedDB serialises those), renewed while held, expiring when its tab dies.
 */
export function leaseFlushLock(database: OfflineDatabase, options: LeaseOptions = {}): FlushLock {
	const ttlMs = options.ttlMs ?? 15_000;
	const now = options.now ?? Date.now;
	const pollMs = options.pollMs ?? 250;
	const owner = crypto.randomUUID();
	let held = false;

	async function acquire(): Promise<boolean> {
		if (held) return false;
		const db = await database.db();
		const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
		const lease = (await tx.store.get('flushLease')) as
			{ owner: string; expiresAt: number } | undefined;
		if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now()) {
			await tx.done;
			return false;
		}
		await tx.store.put({ owner, expiresAt: now() + ttlMs }, 'flushLease');
		await tx.done;
		held = true;
		return true;
	}

	async function release(): Promise<void> {
		held = false;
		await database.use(async (db) => {
			const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
			const lease = (await tx.store.get('flushLease')) as FlushLease | undefined;
			if (lease?.owner === owner) await tx.store.delete('flushLease');
			await tx.done;
		});
	}

	async function holding<T>(fn: () => Promise<T>): Promise<T> {
		const renew = setInterval(() => {
			void database
				.use(async (db) => {
					const tx = db.transaction('meta', 'readwrite');
					const lease = (await tx.store.get('flushLease')) as FlushLease | undefined;
					if (lease?.owner === owner) {
						await tx.store.put({ owner, expiresAt: now() + ttlMs }, 'flushLease');
					}
					await tx.done;
				})
				.catch((error: unknown) => {
					console.warn('flush lease not renewed', error);
				});
		}, ttlMs / 3);
		try {
			return await fn();
		} finally {
			clearInterval(renew);
			await release();
		}
	}

	return {
		async tryRun(fn) {
			if (!(await acquire())) return 'busy';
			await holding(fn);
			return 'ran';
		},
		async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
			while (!(await acquire())) {
				await new Promise((resolve) => setTimeout(resolve, pollMs));
			}
			return holding(fn);
		}
	};
}

/** Web Locks when the browser has them, else the IndexedDB lease. */
export function createFlushLock(database: OfflineDatabase): FlushLock {
	const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
	return locks === undefined ? leaseFlushLock(database) : webLocksFlushLock(locks);
}
