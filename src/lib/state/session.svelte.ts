import type { AuthChangeEvent, Session } from '@supabase/auth-js';
import { isAuthRetryableFetchError } from '#lib/data/lazy-auth.ts';
import type { Whoami } from '#lib/domain/whoami.ts';
import type { UnionClient } from '#lib/data/client.ts';
import { AppError, fromAuthError, toAppError } from '#lib/data/errors.ts';
import { fetchWhoami } from '#lib/data/me.ts';
import type { MessageKey } from '#lib/i18n/translate.ts';
import type { SessionPhase } from './session-phase.ts';
import { sync } from './sync.svelte.ts';

export type { SessionPhase };

/** How long a member waits before asking for another code (GoTrue's own default is 60 s). */
export const RESEND_COOLDOWN_MS = 60_000;

/**
 * The signed-in account and its union profile. Sign-in methods return an AppError for the form
 * to show, or null on success; they never throw.
 */
export class SessionState {
	phase: SessionPhase = $state('restoring');
	session: Session | null = $state.raw(null);
	profile: Whoami | null = $state.raw(null);
	profileError: AppError | null = $state.raw(null);
	/** A message for the sign-in page, e.g. why the member was signed out. */
	notice: MessageKey | null = $state(null);
	/** The address of a session that just expired, to pre-fill the sign-in form. */
	lastEmail: string | null = $state(null);

	readonly client: UnionClient;
	#profileLoad: Promise<void> | null = null;
	#started = false;
	/** True while this tab signs in itself, so the auth event does not load the profile twice. */
	#signingIn = false;

	constructor(client: UnionClient) {
		this.client = client;
	}

	/** The email to show: the profile's once loaded, the session's before. */
	get email(): string | null {
		return this.profile?.email ?? this.session?.user.email ?? null;
	}

	/** Restores a stored session (refreshing it if needed) and loads the profile. Idempotent. */
	async start(): Promise<void> {
		if (this.#started) return;
		this.#started = true;
		this.client.auth.onAuthStateChange((event, session) => {
			this.#onAuthChange(event, session);
		});
		const { data, error } = await this.client.auth.getSession();
		if (error !== null && isAuthRetryableFetchError(error) && (await this.#startOffline())) {
			return;
		}
		if (error !== null || data.session === null) {
			this.#reset('signed_out');
			return;
		}
		this.session = data.session;
		await this.loadProfile();
		// The first page is on its way to the screen: auth-js (refreshing, other tabs) next.
		this.client.auth.preload?.();
	}

	/** Loads `whoami`; concurrent callers share one request. */
	loadProfile(): Promise<void> {
		this.#profileLoad ??= this.#loadProfileOnce().finally(() => {
			this.#profileLoad = null;
		});
		return this.#profileLoad;
	}

