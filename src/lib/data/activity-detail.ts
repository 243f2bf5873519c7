// One activity as its detail page reads it: rules, sessions, the typed questions of its sign-up
// form, my eligibility and my registration.
import {
	ACTIVITY_CATEGORIES,
	ACTIVITY_STATUSES,
	ADMISSION_MODES,
	INELIGIBLE_REASONS
} from '#lib/domain/activity.ts';
import type { ActivityDetail, ActivitySession } from '#lib/domain/activity-detail.ts';
import {
	DEFAULT_TEXT_MAX_LENGTH,
	type LocalizedText,
	type Question
} from '#lib/domain/questions.ts';
import { GENDERS, MEMBER_TYPES, type Gender, type MemberType } from '#lib/domain/whoami.ts';
import type { UnionClient } from './client.ts';
import { AppError } from './errors.ts';
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
	readNullableString,
	readOptionalInteger,
	readOptionalString,
	readPresent,
	readString,
	type JsonObject
} from './parse.ts';
import { parseRegistration, readNullableList } from './registrations.ts';
import { callRpc } from './rpc.ts';

// Questions are JSON the office wrote: read them with the same defaults the server applies.
function parseLabel(value: unknown, what: string): LocalizedText {
	const label = asObject(value, what);
	return { zh: readString(label, 'zh'), en: readOptionalString(label, 'en') ?? '' };
}

function readNullableNumber(object: JsonObject, key: string): number | null {
	const value = object[key];
	if (value === null || value === undefined) return null;
	if (typeof value !== 'number' || !Number.isFinite(value)) {
		throw new AppError('bad_response', `${key}: not a number`);
	}
	return value;
}

function parseQuestion(value: unknown, index: number): Question {
	const row = asObject(value, `questions[${index}]`);
	const id = readString(row, 'id');
	if (id === '') throw new AppError('bad_response', `questions[${index}]: empty id`);
	const base = {
		id,
		label: parseLabel(row.label, `questions[${index}].label`),
		required:
			row.required === null || row.required === undefined ? false : readBoolean(row, 'required')
	};
	const kind = readEnum(row, 'kind', ['choice', 'text', 'number'] as const);
	switch (kind) {
		case 'choice':
			return {
				...base,
				kind,
				options: asArray(row.options, 'options').map((option, n) => {
					const object = asObject(option, `options[${n}]`);
					return {
						value: readString(object, 'value'),
						label: parseLabel(object.label, `options[${n}].label`)
					};
				})
			};
		case 'text':
			return {
				...base,
				kind,
				maxLength: readOptionalInteger(row, 'max_length') ?? DEFAULT_TEXT_MAX_LENGTH
			};
		case 'number':
			return {
				...base,
				kind,
				min: readNullableNumber(row, 'min'),
				max: readNullableNumber(row, 'max')
			};
	}
}

export function parseQuestions(value: unknown): Question[] {
	return asArray(value ?? [], 'questions').map(parseQuestion);
}

function parseSession(value: unknown): ActivitySession {
	const row = asObject(value, 'session');
	return {
		id: readString(row, 'id'),
		label: readNullableString(row, 'label') ?? '',
		startsAt: readDate(row, 'starts_at'),
		endsAt: readDate(row, 'ends_at'),
		capacity: readNullableInteger(row, 'capacity'),
		seatsTaken: readInteger(row, 'seats_taken')
	};
}

export function parseActivityDetail(value: unknown): ActivityDetail {
	const row = asObject(value, 'activity');
	return {
		id: readString(row, 'id'),
		title: readString(row, 'title'),
		description: readNullableString(row, 'description') ?? '',
		category: readEnum(row, 'category', ACTIVITY_CATEGORIES),
		status: readEnum(row, 'status', ACTIVITY_STATUSES),
		startsAt: readDate(row, 'starts_at'),
		endsAt: readDate(row, 'ends_at'),
		place: readString(row, 'place'),
		capacity: readNullableInteger(row, 'capacity'),
		seatsTaken: readInteger(row, 'seats_taken'),
		signupOpensAt: readNullableDate(row, 'signup_opens_at'),
		signupClosesAt: readNullableDate(row, 'signup_closes_at'),
		cancelDeadline: readNullableDate(row, 'cancel_deadline'),
		admission: readEnum(row, 'admission', ADMISSION_MODES),
		waitlistEnabled: readBoolean(row, 'waitlist_enabled'),
		guestsMax: readInteger(row, 'guests_max'),
		eligibleGenders: readNullableList<Gender>(row, 'eligible_genders', GENDERS),
		eligibleMemberTypes: readNullableList<MemberType>(row, 'eligible_member_types', MEMBER_TYPES),
		eligibleUnitNames: readNullableList(row, 'eligible_unit_names'),
		ownerUnitName: readNullableString(row, 'owner_unit_name'),
		questions: parseQuestions(row.questions),
		cancelledReason: readNullableString(row, 'cancelled_reason'),
		waitlistLength: readNullableInteger(row, 'waitlist_length') ?? 0,
		sessions: asArray(readPresent(row, 'sessions'), 'sessions').map(parseSession),
		ineligibleReason: readNullableEnum(row, 'ineligible_reason', INELIGIBLE_REASONS),
		myRegistration:
			readPresent(row, 'my_registration') === null ? null : parseRegistration(row.my_registration),
		serverNow: readDate(row, 'server_now'),
		version: readNullableInteger(row, 'version')
	};
}

/** One activity with its rules, sessions, questions, my eligibility and my registration. */
export async function getActivity(
	client: UnionClient,
	activityId: string
): Promise<ActivityDetail> {
	return parseActivityDetail(await callRpc(client, 'get_activity', { activity_id: activityId }));
}
