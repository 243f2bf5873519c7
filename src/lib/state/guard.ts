import type { SessionPhase } from './session-phase.ts';

/**
 * Pages anyone may see, signed in or not: a ticket's QR opens /t/<secret> in whatever browser the
 * scanning phone has, and that page explains itself to strangers.
 */
export function isPublicPath(pathname: string): boolean {
	return pathname.startsWith('/t/');
}

/**
 * A same-app path to return to after signing in, or null when `next` is missing or could lead
 * elsewhere (an absolute URL, `//host`, a backslash trick).
 */
export function safeNextPath(next: string | null): string | null {
	if (next === null || !next.startsWith('/') || next.startsWith('//')) return null;
	if (/[\\\s]/.test(next) || next.startsWith('/login')) return null;
	return next;
}

/** /login, remembering where the visitor was going (a link from a WeChat group, say). */
function loginFor(pathname: string, search: string): string {
	if (pathname === '/' || pathname === '/not-on-roster') return '/login';
	return `/login?next=${encodeURIComponent(pathname + search)}`;
}

/**
 * Where the app must send the visitor, or null to stay. Signed-out visitors go to /login (and come
 * back after signing in); accounts not on the roster can only see /not-on-roster; members never
 * linger on either. While the session or profile is still loading, nobody is moved.
 */
export function redirectFor(
	phase: SessionPhase,
	isMember: boolean,
	pathname: string,
	search = ''
): string | null {
	switch (phase) {
		case 'restoring':
		case 'loading_profile':
		case 'profile_error':
			return null;
		case 'signed_out':
			return pathname === '/login' || isPublicPath(pathname) ? null : loginFor(pathname, search);
		case 'ready':
			if (!isMember) {
				return pathname === '/not-on-roster' || isPublicPath(pathname) ? null : '/not-on-roster';
			}
			if (pathname === '/login') {
				return safeNextPath(new URLSearchParams(search).get('next')) ?? '/';
			}
			return pathname === '/not-on-roster' ? '/' : null;
	}
}
