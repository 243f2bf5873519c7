/**
 * restoring: reading a stored session at start; signed_out: nobody; loading_profile: signed in,
 * waiting for `whoami`; ready: signed in with a profile; profile_error: `whoami` failed (network).
 */
export type SessionPhase =
	'restoring' | 'signed_out' | 'loading_profile' | 'ready' | 'profile_error';
