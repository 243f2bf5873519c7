import { AuthApiError, AuthClient, AuthRetryableFetchError } from '@supabase/auth-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LazyAuth, isAuthRetryableFetchError, readStoredSession } from './lazy-auth.ts';

const NOW = Date.UTC(2027, 2, 1, 8, 0, 0);
const KEY = 'sb-127-auth-token';

function storageWith(value: unknown): Pick<Storage, 'getItem'> {
	return { getItem: (key) => (key === KEY ? JSON.stringify(value) : null) };
}

const session = {
	access_token: 'access',
	refresh_token: 'refresh',
	token_type: 'bearer',
	expires_in: 3600,
	expires_at: NOW / 1000 + 3600,
	user: { id: '8d0d5a2e-4c8f-4f0e-9d55-0a7c2b9d1e11' }
};

describe('readStoredSession', () => {
	it('reads the session auth-js stored while it stays valid for a while', () => {
		expect(readStoredSession(storageWith(session), KEY, NOW)?.access_token).toBe('access');
	});

	it('leaves a session close to expiry to auth-js, which refreshes it', () => {
		const soon = { ...session, expires_at: NOW / 1000 + 60 };
		expect(readStoredSession(storageWith(soon), KEY, NOW)).toBeNull();
	});

	it('refuses anything that is not a whole session', () => {
		for (const value of [null, 'text', { ...session, refresh_token: undefined }, { user: {} }]) {
			expect(readStoredSession(storageWith(value), KEY, NOW)).toBeNull();
		}
		expect(readStoredSession({ getItem: () => '{oops' }, KEY, NOW)).toBeNull();
		expect(readStoredSession(undefined, KEY, NOW)).toBeNull();
	});
});

describe('isAuthRetryableFetchError', () => {
	it('tells auth-js’s own network failure from its other errors', () => {
		expect(isAuthRetryableFetchError(new AuthRetryableFetchError('Failed to fetch', 0))).toBe(true);
		expect(isAuthRetryableFetchError(new AuthApiError('bad', 400, 'bad_jwt'))).toBe(false);
		expect(isAuthRetryableFetchError(new TypeError('Failed to fetch'))).toBe(false);
	});
});

describe('a refresh that failed for lack of network', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	// Coupling to auth-js internals (2.119): `_callRefreshToken` caches a failed refresh for
	// REFRESH_FAILURE_COOLDOWN_MS (60 s) per refresh token in `lastRefreshFailure`, network
	// failures included, and nothing public clears it. This test fails when auth-js changes that.
	it('R11 auth-js serves it from a 60 s cache; retryRefreshNow() lets the next refresh through at once', async () => {
		vi.useFakeTimers({ now: NOW });
		const stored = new Map<string, string>([
			[KEY, JSON.stringify({ ...session, expires_at: NOW / 1000 - 60 })]
		]);
		let online = false;
		let refreshCalls = 0;
		const fresh = { ...session, access_token: 'access-2', refresh_token: 'refresh-2' };
		const auth = new LazyAuth(
			async () =>
				new AuthClient({
					url: 'http://auth.test/auth/v1',
					storageKey: KEY,
					storage: {
						getItem: (key) => stored.get(key) ?? null,
						setItem: (key, value) => void stored.set(key, value),
						removeItem: (key) => void stored.delete(key)
					},
					persistSession: true,
					autoRefreshToken: false,
					detectSessionInUrl: false,
					fetch: async (input) => {
						const url = input instanceof Request ? input.url : input.toString();
						if (url.includes('grant_type=refresh_token')) refreshCalls += 1;
						if (!online) throw new TypeError('Failed to fetch');
						return new Response(
							JSON.stringify({ ...fresh, expires_at: Date.now() / 1000 + 3600 }),
							{
								status: 200,
								headers: { 'content-type': 'application/json' }
							}
						);
					}
				}),
			KEY
		);
		const offline = auth.refreshSession();
		// auth-js retries a network failure with backoff for up to 30 s before giving up.
		await vi.advanceTimersByTimeAsync(35_000);
		expect(isAuthRetryableFetchError((await offline).error)).toBe(true);
		const triedOffline = refreshCalls;
		expect(triedOffline).toBeGreaterThan(0);

		online = true;
		const cached = await auth.refreshSession();
		expect(isAuthRetryableFetchError(cached.error)).toBe(true);
		expect(refreshCalls).toBe(triedOffline);

		auth.retryRefreshNow();
		const retried = await auth.refreshSession();
		expect(retried.error).toBeNull();
		expect(retried.data.session?.access_token).toBe('access-2');
		expect(refreshCalls).toBeGreaterThan(triedOffline);
	});
});
