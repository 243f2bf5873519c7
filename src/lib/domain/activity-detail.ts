// One activity as its detail page shows it (`get_activity`), the member's registrations
// (`sign_up`, `list_my_registrations`) and the rules the page applies before asking the server.
import type {
	ActivityCategory,
	ActivityStatus,
	AdmissionMode,
	IneligibleReason,
	RegistrationStatus
} from './activity.ts';
import type { Question } from './questions.ts';
import { characterCount } from './text.ts';
import type { Gender, MemberType } from './whoami.ts';

export interface ActivitySession {
	id: string;
	label: string;
	startsAt: Date;
	endsAt: Date;
	/** null means unlimited. */
	capacity: number | null;
	seatsTaken: number;
}

export interface Registration {
	id: string;
	activityId: string;
	sessionId: string | null;
	status: RegistrationStatus;
	guestNames: string[];
	answers: Record<string, unknown>;
	/** Only while admitted ('registered'): the secret the ticket QR carries. */
	ticketSecret: string | null;
	/** 1 for the head of the queue; only while waitlisted. */
	waitlistPosition: number | null;
	createdAt: Date;
	updatedAt: Date;
	/** Bumped by each new sign-up of the same member: a queued cancel names the one it meant. */
	generation?: number | null;
}

export interface ActivityDetail {
	id: string;
	title: string;
	description: string;
	category: ActivityCategory;
	status: ActivityStatus;
	startsAt: Date;
	endsAt: Date;
	place: string;
	capacity: number | null;
	seatsTaken: number;
	signupOpensAt: Date | null;
	signupClosesAt: Date | null;
	cancelDeadline: Date | null;
	admission: AdmissionMode;
	waitlistEnabled: boolean;
	guestsMax: number;
	eligibleGenders: Gender[] | null;
	eligibleMemberTypes: MemberType[] | null;
	eligibleUnitNames: string[] | null;
	ownerUnitName: string | null;
	questions: Question[];
	cancelledReason: string | null;
	waitlistLength: number;
	sessions: ActivitySession[];
	ineligibleReason: IneligibleReason | null;
	myRegistration: Registration | null;
	serverNow: Date;
	/** The activity's change counter when read (overlay retirement); absent in old snapshots. */
	version?: number | null;
}

export interface SignUpResult {
	outcome: RegistrationStatus;
	/** True when the same request had already been made (a double tap): nothing changed. */
	existing: boolean;
	registration: Registration;
}

export interface MyRegistration extends Registration {
	activity: {
		id: string;
		title: string;
		category: ActivityCategory;
		status: ActivityStatus;
		startsAt: Date;
		endsAt: Date;
		place: string;
		cancelDeadline: Date | null;
		admission: AdmissionMode;
	};
	session: { id: string; label: string; startsAt: Date; endsAt: Date } | null;
	/** Days (YYYY-MM-DD, union time) on which the member was checked in. */
	checkedInDays: string[];
}

/** A registration that still holds or waits for a place, and so can be cancelled. */
export function isActiveRegistration(status: RegistrationStatus): boolean {
	return status === 'registered' || status === 'waitlisted' || status === 'pending_approval';
}

/** The moment after which the server refuses a cancel: the deadline, else the start. */
export function cancelDeadline(activity: { cancelDeadline: Date | null; startsAt: Date }): Date {
	return activity.cancelDeadline ?? activity.startsAt;
}

export function canCancel(
	activity: { cancelDeadline: Date | null; startsAt: Date },
	registration: Pick<Registration, 'status'> | null,
	now: Date
): boolean {
	return (
		registration !== null &&
		isActiveRegistration(registration.status) &&
		now < cancelDeadline(activity)
	);
}

/** Seats left in a session, or null when it has no limit. */
export function sessionSeatsLeft(session: Pick<ActivitySession, 'capacity' | 'seatsTaken'>) {
	return session.capacity === null ? null : Math.max(0, session.capacity - session.seatsTaken);
}

/** `private.clean_guest_names`: a name of 1–30 characters after trimming. */
export const GUEST_NAME_MAX_LENGTH = 30;

export type GuestNameIssue = 'empty' | 'too_long';

/** Trims names and says which ones the server would refuse (by index). */
export function checkGuestNames(names: readonly string[]): {
	names: string[];
	issues: (GuestNameIssue | null)[];
} {
	const trimmed = names.map((name) => name.trim());
	return {
		names: trimmed,
		issues: trimmed.map((name) =>
			name === '' ? 'empty' : characterCount(name) > GUEST_NAME_MAX_LENGTH ? 'too_long' : null
		)
	};
}

/** Where a registration's day and hours come from: its session, else the activity. */
export function registrationTimes(
	activity: { startsAt: Date; endsAt: Date },
	session: { startsAt: Date; endsAt: Date } | null
): { startsAt: Date; endsAt: Date } {
	return session ?? { startsAt: activity.startsAt, endsAt: activity.endsAt };
}

/** Upcoming (not yet ended, soonest first) and past (most recent first). */
export function splitByTime<T extends { activity: { startsAt: Date; endsAt: Date } }>(
	registrations: readonly T[],
	now: Date
): { upcoming: T[]; past: T[] } {
	const upcoming = registrations
		.filter((entry) => entry.activity.endsAt >= now)
		.sort((a, b) => a.activity.startsAt.getTime() - b.activity.startsAt.getTime());
	const past = registrations
		.filter((entry) => entry.activity.endsAt < now)
		.sort((a, b) => b.activity.startsAt.getTime() - a.activity.startsAt.getTime());
	return { upcoming, past };
}