	async sendCode(email: string): Promise<AppError | null> {
		return this.#authCall(() =>
			this.client.auth.signInWithOtp({ email, options: { shouldCreateUser: true } })
		);
	}

	async verifyCode(email: string, code: string): Promise<AppError | null> {
		const failure = await this.#signIn(() =>
			this.client.auth.verifyOtp({ email, token: code, type: 'email' })
		);
		// GoTrue answers a wrong or used code with 403; when a proxy hides its error code
		// (no exposed X-Supabase-Api-Version header) the status alone still means that.
		if (failure?.kind === 'forbidden') return new AppError('otp_expired', failure.message);
		return failure;
	}

	async signInWithPassword(email: string, password: string): Promise<AppError | null> {
		return this.#signIn(() => this.client.auth.signInWithPassword({ email, password }));
	}

	/**
	 * Signs this phone out (its session ends on the server too), and always locally even when the
	 * server is unreachable. Other devices stay signed in (an organizer's second phone keeps
	 * uploading) unless the member chose to sign out everywhere.
	 */
	async signOut(options: { everywhere?: boolean } = {}): Promise<void> {
		const userId = this.session?.user.id ?? this.profile?.userId ?? null;
		const { error } = await this.client.auth.signOut({
			scope: options.everywhere === true ? 'global' : 'local'
		});
		if (error !== null) await this.client.auth.signOut({ scope: 'local' });
		this.#reset('signed_out');
		// Cached reads are personal: off the phone now (pending actions stay, parked for them).
		if (userId !== null) await sync.forgetUser(userId).catch(() => undefined);
	}

	/**
	 * Called when the server answers 401. The refused token may not be the one this tab holds now
	 * (another tab signed in as someone else meanwhile, R10; or the request went out without one),
	 * and a slow clock makes a token look fresh after it expired (R9): so the session is read again
	 * and refreshed once, and only a session that cannot be refreshed is signed out. A refresh
	 * that failed for lack of network keeps the session. Resolves true when signed out.
	 */
	async expire(): Promise<boolean> {
		const { data } = await this.client.auth.getSession();
		if (data.session !== null) {
			const refreshed = await this.client.auth.refreshSession();
			if (refreshed.data.session !== null) {
				this.session = refreshed.data.session;
				return false;
			}
			if (isAuthRetryableFetchError(refreshed.error)) return false;
		}
		this.lastEmail = this.email;
		await this.client.auth.signOut({ scope: 'local' });
		this.#reset('signed_out');
		this.notice = 'error.unauthorized';
		return true;
	}

	async #signIn(
		call: () => Promise<{ error: Parameters<typeof fromAuthError>[0] | null }>
	): Promise<AppError | null> {
		this.#signingIn = true;
		try {
			const failure = await this.#authCall(call);
			if (failure !== null) return failure;
			this.notice = null;
			const { data } = await this.client.auth.getSession();
			this.session = data.session;
			await this.loadProfile();
			return null;
		} finally {
			this.#signingIn = false;
		}
	}

	async #loadProfileOnce(): Promise<void> {
		this.phase = 'loading_profile';
		this.profileError = null;
		try {
			// Offline, the last profile this phone saw for this account (cached reads, docs/offline-and-checkin.md).
			const userId = this.session?.user.id;
			// Signed out meanwhile (another tab): no whoami without a token, it could only fail.
			if (userId === undefined && (await this.client.auth.getSession()).data.session === null) {
				this.#reset('signed_out');
				return;
			}
			// The page this makes appear renders in a task after the shell's (src/routes/+layout.svelte).
			this.profile =
				userId === undefined
					? await fetchWhoami(this.client)
					: (await sync.cachedReadAs(userId, 'whoami', () => fetchWhoami(this.client))).data;
			this.phase = 'ready';
		} catch (error) {
			const failure = toAppError(error);
			// Still signed in after a 401 (another account's session now, or no network to refresh):
			// the profile is shown as not loaded, with its retry.
			if (failure.kind === 'unauthorized' && (await this.expire())) return;
			this.profileError = failure;
			this.phase = 'profile_error';
		}
	}

	/**
	 * Opened offline with an expired access token: the stored session cannot be refreshed yet,
	 * but it is not gone. Shows the last account's cached profile so saved work stays usable;
	 * the session returns with the TOKEN_REFRESHED event once the network is back.
	 */
	async #startOffline(): Promise<boolean> {
		const userId = sync.lastUserId();
		if (userId === null) return false;
		const cached = await sync.cachedValue<Whoami>(userId, 'whoami');
		if (cached === null) return false;
		this.profile = cached.data;
		this.phase = 'ready';
		return true;
	}

	async #authCall(
		call: () => Promise<{ error: Parameters<typeof fromAuthError>[0] | null }>
	): Promise<AppError | null> {
		try {
			const { error } = await call();
			if (error === null) return null;
			console.warn('auth call failed', error);
			return fromAuthError(error);
		} catch (error) {
			return toAppError(error);
		}
	}

	#onAuthChange(event: AuthChangeEvent, session: Session | null): void {
		// Keep this synchronous: awaiting auth calls inside the callback can deadlock auth-js.
		if (event === 'SIGNED_OUT') {
			this.#reset('signed_out');
			return;
		}
		this.session = session;
		// Signed in from another tab: load that account's profile, once the session is read again
		// (the other tab may have switched user again since it broadcast this one, R10).
		if (
			event === 'SIGNED_IN' &&
			session !== null &&
			this.phase === 'signed_out' &&
			!this.#signingIn
		) {
			setTimeout(() => void this.#followSignIn(session.user.id), 0);
		}
	}

	async #followSignIn(userId: string): Promise<void> {
		const { data } = await this.client.auth.getSession();
		if (data.session?.user.id !== userId || this.phase !== 'signed_out') return;
		this.session = data.session;
		await this.loadProfile();
	}

	#reset(phase: SessionPhase): void {
		this.session = null;
		this.profile = null;
		this.profileError = null;
		this.phase = phase;
	}
}

let current: SessionState | null = null;

/** The app's one session, created when the runtime config is known. A static SPA has no server
 * side, so a module singleton is not shared between users. */
export function initSession(client: UnionClient): SessionState {
	current ??= new SessionState(client);
	return current;
}

export function useSession(): SessionState {
	if (current === null) throw new Error('useSession() before the runtime config was loaded');
	return current;
}
