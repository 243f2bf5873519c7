// The activity as a member's list shows it: one row of `list_activities()`, already parsed.

export const ACTIVITY_CATEGORIES = [
	'sports',
	'health',
	'women',
	'skills',
	'outing',
	'care',
	'culture',
	'other'
] as const;
export type ActivityCategory = (typeof ACTIVITY_CATEGORIES)[number];

export const ACTIVITY_STATUSES = ['published', 'closed', 'completed', 'cancelled'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export const ADMISSION_MODES = ['first_come', 'approval', 'lottery'] as const;
export type AdmissionMode = (typeof ADMISSION_MODES)[number];

export const INELIGIBLE_REASONS = ['gender', 'member_type', 'unit', 'not_member'] as const;
export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

export const REGISTRATION_STATUSES = [
	'registered',
	'waitlisted',
	'pending_approval',
	'cancelled',
	'rejected'
] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export interface ActivitySummary {
	id: string;
	title: string;
	category: ActivityCategory;
	status: ActivityStatus;
	startsAt: Date;
	endsAt: Date;
	place: string;
	/** null means unlimited. */
	capacity: number | null;
	/** Seats held by admitted registrations, guests included. */
	seatsTaken: number;
	signupOpensAt: Date | null;
	signupClosesAt: Date | null;
	admission: AdmissionMode;
	waitlistEnabled: boolean;
	guestsMax: number;
	sessionCount: number;
	eligible: boolean;
	ineligibleReason: IneligibleReason | null;
	myRegistrationStatus: RegistrationStatus | null;
	/** The server's clock when the list was read: the only clock that decides windows. */
	serverNow: Date;
	/** The activity's change counter when read (overlay retirement); absent in old snapshots. */
	version?: number | null;
}
