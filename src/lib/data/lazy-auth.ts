import type { AuthChangeEvent, GoTrueClient, Session, Subscription } from '@supabase/auth-js';
import { afterFirstPage } from '#lib/state/idle.ts';

/** The GoTrue calls this app makes: all it needs of auth-js. */
export type UnionAuth = { preload?(): void; retryRefreshNow?(): void } & Pick<
	GoTrueClient,
	| 'getSession'
	| 'onAuthStateChange'
	| 'signInWithOtp'
	| 'verifyOtp'
	| 'signInWithPassword'
	| 'signOut'
	| 'refreshSession'
>;

/** A stored session is used as it is only while it stays valid this long (auth-js refreshes sooner). */
const STORED_SESSION_MARGIN_MS = 120_000;

/** auth-js's wrapper of a failed fetch (its own check, without loading auth-js for it). */
export function isAuthRetryableFetchError(error: unknown): boolean {
	return (
		typeof error === 'object' &&
		error !== null &&
		'__isAuthError' in error &&
		(error as { name?: unknown }).name === 'AuthRetryableFetchError'
	);
}

/** The session auth-js stored under `key`, when it is whole and not close to expiry. */
export function readStoredSession(
	storage: Pick<Storage, 'getItem'> | undefined,
	key: string,
	now = Date.now()
): Session | null {
	try {
		const value: unknown = JSON.parse(storage?.getItem(key) ?? 'null');
		if (typeof value !== 'object' || value === null) return null;
		const session = value as Partial<Session>;
		if (
			typeof session.access_token !== 'string' ||
			typeof session.refresh_token !== 'string' ||
			typeof session.expires_at !== 'number' ||
			typeof session.user?.id !== 'string'
		) {
			return null;
		}
		return session.expires_at * 1000 - now > STORED_SESSION_MARGIN_MS ? (session as Session) : null;
	} catch {
		return null;
	}
}

/**
 * auth-js (GoTrue sessions: sign-in, refresh, sign-out, other tabs), loaded when first needed.
 * A page opened with a valid stored session reads its token from storage, as auth-js itself
 * would, and auth-js loads once the first page is on screen (preload()) to take over refreshing
 * and events: its 23 KB and its start-up stay off the first screen. Every other call loads it
 * at once.
 */
export class LazyAuth implements UnionAuth {
	readonly #load: () => Promise<GoTrueClient>;
	readonly #storageKey: string;
	#client: Promise<GoTrueClient> | null = null;
	#resolveLoaded: (client: GoTrueClient) => void = () => undefined;
	/** Resolves once auth-js has loaded, whoever asked for it. */
	readonly #loaded = new Promise<GoTrueClient>((resolve) => {
		this.#resolveLoaded = resolve;
	});

	constructor(load: () => Promise<GoTrueClient>, storageKey: string) {
		this.#load = load;
		this.#storageKey = storageKey;
	}

	/** Loads auth-js once the first page is shown and the tab is idle (called after the profile). */
	preload(): void {
		afterFirstPage(() => void this.#real().catch(() => undefined));
	}

	/**
	 * The network is back, or the member tapped "Sync now": the next refresh really asks the
	 * server. auth-js (2.119) answers every refresh with the same refresh token from a cache for
	 * REFRESH_FAILURE_COOLDOWN_MS (60 s) after a failure, network failures included, and offers
	 * no public way to clear it; so this clears its `lastRefreshFailure` field, and only for a
	 * network failure (a refused token is gone anyway). src/lib/data/lazy-auth.test.ts fails if
	 * auth-js changes this.
	 */
	retryRefreshNow(): void {
		void this.#client?.then((client) => {
			const internals = client as unknown as {
				lastRefreshFailure?: { result?: { error?: unknown } } | null;
			};
			if (isAuthRetryableFetchError(internals.lastRefreshFailure?.result?.error)) {
				internals.lastRefreshFailure = null;
			}
		});
	}

	#real(): Promise<GoTrueClient> {
		if (this.#client === null) {
			this.#client = this.#load();
			this.#client.then(this.#resolveLoaded, () => undefined);
		}
		return this.#client;
	}

	getSession: GoTrueClient['getSession'] = async () => {
		if (this.#client === null) {
			const stored = readStoredSession(
				typeof localStorage === 'undefined' ? undefined : localStorage,
				this.#storageKey
			);
			if (stored !== null) return { data: { session: stored }, error: null };
		}
		return (await this.#real()).getSession();
	};

	onAuthStateChange(callback: (event: AuthChangeEvent, session: Session | null) => void): {
		data: { subscription: Subscription };
	} {
		// Attached when auth-js loads (it then reports the session it found), not a reason to load.
		let inner: Subscription | null = null;
		let unsubscribed = false;
		void this.#loaded.then((client) => {
			if (!unsubscribed) inner = client.onAuthStateChange(callback).data.subscription;
		});
		const subscription: Subscription = {
			id: Symbol('auth subscription'),
			callback,
			unsubscribe: () => {
				unsubscribed = true;
				inner?.unsubscribe();
			}
		};
		return { data: { subscription } };
	}

	signInWithOtp: GoTrueClient['signInWithOtp'] = async (credentials) =>
		(await this.#real()).signInWithOtp(credentials);

	verifyOtp: GoTrueClient['verifyOtp'] = async (params) => (await this.#real()).verifyOtp(params);

	signInWithPassword: GoTrueClient['signInWithPassword'] = async (credentials) =>
		(await this.#real()).signInWithPassword(credentials);

	signOut: GoTrueClient['signOut'] = async (options) => (await this.#real()).signOut(options);

	refreshSession: GoTrueClient['refreshSession'] = async (current) =>
		(await this.#real()).refreshSession(current);
}
