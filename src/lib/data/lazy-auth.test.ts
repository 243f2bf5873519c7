import { AuthApiError, AuthRetryableFetchError } from '@supabase/auth-js';
import { describe, expect, it } from 'vitest';
import { isAuthRetryableFetchError, readStoredSession } from './lazy-auth.ts';

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
