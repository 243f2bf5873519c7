// The offline engine as the UI sees it: pending count, sync phase, last sync time, per-item
// states, "Sync now", enqueue and cached reads. One instance per tab (`sync`), started from the
// root layout load with the runtime config and the session; it follows sign-in and sign-out.
import { untrack } from 'svelte';
import type { RuntimeConfig } from '#lib/data/config.ts';
import {
	needsAttention,
	type ActionKind,
	type ActionPayloads,
	type OutboxRow,
	type RowError
} from '#lib/domain/outbox.ts';
import {
	overlayRegistration,
	type RegistrationOverlay,
	type ServerRegistrationView,
	type SnapshotMeta
} from '#lib/domain/outbox-overlay.ts';
import type { CachedRead } from '#lib/offline/cache.ts';
import type { OfflineEngine } from '#lib/offline/engine.ts';
import type { FlusherStatus, SyncPhase } from '#lib/offline/flusher.ts';
import { afterFirstPage, markFirstPageShown } from './idle.ts';
import type { SessionState } from './session.svelte.ts';

export type { SyncPhase };

/** What one action shows: saved here, synced, refused (with its reason), or waiting for sign-in. */
export type ItemState = 'pending' | 'synced' | 'rejected' | 'blocked' | 'sign_in_needed';

const LAST_USER_KEY = 'union-activities.last-user';
/** At the latest this long after an answer arrives, it is stored for offline use. */
const SNAPSHOT_WRITE_DELAY_MS = 500;

/** The same rows, none written since (every write of a row moves one of these). */
function sameRows(a: readonly OutboxRow[], b: readonly OutboxRow[]): boolean {
	return (
		a.length === b.length &&
		a.every((row, index) => {
			const other = b[index];
			if (other === undefined) return false;
			return (
				row.id === other.id &&
				row.status === other.status &&
				row.updatedAt === other.updatedAt &&
				row.attempts === other.attempts &&
				row.settledAt === other.settledAt &&
				row.dismissedAt === other.dismissedAt &&
				row.lastError?.at === other.lastError?.at
			);
		})
	);
}

export class SyncState {
	/** null until storage was probed; false: this phone cannot keep offline work (banner). */
	offlineCapable: boolean | null = $state(null);
	phase: SyncPhase = $state('idle');
	lastSyncAt: number | null = $state(null);
	lastError: RowError | null = $state.raw(null);
	/** The signed-in user whose actions are flushed, or null. */
	userId: string | null = $state(null);
	/** This user's rows, in sequence order (pending, recent acked, dead letters). */
	rows: OutboxRow[] = $state.raw([]);
	/** Pending rows saved on this phone by accounts that are not signed in now. */
	parkedCount = $state(0);
	online = $state(true);
	/** navigator.storage.persisted(), asked after sign-in; null when unknown. */
	persisted: boolean | null = $state(null);
	deviceId: string | null = $state(null);
	/**
	 * The phone's database vanished under the running app (site data cleared, eviction) while it
	 * held this many actions not uploaded: they are gone, and the app says so (R11).
	 */
	storageLost: { count: number } | null = $state(null);

	readonly pendingCount = $derived(this.rows.filter((row) => row.status === 'pending').length);
	readonly attentionCount = $derived(
		this.rows.filter((row) => needsAttention(row) && row.dismissedAt === undefined).length
	);
	/** The phase to show: signed out with saved actions waiting is "sign in to upload". */
	readonly displayPhase: SyncPhase = $derived(
		this.userId === null && this.parkedCount > 0
			? 'auth_required'
			: !this.online && this.phase === 'idle' && this.pendingCount > 0
				? 'offline'
				: this.phase
	);

	#engine: OfflineEngine | null = null;
	#engineReady: Promise<OfflineEngine> | null = null;
	/** Answers read from the network, on their way into the offline snapshot cache. */
	#snapshotWrites: Promise<void> = Promise.resolve();
	/** Set by init(): starts the engine (once, through #requireEngine). */
	#start: (() => Promise<OfflineEngine>) | null = null;
	#session: SessionState | null = null;
	#persistAsked = false;
	#testHook = false;

