import {
	ACTIVITY_CATEGORIES,
	ACTIVITY_STATUSES,
	ADMISSION_MODES,
	REGISTRATION_STATUSES
} from '#lib/domain/activity.ts';
import type { MyRegistration, Registration, SignUpResult } from '#lib/domain/activity-detail.ts';
import type { UnionClient } from './client.ts';
import { AppError } from './errors.ts';
import {
	asArray,
	asObject,
	readBoolean,
	readDate,
	readEnum,
	readNullableDate,
	readNullableInteger,
	readNullableString,
	readPresent,
	readString,
	type JsonObject
} from './parse.ts';
import { callRpc } from './rpc.ts';

export function readNullableList<T extends string>(
	object: JsonObject,
	key: string,
	allowed?: readonly T[]
): T[] | null {
	const value = readPresent(object, key);
	if (value === null) return null;
	return asArray(value, key).map((item, index) => {
		if (typeof item !== 'string')
			throw new AppError('bad_response', `${key}[${index}]: not a string`);
		if (allowed !== undefined && !(allowed as readonly string[]).includes(item)) {
			throw new AppError('bad_response', `${key}[${index}]: unexpected value ${item}`);
		}
		return item as T;
	});
}

export function parseRegistration(value: unknown): Registration {
	const row = asObject(value, 'registration');
	return {
		id: readString(row, 'id'),
		activityId: readString(row, 'activity_id'),
		sessionId: readNullableString(row, 'session_id'),
		status: readEnum(row, 'status', REGISTRATION_STATUSES),
		guestNames: readNullableList(row, 'guest_names') ?? [],
		answers:
			row.answers === null || row.answers === undefined ? {} : asObject(row.answers, 'answers'),
		ticketSecret: readNullableString(row, 'ticket_secret'),
		waitlistPosition: readNullableInteger(row, 'waitlist_position'),
		createdAt: readDate(row, 'created_at'),
		updatedAt: readDate(row, 'updated_at'),
		generation: readNullableInteger(row, 'generation')
	};
}

export function parseSignUpResult(value: unknown): SignUpResult {
	const row = asObject(value, 'sign_up');
	return {
		outcome: readEnum(row, 'outcome', REGISTRATION_STATUSES),
		existing: readBoolean(row, 'existing'),
		registration: parseRegistration(row.registration)
	};
}

export function parseMyRegistration(value: unknown): MyRegistration {
	const row = asObject(value, 'my registration');
	const activity = asObject(row.activity, 'activity');
	const session =
		row.session === null || row.session === undefined ? null : asObject(row.session, 'session');
	const days = asArray(row.checked_in_days ?? [], 'checked_in_days').map((day) => {
		if (typeof day !== 'string') throw new AppError('bad_response', 'checked_in_days: not a day');
		return day;
	});
	return {
		...parseRegistration(row),
		activity: {
			id: readString(activity, 'id'),
			title: readString(activity, 'title'),
			category: readEnum(activity, 'category', ACTIVITY_CATEGORIES),
			status: readEnum(activity, 'status', ACTIVITY_STATUSES),
			startsAt: readDate(activity, 'starts_at'),
			endsAt: readDate(activity, 'ends_at'),
			place: readString(activity, 'place'),
			cancelDeadline: readNullableDate(activity, 'cancel_deadline'),
			admission: readEnum(activity, 'admission', ADMISSION_MODES)
		},
		session:
			session === null
				? null
				: {
						id: readString(session, 'id'),
						label: readNullableString(session, 'label') ?? '',
						startsAt: readDate(session, 'starts_at'),
						endsAt: readDate(session, 'ends_at')
					},
		checkedInDays: days
	};
}

export interface SignUpRequest {
	activityId: string;
	sessionId: string | null;
	guestNames: string[];
	answers: Record<string, unknown>;
}

/** All my registrations with their activity's essentials, latest activity first. */
export async function listMyRegistrations(client: UnionClient): Promise<MyRegistration[]> {
	return asArray(await callRpc(client, 'list_my_registrations'), 'list_my_registrations').map(
		parseMyRegistration
	);
}
