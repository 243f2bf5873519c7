// The page reader against the real read cache on an in-memory IndexedDB (fake-indexeddb).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '#lib/data/errors.ts';
import { ReadCache, type CachedRead } from '#lib/offline/cache.ts';
import { OfflineDatabase } from '#lib/offline/db.ts';
import { PageReader, type ReadPort } from './page-reader.svelte.ts';

const USER = 'user-1';
const KEY = 'activities';

interface Answer {
	title: string;
	serverNow: Date | null;
}

/** The sync engine's reads over a real ReadCache, with an upload clock the test moves. */
class CachePort implements ReadPort {
	lastSyncAt: number | null = $state(null);
	readonly cache: ReadCache;

	constructor(now: () => number) {
		this.cache = new ReadCache(new OfflineDatabase({ name: `reader-${crypto.randomUUID()}` }), now);
	}

	cachedRead<T>(key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>> {
		return this.cache.read(USER, key, fetcher);
	}

	async peek<T>(key: string): Promise<CachedRead<T> | null> {
		const entry = await this.cache.get(USER, key);
		return entry === undefined
			? null
			: { data: entry.data as T, fetchedAt: entry.fetchedAt, fromCache: true };
	}
}

function deferred<T>() {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((ok, fail) => {
		resolve = ok;
		reject = fail;
	});
	return { promise, resolve, reject };
}

function setup(fetch: () => Promise<Answer>) {
	let wallClock = 1_000;
	let monotonic = 0;
	const port = new CachePort(() => wallClock);
	const onUnauthorized = vi.fn(() => Promise.resolve());
	const reader = new PageReader<Answer>({
		port,
		source: () => ({ key: KEY, fetch }),
		onUnauthorized,
		serverNow: (answer) => answer.serverNow,
		monotonic: () => monotonic,
		tickMs: 10
	});
	return {
		port,
		reader,
		onUnauthorized,
		setWallClock: (ms: number) => (wallClock = ms),
		advanceMonotonic: (ms: number) => (monotonic += ms)
	};
}

describe('PageReader', () => {
	it('shows the phone’s copy while the network read runs, then the fresh answer', async () => {
		let network = deferred<Answer>();
		const { port, reader } = setup(() => network.promise);
		await port.cache.put(USER, KEY, { title: 'stored', serverNow: null }, 500);

		const reading = reader.load();
		await vi.waitFor(() => {
			expect(reader.data?.title).toBe('stored');
		});
		expect(reader.fromCache).toBe(true);
		expect(reader.loading).toBe(true);
		// Still refreshing: the copy is not yet called stale.
		expect(reader.stale).toBe(false);

		network.resolve({ title: 'fresh', serverNow: null });
		await reading;
		expect(reader.data?.title).toBe('fresh');
		expect(reader.fromCache).toBe(false);
		expect(reader.fetchedAt).toBe(1_000);
		expect(reader.stale).toBe(false);
		// And the fresh answer is now the phone's copy.
		expect((await port.cache.get(USER, KEY))?.data).toEqual({ title: 'fresh', serverNow: null });

		network = deferred<Answer>();
		network.resolve({ title: 'second', serverNow: null });
		await reader.load();
		expect(reader.data?.title).toBe('second');
	});

	it('never lets a late copy replace the network’s answer', async () => {
		const { port, reader } = setup(() => Promise.resolve({ title: 'fresh', serverNow: null }));
		await port.cache.put(USER, KEY, { title: 'stored', serverNow: null }, 500);
		const peek = deferred<CachedRead<Answer> | null>();
		vi.spyOn(port, 'peek').mockReturnValue(peek.promise);
		await reader.load();
		peek.resolve({ data: { title: 'stored', serverNow: null }, fetchedAt: 500, fromCache: true });
		await peek.promise;
		await Promise.resolve();
		expect(reader.data?.title).toBe('fresh');
		expect(reader.fromCache).toBe(false);
	});

	it('signs out on a 401 and shows no error', async () => {
		const { reader, onUnauthorized } = setup(() =>
			Promise.reject(new AppError('unauthorized', 'JWT expired'))
		);
		await reader.load();
		expect(onUnauthorized).toHaveBeenCalledOnce();
		expect(reader.error).toBeNull();
		expect(reader.data).toBeNull();
	});

	it('is stale after a refresh that failed for lack of network, with the copy’s age', async () => {
		let fail = false;
		const { reader, setWallClock } = setup(() =>
			fail
				? Promise.reject(new TypeError('Failed to fetch'))
				: Promise.resolve({ title: 'fresh', serverNow: null })
		);
		await reader.load();
		expect(reader.stale).toBe(false);

		fail = true;
		setWallClock(9_000);
		await reader.load();
		expect(reader.stale).toBe(true);
		expect(reader.fromCache).toBe(true);
		expect(reader.fetchedAt).toBe(1_000);
		expect(reader.data?.title).toBe('fresh');
		expect(reader.error).toBeNull();
	});

	it('reports the failure when there is no copy to stand in', async () => {
		const { reader, onUnauthorized } = setup(() =>
			Promise.reject(new TypeError('Failed to fetch'))
		);
		await reader.load();
		expect(reader.error?.kind).toBe('network');
		expect(reader.stale).toBe(false);
		expect(reader.loading).toBe(false);
		expect(onUnauthorized).not.toHaveBeenCalled();
	});

	// Effects do not run in the unit project (Svelte's server build), so these call what the
	// effects in follow() call.
	it('reads again when the sync engine reports a completed upload, not at the first report', async () => {
		const fetch = vi.fn(() => Promise.resolve({ title: 'fresh', serverNow: null }));
		const { reader } = setup(fetch);
		reader.syncReported(null);
		reader.syncReported(100);
		expect(fetch).not.toHaveBeenCalled();

		reader.syncReported(200);
		await vi.waitFor(() => {
			expect(fetch).toHaveBeenCalledOnce();
		});
		await vi.waitFor(() => {
			expect(reader.data?.title).toBe('fresh');
		});

		reader.syncReported(200);
		expect(fetch).toHaveBeenCalledOnce();
	});

	it('tells the time by the server’s clock, moving with the phone’s monotonic clock', async () => {
		const serverNow = new Date('2027-03-01T02:00:00Z');
		const { reader, advanceMonotonic } = setup(() =>
			Promise.resolve({ title: 'fresh', serverNow })
		);
		await reader.load();
		expect(reader.now.toISOString()).toBe('2027-03-01T02:00:00.000Z');

		advanceMonotonic(60_000);
		reader.tick();
		expect(reader.now.toISOString()).toBe('2027-03-01T02:01:00.000Z');
	});
});
