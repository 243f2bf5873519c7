import { describe, expect, it } from 'vitest';
import { redirectFor } from './guard.ts';

describe('redirectFor', () => {
	it('moves nobody while loading', () => {
		expect(redirectFor('restoring', false, '/')).toBeNull();
		expect(redirectFor('loading_profile', false, '/login')).toBeNull();
		expect(redirectFor('profile_error', false, '/')).toBeNull();
	});

	it('sends signed-out visitors to /login from anywhere else', () => {
		expect(redirectFor('signed_out', false, '/')).toBe('/login');
		expect(redirectFor('signed_out', false, '/not-on-roster')).toBe('/login');
		expect(redirectFor('signed_out', false, '/login')).toBeNull();
	});

	it('keeps accounts that are not on the roster on /not-on-roster', () => {
		expect(redirectFor('ready', false, '/')).toBe('/not-on-roster');
		expect(redirectFor('ready', false, '/login')).toBe('/not-on-roster');
		expect(redirectFor('ready', false, '/not-on-roster')).toBeNull();
	});

	it('sends members from /login and /not-on-roster to the list, and leaves other pages alone', () => {
		expect(redirectFor('ready', true, '/login')).toBe('/');
		expect(redirectFor('ready', true, '/not-on-roster')).toBe('/');
		expect(redirectFor('ready', true, '/')).toBeNull();
		expect(redirectFor('ready', true, '/activities/a1')).toBeNull();
	});
});
