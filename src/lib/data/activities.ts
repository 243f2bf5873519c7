import {
	ACTIVITY_CATEGORIES,
	ACTIVITY_STATUSES,
	ADMISSION_MODES,
	INELIGIBLE_REASONS,
	REGISTRATION_STATUSES,
	type ActivitySummary
} from '#lib/domain/activity.ts';
import type { UnionClient } from './client.ts';
import {
	asArray,
	asObject,
	readBoolean,
	readDate,
	readEnum,
	readInteger,
	readNullableDate,
	readNullableEnum,
	readNullableInteger,
	readString
} from './parse.ts';
import { callRpc } from './rpc.ts';

export function parseActivityRow(value: unknown): ActivitySummary {
	const row = asObject(value, 'activity');
	return {
		id: readString(row, 'id'),
		title: readString(row, 'title'),
		category: readEnum(row, 'category', ACTIVITY_CATEGORIES),
		status: readEnum(row, 'status', ACTIVITY_STATUSES),
		startsAt: readDate(row, 'starts_at'),
		endsAt: readDate(row, 'ends_at'),
		place: readString(row, 'place'),
		capacity: readNullableInteger(row, 'capacity'),
		seatsTaken: readInteger(row, 'seats_taken'),
		signupOpensAt: readNullableDate(row, 'signup_opens_at'),
		signupClosesAt: readNullableDate(row, 'signup_closes_at'),
		admission: readEnum(row, 'admission', ADMISSION_MODES),
		waitlistEnabled: readBoolean(row, 'waitlist_enabled'),
		guestsMax: readInteger(row, 'guests_max'),
		sessionCount: readInteger(row, 'session_count'),
		eligible: readBoolean(row, 'eligible'),
		ineligibleReason: readNullableEnum(row, 'ineligible_reason', INELIGIBLE_REASONS),
		myRegistrationStatus: readNullableEnum(row, 'my_registration_status', REGISTRATION_STATUSES),
		serverNow: readDate(row, 'server_now'),
		version: readNullableInteger(row, 'version')
	};
}

export interface ActivityList {
	activities: ActivitySummary[];
	/** Server time of the read; null only for an empty list, when nothing needs judging. */
	serverNow: Date | null;
}

/** The activities the signed-in member may see, ordered by start, with eligibility per row. */
export async function listActivities(client: UnionClient): Promise<ActivityList> {
	const rows = asArray(await callRpc(client, 'list_activities'), 'list_activities');
	const activities = rows.map(parseActivityRow);
	return { activities, serverNow: activities[0]?.serverNow ?? null };
}
