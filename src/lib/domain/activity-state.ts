import type { ActivitySummary } from './activity.ts';

/** What the badge on an activity card says, decided on server time, never on the device clock. */
export type ActivityBadge =
	| 'open'
	| 'few_left'
	| 'waitlist'
	| 'full'
	| 'not_open_yet'
	| 'closed'
	| 'cancelled'
	| 'not_eligible';

/** Absolute and relative thresholds for "few seats left": ≤ 5 seats or ≤ 10 % of capacity. */
const FEW_SEATS_ABSOLUTE = 5;
const FEW_SEATS_SHARE = 0.1;

type WindowFields = Pick<
	ActivitySummary,
	'status' | 'startsAt' | 'signupOpensAt' | 'signupClosesAt'
>;
type SeatFields = Pick<ActivitySummary, 'capacity' | 'seatsTaken'>;

/** Seats still free, or null when the activity has no limit. Never negative. */
export function seatsLeft(activity: SeatFields): number | null {
	if (activity.capacity === null) return null;
	return Math.max(0, activity.capacity - activity.seatsTaken);
}

/**
 * Whether sign-up is accepted at `now`. Without an explicit closing time, sign-up ends when the
 * activity starts: nobody signs up for something already under way.
 */
export function isSignupWindowOpen(activity: WindowFields, now: Date): boolean {
	if (activity.status !== 'published') return false;
	if (activity.signupOpensAt !== null && now < activity.signupOpensAt) return false;
	const closesAt = activity.signupClosesAt ?? activity.startsAt;
	return now < closesAt;
}

/**
 * The badge for this member: a member who may not sign up is told so before any seat count,
 * so a green "open" never invites someone the server will refuse.
 */
export function activityBadge(
	activity: WindowFields & SeatFields & Pick<ActivitySummary, 'waitlistEnabled' | 'eligible'>,
	now: Date
): ActivityBadge {
	if (activity.status === 'cancelled') return 'cancelled';
	if (activity.status !== 'published') return 'closed';
	if (!activity.eligible) return 'not_eligible';
	if (activity.signupOpensAt !== null && now < activity.signupOpensAt) return 'not_open_yet';
	if (!isSignupWindowOpen(activity, now)) return 'closed';

	const left = seatsLeft(activity);
	if (left === null || activity.capacity === null) return 'open';
	if (left === 0) return activity.waitlistEnabled ? 'waitlist' : 'full';
	const fewSeats = left <= FEW_SEATS_ABSOLUTE || left <= activity.capacity * FEW_SEATS_SHARE;
	return fewSeats ? 'few_left' : 'open';
}

/** The "对我开放" filter: the member may sign up for it right now (seats aside). */
export function isOpenToMe(
	activity: WindowFields & Pick<ActivitySummary, 'eligible'>,
	now: Date
): boolean {
	return activity.eligible && isSignupWindowOpen(activity, now);
}

/**
 * The member's reading order: what is still ahead in the server's order (by start), then what
 * has ended, most recent first. Otherwise last spring's tug-of-war heads the list all year.
 */
export function orderForMember<T extends Pick<ActivitySummary, 'endsAt'>>(
	activities: readonly T[],
	now: Date
): T[] {
	const ahead = activities.filter((activity) => activity.endsAt >= now);
	const ended = activities
		.filter((activity) => activity.endsAt < now)
		.sort((a, b) => b.endsAt.getTime() - a.endsAt.getTime());
	return [...ahead, ...ended];
}
