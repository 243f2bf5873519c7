import { describe, expect, it } from 'vitest';
import { isPublicPath, redirectFor, safeNextPath } from './guard.ts';

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

	it('remembers a deep link for after sign-in', () => {
		expect(redirectFor('signed_out', false, '/activities/a1')).toBe(
			'/login?next=%2Factivities%2Fa1'
		);
		expect(redirectFor('signed_out', false, '/my', '?x=1')).toBe('/login?next=%2Fmy%3Fx%3D1');
		expect(redirectFor('ready', true, '/login', '?next=%2Factivities%2Fa1')).toBe('/activities/a1');
	});

	it('lets anyone see a ticket link opened by a camera', () => {
		expect(redirectFor('signed_out', false, '/t/secret')).toBeNull();
		expect(redirectFor('ready', false, '/t/secret')).toBeNull();
		expect(redirectFor('ready', true, '/t/secret')).toBeNull();
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

describe('safeNextPath', () => {
	it('accepts paths of this app only', () => {
		expect(safeNextPath('/tickets/r1')).toBe('/tickets/r1');
		expect(safeNextPath(null)).toBeNull();
		expect(safeNextPath('https://evil.example/')).toBeNull();
		expect(safeNextPath('//evil.example/')).toBeNull();
		expect(safeNextPath('/\\evil.example')).toBeNull();
		expect(safeNextPath('/login?next=/login')).toBeNull();
	});
});

describe('isPublicPath', () => {
	it('is true for ticket links only', () => {
		expect(isPublicPath('/t/abc')).toBe(true);
		expect(isPublicPath('/tickets/abc')).toBe(false);
	});
});
