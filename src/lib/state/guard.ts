import type { SessionPhase } from './session-phase.ts';

export type GuardedPath = '/' | '/login' | '/not-on-roster';

/**
 * Where the app must send the visitor, or null to stay. Signed-out visitors go to /login;
 * accounts not on the roster can only see /not-on-roster; members never linger on either.
 * While the session or profile is still loading, nobody is moved.
 */
export function redirectFor(
	phase: SessionPhase,
	isMember: boolean,
	pathname: string
): GuardedPath | null {
	switch (phase) {
		case 'restoring':
		case 'loading_profile':
		case 'profile_error':
			return null;
		case 'signed_out':
			return pathname === '/login' ? null : '/login';
		case 'ready':
			if (!isMember) return pathname === '/not-on-roster' ? null : '/not-on-roster';
			return pathname === '/login' || pathname === '/not-on-roster' ? '/' : null;
	}
}