	/**
	 * Prepares the engine (idempotent): it starts once the first page is on screen and the tab is
	 * idle, or at once when something needs it (an offline read, saving an action).
	 */
	init(config: RuntimeConfig, session: SessionState): void {
		if (this.#start !== null) return;
		this.#session = session;
		this.#start = () => this.#startEngine(config, session);
		// Read at start: the engine may attach pages later, after the flag has left the address.
		this.#testHook = typeof window !== 'undefined' && testHookWanted();
		afterFirstPage(() => {
			this.#requireEngine().catch((error: unknown) => {
				console.error('offline engine did not start', error);
			});
		});
	}

	/** Storage probe, outbox, flusher, triggers, session following: the engine's own chunk. */
	#startEngine(config: RuntimeConfig, session: SessionState): Promise<OfflineEngine> {
		return Promise.all([import('#lib/offline/engine.ts'), import('#lib/offline/transport.ts')])
			.then(([{ OfflineEngine }, { supabaseAuthPort, supabaseTransport }]) =>
				OfflineEngine.create({
					transport: supabaseTransport(config.supabaseUrl, config.supabaseKey),
					auth: supabaseAuthPort(session.client),
					onVersionChange: () => {
						// A newer version of the app (in another tab) upgrades the database: follow it.
						if (typeof location !== 'undefined') location.reload();
					},
					onTerminated: () => {
						void this.checkStorage();
					}
				})
			)
			.then((engine) => {
				this.#attach(engine, session);
				return engine;
			});
	}

	/** The engine once started (tests and the diagnostics page). */
	get engine(): OfflineEngine | null {
		return this.#engine;
	}

	/**
	 * Saves a sign-up or cancel of the signed-in member on this phone and starts an upload.
	 * Resolves with the stored row: only then may the page say "saved on this phone". Rejects
	 * with OutboxWriteError (not saved) or, on phones without offline storage, DirectSendError.
	 */
	async enqueue<K extends ActionKind>(kind: K, payload: ActionPayloads[K]): Promise<OutboxRow> {
		const engine = await this.#requireEngine();
		const userId = this.userId ?? this.#sessionUserId();
		if (userId === null) throw new Error('enqueue() needs a signed-in user');
		const row = await engine.enqueue(userId, kind, payload);
		await this.refresh();
		return row;
	}

	/**
	 * Network first, then this user's last snapshot when the network fails. `fetchedAt` says how
	 * old the data is; `fromCache` that it came from the phone.
	 */
	async cachedRead<T>(key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>> {
		try {
			const userId = this.userId ?? this.#sessionUserId();
			if (userId === null) {
				return { data: await fetcher(), fetchedAt: Date.now(), fromCache: false };
			}
			return await this.#networkFirst(userId, key, fetcher, () => this.#requireEngine());
		} finally {
			// A page's read: its content renders now, and background work may follow.
			markFirstPageShown();
		}
	}

	/** cachedRead for a given user (the session's profile load, before `userId` is known). */
	async cachedReadAs<T>(
		userId: string,
		key: string,
		fetcher: () => Promise<T>
	): Promise<CachedRead<T>> {
		if (this.#start === null) {
			return { data: await fetcher(), fetchedAt: Date.now(), fromCache: false };
		}
		return this.#networkFirst(userId, key, fetcher, () => this.#requireEngine());
	}

	/**
	 * The request leaves at once, while the engine (and its cache) may still be loading. A
	 * network answer is shown at once and stored in the background; only a failure waits for the
	 * engine, whose cache then stands in with the last snapshot (or rethrows).
	 */
	async #networkFirst<T>(
		userId: string,
		key: string,
		fetcher: () => Promise<T>,
		engine: () => Promise<OfflineEngine>
	): Promise<CachedRead<T>> {
		const fetchedAt = Date.now();
		let data: T;
		try {
			data = await fetcher();
		} catch (error) {
			const started = await engine();
			return started.cachedRead(userId, key, () => Promise.reject(error as Error));
		}
		// Stored once the first page is shown and the tab is idle (starting the engine if need
		// be): the first screen never waits for it, nor shares the network or the main thread.
		const write = new Promise<void>((resolve) => {
			afterFirstPage(() => {
				void engine()
					.then(async (started) => {
						// Signed out meanwhile: personal reads are not stored (sign-out clears them).
						if ((this.userId ?? this.#sessionUserId()) !== userId) return;
						await started.cache.put(userId, key, data, fetchedAt);
					})
					.catch(() => undefined)
					.finally(resolve);
			}, SNAPSHOT_WRITE_DELAY_MS);
		});
		this.#snapshotWrites = Promise.all([this.#snapshotWrites, write]).then(() => undefined);
		return { data, fetchedAt, fromCache: false };
	}

	/** Resolves once every answer read so far is stored on the phone for offline use. */
	async snapshotsStored(): Promise<void> {
		let pending: Promise<void>;
		do {
			pending = this.#snapshotWrites;
			await pending;
		} while (pending !== this.#snapshotWrites);
	}

	/** The stored snapshot only, without trying the network (an offline start). */
	async cachedValue<T>(userId: string, key: string): Promise<CachedRead<T> | null> {
		if (this.#start === null) return null;
		const engine = await this.#requireEngine();
		const entry = await engine.cache.get(userId, key);
		return entry === undefined
			? null
			: { data: entry.data as T, fetchedAt: entry.fetchedAt, fromCache: true };
	}

	/**
	 * The stored snapshot, only when the engine already runs: a page shows it while its network
	 * read runs, and a first screen never waits for the engine to start.
	 */
	async peek<T>(key: string): Promise<CachedRead<T> | null> {
		const userId = this.userId;
		if (this.#engine === null || userId === null) return null;
		const entry = await this.#engine.cache.get(userId, key);
		return entry === undefined
			? null
			: { data: entry.data as T, fetchedAt: entry.fetchedAt, fromCache: true };
	}

	/** The registration for one activity with this user's actions laid over the server's. */
	overlay(
		activityId: string,
		server: ServerRegistrationView,
		snapshot: SnapshotMeta
	): RegistrationOverlay {
		return overlayRegistration(server, snapshot, this.rows, activityId, this.userId ?? '');
	}

	itemState(row: OutboxRow): ItemState {
		switch (row.status) {
			case 'pending':
				return this.displayPhase === 'auth_required' ? 'sign_in_needed' : 'pending';
			case 'acked':
				return 'synced';
			case 'rejected':
				return 'rejected';
			case 'blocked':
				return 'blocked';
		}
	}

	/**
	 * "Sync now": resets the backoff, retries actions waiting out a delay, and lets a token
	 * refresh that failed for lack of network be tried again at once.
	 */
	async syncNow(): Promise<void> {
		const engine = await this.#requireEngine();
		this.#session?.client.auth.retryRefreshNow?.();
		await engine.flusher?.trigger('manual');
		await this.refresh();
	}

	/**
	 * The browser closed the database under the app (site data cleared, eviction): read it again
	 * (refresh() notices a new one), retrying while the browser still holds it.
	 */
	async checkStorage(attempts = 5): Promise<void> {
		const outbox = this.#engine?.outbox;
		if (outbox == null) return;
		try {
			this.#noticeNewDatabase(await outbox.deviceId());
			await this.refresh();
		} catch {
			if (attempts > 1) setTimeout(() => void this.checkStorage(attempts - 1), 1_000);
		}
	}

	async dismiss(id: string): Promise<void> {
		await this.#engine?.outbox?.dismiss(id);
	}

	async discard(id: string): Promise<void> {
		await this.#engine?.outbox?.discard(id);
	}

	/**
	 * Deletes the signed-in user's actions not yet uploaded (the logout dialog's explicit
	 * "discard N"). Waits for any upload in flight, so nothing is deleted mid-answer.
	 */
	async discardPending(): Promise<number> {
		const engine = this.#engine;
		const userId = this.userId;
		if (engine?.outbox == null || userId === null) return 0;
		const outbox = engine.outbox;
		const run = () => outbox.discardPending(userId);
		const removed = engine.lock === null ? await run() : await engine.lock.runExclusive(run);
		await this.refresh();
		return removed;
	}

	/**
	 * Sign-out: the user's cached reads (personal data) leave the phone, and an offline start no
	 * longer opens as them. Their outbox rows stay, parked, and are only ever sent under their
	 * own session (I4).
	 */
	async forgetUser(userId: string): Promise<void> {
		try {
			if (typeof localStorage !== 'undefined' && localStorage.getItem(LAST_USER_KEY) === userId) {
				localStorage.removeItem(LAST_USER_KEY);
			}
		} catch {
			// Not stored in the first place.
		}
		// Started if need be: a snapshot may be on the phone from an earlier visit. Reads still on
		// their way into it land first, so none outlives the clearing.
		const engine = this.#start === null ? null : await this.#requireEngine();
		await this.snapshotsStored();
		await engine?.cache.clearUser(userId);
	}

	/** Re-reads the outbox (after a change here or in another tab). */
	async refresh(): Promise<void> {
		const outbox = this.#engine?.outbox;
		if (outbox == null) return;
		const [all, deviceId] = await Promise.all([outbox.rows(), outbox.deviceId().catch(() => null)]);
		if (deviceId === null) {
			// The database is being replaced under us: read it again shortly, device id first.
			setTimeout(() => void this.checkStorage(), 1_000);
			return;
		}
		this.#noticeNewDatabase(deviceId);
		const userId = this.userId;
		const rows = all.filter((row) => row.userId === userId);
		// Every read makes new objects: assign only a real change, or every page that lays the
		// outbox over its data would render again for nothing (the engine's start, each upload).
		if (!sameRows(rows, this.rows)) this.rows = rows;
		this.parkedCount = all.filter(
			(row) => row.status === 'pending' && row.userId !== userId
		).length;
	}

	/**
	 * A database made anew under the running app (it was deleted) has a new device id: what this
	 * tab still showed as saved is lost. Said plainly, never shown as saved again (R11).
	 */
	#noticeNewDatabase(deviceId: string): void {
		const known = this.deviceId;
		if (known === deviceId) return;
		this.deviceId = deviceId;
		const unsent = this.pendingCount + this.parkedCount;
		if (known !== null && unsent > 0) this.storageLost = { count: unsent };
	}

	/** The last user signed in on this phone (offline start with an expired token). */
	lastUserId(): string | null {
		try {
			return typeof localStorage === 'undefined' ? null : localStorage.getItem(LAST_USER_KEY);
		} catch {
			return null;
		}
	}

	async #requireEngine(): Promise<OfflineEngine> {
		if (this.#engine !== null) return this.#engine;
		if (this.#start === null) throw new Error('sync.init() was not called');
		this.#engineReady ??= this.#start();
		return this.#engineReady;
	}

	#sessionUserId(): string | null {
		const session = this.#session;
		return session?.session?.user.id ?? session?.profile?.userId ?? null;
	}

	#attach(engine: OfflineEngine, session: SessionState): void {
		this.#engine = engine;
		this.offlineCapable = engine.capable;
		this.online = typeof navigator === 'undefined' ? true : navigator.onLine;
		engine.outbox?.subscribe(() => void this.refresh());
		engine.flusher?.subscribe((status) => {
			this.#applyStatus(status);
		});
		void engine.outbox?.deviceId().then((id) => {
			this.deviceId ??= id;
		});
		void engine.outbox?.collectGarbage().catch(() => undefined);

		if (typeof window !== 'undefined') {
			window.addEventListener('online', () => {
				this.online = true;
				session.client.auth.retryRefreshNow?.();
				void engine.flusher?.trigger('online');
			});
			window.addEventListener('offline', () => {
				this.online = false;
			});
			document.addEventListener('visibilitychange', () => {
				if (document.visibilityState !== 'visible') return;
				void this.checkStorage();
				void engine.flusher?.trigger('visible');
			});
			window.addEventListener('pageshow', () => void engine.flusher?.trigger('visible'));
			exposeTestHook(this, this.#testHook);
		}

		// Same user back (sign-in again, or a token refreshed elsewhere): resume an auth stop.
		session.client.auth.onAuthStateChange((event, current) => {
			const id = current?.user.id;
			if ((event === 'SIGNED_IN' || event === 'TOKEN_REFRESHED') && id !== undefined) {
				// Outside the callback: auth-js must not be re-entered from inside it.
				setTimeout(() => void engine.flusher?.resumeAuth(id), 0);
			}
		});

		$effect.root(() => {
			$effect(() => {
				const userId = session.session?.user.id ?? session.profile?.userId ?? null;
				untrack(() => {
					this.#setUser(engine, userId);
				});
			});
		});
	}

	#setUser(engine: OfflineEngine, userId: string | null): void {
		if (userId === this.userId) return;
		const previous = this.userId;
		this.userId = userId;
		if (userId === null) {
			engine.flusher?.stop();
			// Cached reads are personal: off the phone at sign-out. The outbox rows stay, parked
			// for their owner, and are never sent under another account (I4).
			if (previous !== null) void engine.cache.clearUser(previous);
		} else {
			try {
				if (typeof localStorage !== 'undefined') localStorage.setItem(LAST_USER_KEY, userId);
			} catch {
				// Not remembered: an offline start with an expired token then shows sign-in.
			}
			void engine.flusher?.start(userId);
			void this.#askPersistence();
		}
		void this.refresh();
	}

	#applyStatus(status: FlusherStatus): void {
		this.phase = status.phase;
		this.lastSyncAt = status.lastSyncAt;
		this.lastError = status.lastError;
		if (status.phase === 'offline') this.online = false;
		if (status.phase === 'idle' && status.lastError === null && status.lastSyncAt !== null) {
			this.online = typeof navigator === 'undefined' ? true : navigator.onLine;
		}
	}

	/** navigator.storage.persist() once per sign-in (docs/decisions.md §9). */
	async #askPersistence(): Promise<void> {
		if (this.#persistAsked || typeof navigator === 'undefined') return;
		this.#persistAsked = true;
		const storage = (navigator as Partial<Navigator>).storage;
		if (storage?.persist === undefined) return;
		try {
			this.persisted = (await storage.persisted()) || (await storage.persist());
		} catch (error) {
			console.warn('storage.persist() failed', error);
		}
	}
}

export const sync = new SyncState();

/** Starts the offline engine for this tab; called by the root layout load once config is known. */
export function initSync(config: RuntimeConfig, session: SessionState): void {
	sync.init(config, session);
}

interface TestHook {
	enqueue: SyncState['enqueue'];
	syncNow: () => Promise<void>;
	rows: () => Promise<OutboxRow[]>;
	snapshotsStored: () => Promise<void>;
	state: () => {
		phase: SyncPhase;
		displayPhase: SyncPhase;
		pending: number;
		parked: number;
		capable: boolean | null;
		userId: string | null;
		nextAttemptAt: number | null;
	};
}

/**
 * `window.__unionOutbox`, for end-to-end tests only: in development builds, or when the page was
 * opened with `?e2e` (the flag is remembered for the tab's session so reloads keep it).
 */
function testHookWanted(): boolean {
	let enabled = import.meta.env.DEV;
	try {
		if (new URLSearchParams(location.search).has('e2e')) sessionStorage.setItem('union-e2e', '1');
		enabled ||= sessionStorage.getItem('union-e2e') === '1';
	} catch {
		// sessionStorage blocked: only the query flag counts.
		enabled ||= new URLSearchParams(location.search).has('e2e');
	}
	return enabled;
}

function exposeTestHook(state: SyncState, enabled: boolean): void {
	if (!enabled) return;
	const hook: TestHook = {
		enqueue: (kind, payload) => state.enqueue(kind, payload),
		syncNow: () => state.syncNow(),
		rows: async () => (await state.engine?.outbox?.rows()) ?? [],
		snapshotsStored: () => state.snapshotsStored(),
		state: () => ({
			phase: state.phase,
			displayPhase: state.displayPhase,
			pending: state.pendingCount,
			parked: state.parkedCount,
			capable: state.offlineCapable,
			userId: state.userId,
			nextAttemptAt: state.engine?.flusher?.status.nextAttemptAt ?? null
		})
	};
	Object.assign(window, { __unionOutbox: hook });
}
