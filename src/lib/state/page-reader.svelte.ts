// How a page reads its data, in one place: the first read, the phone's copy shown while the
// network read runs, sign-out on 401, the stale notice, the server's clock, and a fresh read when
// the sync engine reports an upload answered. A page gives what to read; it shows `data`.
import { untrack } from 'svelte';
import { toAppError, type AppError } from '#lib/data/errors.ts';
import { serverTimeNow, type ServerClockAnchor } from '#lib/domain/server-clock.ts';
import type { CachedRead } from '#lib/offline/cache.ts';

/** The sync engine as a reader needs it (`sync` in the app; a stand-in in tests). */
export interface ReadPort {
	/** When the last upload was answered; a change means the server's truth moved. */
	readonly lastSyncAt: number | null;
	/** Network first; the phone's last snapshot when the network fails (see SyncState). */
	cachedRead<T>(key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>>;
	/** The phone's snapshot without asking the network, when it can be had cheaply (or null). */
	peek<T>(key: string): Promise<CachedRead<T> | null>;
}

/** One read: the cache key and the request (a page's early answer the first time). */
export interface ReadSource<T> {
	key: string;
	fetch: () => Promise<T>;
}

export interface PageReaderOptions<T> {
	port: ReadPort;
	/** What to read now (called at each read, so it follows the address). */
	source: () => ReadSource<T>;
	/** A 401: the session is gone (session.expire()). */
	onUnauthorized: () => Promise<unknown>;
	/** The server's time in an answer, when it carries one: `now` follows it, not the phone's. */
	serverNow?: (data: T) => Date | null;
	/** Awaited before an answer is shown (the home page lets its head paint first). */
	beforeShow?: () => Promise<void>;
	/** Called after an answer (or the phone's copy) is shown. */
	onShown?: (read: CachedRead<T>) => void;
	/** Milliseconds between ticks of `now` while followed. */
	tickMs?: number;
	/** A monotonic clock (performance.now in the app). */
	monotonic?: () => number;
}

/** The phone's clock, until an answer gave the server's (a snapshot; not mutated). */
function phoneNow(): Date {
	return new Date();
}

export class PageReader<T> {
	/** The last answer shown (from the network, or the phone's copy). */
	data: T | null = $state.raw(null);
	/** When the shown answer was read from the server (epoch ms). */
	fetchedAt = $state(0);
	/** The shown answer is the phone's copy. */
	fromCache = $state(false);
	loading = $state(true);
	/** Why the last read failed (never a 401: that signs out). */
	error: AppError | null = $state.raw(null);

	/** The phone's copy stands in for a network read that failed: the page says how old it is. */
	readonly stale = $derived(this.fromCache && !this.loading && this.error === null);
	/** Server time when an answer gave it (the phone's clock may be wrong by hours). */
	readonly now: Date = $derived.by(() =>
		this.#anchor === null ? phoneNow() : serverTimeNow(this.#anchor, this.#monotonicNow)
	);

	#anchor: ServerClockAnchor | null = $state.raw(null);
	#monotonicNow = $state(0);
	#options: PageReaderOptions<T>;
	#monotonic: () => number;
	#seenSync: number | null = null;
	/** Counts reads: an answer to an older read never replaces a newer one. */
	#generation = 0;

	constructor(options: PageReaderOptions<T>) {
		this.#options = options;
		this.#monotonic = options.monotonic ?? (() => performance.now());
		this.#monotonicNow = this.#monotonic();
	}

	/** Reads (again): the phone's copy at once when there is one, then the network's answer. */
	async load(): Promise<void> {
		const generation = ++this.#generation;
		const current = () => generation === this.#generation;
		const { key, fetch } = this.#options.source();
		this.loading = true;
		this.error = null;
		let answered = false;
		void this.#options.port
			.peek<T>(key)
			.then((copy) => {
				if (copy === null || answered || !current() || this.data !== null) return;
				this.#show(copy);
			})
			.catch(() => undefined);
		try {
			const read = await this.#options.port.cachedRead(key, fetch);
			answered = true;
			await this.#options.beforeShow?.();
			if (current()) this.#show(read);
		} catch (error) {
			answered = true;
			if (!current()) return;
			const failure = toAppError(error);
			if (failure.kind === 'unauthorized') {
				await this.#options.onUnauthorized();
				return;
			}
			this.error = failure;
		} finally {
			if (current()) this.loading = false;
		}
	}

	/** Forgets what was shown (the page now shows something else, e.g. another activity). */
	reset(): void {
		this.#generation++;
		this.data = null;
		this.fetchedAt = 0;
		this.fromCache = false;
		this.error = null;
		this.#anchor = null;
	}

	/**
	 * Call in a component's setup: reads again when an upload is answered (here or in another
	 * tab) and keeps `now` ticking. Cleaned up with the component.
	 */
	follow(): void {
		$effect(() => {
			const at = this.#options.port.lastSyncAt;
			untrack(() => {
				this.syncReported(at);
			});
		});
		$effect(() => {
			const timer = setInterval(() => {
				this.tick();
			}, this.#options.tickMs ?? 30_000);
			return () => {
				clearInterval(timer);
			};
		});
	}

	/**
	 * The sync engine's last answered upload, as it changes: a new one reads again. The first
	 * report is only noted (the page's own first read is under way).
	 */
	syncReported(at: number | null): void {
		if (at === null || at === this.#seenSync) return;
		const first = this.#seenSync === null;
		this.#seenSync = at;
		if (!first) void this.load();
	}

	/** Moves `now` on by the time elapsed on the monotonic clock. */
	tick(): void {
		this.#monotonicNow = this.#monotonic();
	}

	#show(read: CachedRead<T>): void {
		this.data = read.data;
		this.fetchedAt = read.fetchedAt;
		this.fromCache = read.fromCache;
		this.#monotonicNow = this.#monotonic();
		const serverTime = this.#options.serverNow?.(read.data) ?? null;
		if (serverTime !== null) {
			this.#anchor = { serverTime, monotonicAt: this.#monotonicNow };
		} else if (!read.fromCache) {
			this.#anchor = null;
		}
		this.#options.onShown?.(read);
	}
}
