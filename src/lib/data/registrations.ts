import { z } from 'zod';
import {
	ACTIVITY_CATEGORIES,
	ACTIVITY_STATUSES,
	ADMISSION_MODES,
	INELIGIBLE_REASONS,
	REGISTRATION_STATUSES
} from '#lib/domain/activity.ts';
import type {
	ActivityDetail,
	ActivitySession,
	MyRegistration,
	Registration,
	SignUpResult
} from '#lib/domain/activity-detail.ts';
import { DEFAULT_TEXT_MAX_LENGTH, type Question } from '#lib/domain/questions.ts';
import type { Gender, MemberType } from '#lib/domain/whoami.ts';
import type { UnionClient } from './client.ts';
import type { Json } from './database.types.ts';
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
	readString,
	type JsonObject
} from './parse.ts';
import { callRpc } from './rpc.ts';

const GENDERS = ['female', 'male'] as const;
const MEMBER_TYPES = ['staff', 'contract', 'retired'] as const;

function readNullableList<T extends string>(
	object: JsonObject,
	key: string,
	allowed?: readonly T[]
): T[] | null {
	const value = object[key];
	if (value === null || value === undefined) return null;
	return asArray(value, key).map((item, index) => {
		if (typeof item !== 'string')
			throw new AppError('bad_response', `${key}[${index}]: not a string`);
		if (allowed !== undefined && !(allowed as readonly string[]).includes(item)) {
			throw new AppError('bad_response', `${key}[${index}]: unexpected value ${item}`);
		}
		return item as T;
	});
}

// Questions are JSON the office wrote: read them with the same defaults the server applies.
const labelSchema = z
	.object({ zh: z.string(), en: z.string().optional() })
	.transform((label) => ({ zh: label.zh, en: label.en ?? '' }));
const questionBase = {
	id: z.string().min(1),
	label: labelSchema,
	required: z
		.boolean()
		.nullish()
		.transform((value) => value ?? false)
};
const questionWire = z.discriminatedUnion('kind', [
	z.object({
		...questionBase,
		kind: z.literal('choice'),
		options: z.array(z.object({ value: z.string(), label: labelSchema }))
	}),
	z
		.object({ ...questionBase, kind: z.literal('text'), max_length: z.number().int().nullish() })
		.transform(({ max_length, ...rest }) => ({
			...rest,
			maxLength: max_length ?? DEFAULT_TEXT_MAX_LENGTH
		})),
	z
		.object({
			...questionBase,
			kind: z.literal('number'),
			min: z.number().nullish(),
			max: z.number().nullish()
		})
		.transform(({ min, max, ...rest }) => ({ ...rest, min: min ?? null, max: max ?? null }))
]);

export function parseQuestions(value: unknown): Question[] {
	const result = z.array(questionWire).safeParse(value ?? []);
	if (!result.success) throw new AppError('bad_response', `questions: ${result.error.message}`);
	return result.data;
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
		sessions: asArray(row.sessions ?? [], 'sessions').map(parseSession),
		ineligibleReason: readNullableEnum(row, 'ineligible_reason', INELIGIBLE_REASONS),
		myRegistration:
			row.my_registration === null || row.my_registration === undefined
				? null
				: parseRegistration(row.my_registration),
		serverNow: readDate(row, 'server_now'),
		version: readNullableInteger(row, 'version')
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

/** One activity with its rules, sessions, questions, my eligibility and my registration. */
export async function getActivity(
	client: UnionClient,
	activityId: string
): Promise<ActivityDetail> {
	return parseActivityDetail(await callRpc(client, 'get_activity', { activity_id: activityId }));
}

export interface SignUpRequest {
	activityId: string;
	sessionId: string | null;
	guestNames: string[];
	answers: Record<string, unknown>;
}

/** Signs the member up; the server applies every rule and answers with the outcome. */
export async function signUp(client: UnionClient, request: SignUpRequest): Promise<SignUpResult> {
	return parseSignUpResult(
		await callRpc(client, 'sign_up', {
			activity_id: request.activityId,
			guest_names: request.guestNames,
			// Checked by the form's zod schema; JSON in any case.
			answers: request.answers as Json,
			...(request.sessionId === null ? {} : { session_id: request.sessionId })
		})
	);
}

export async function cancelRegistration(
	client: UnionClient,
	activityId: string
): Promise<Registration> {
	const row = asObject(
		await callRpc(client, 'cancel_registration', { activity_id: activityId }),
		'cancel_registration'
	);
	return parseRegistration(row.registration);
}

/** All my registrations with their activity's essentials, latest activity first. */
export async function listMyRegistrations(client: UnionClient): Promise<MyRegistration[]> {
	return asArray(await callRpc(client, 'list_my_registrations'), 'list_my_registrations').map(
		parseMyRegistration
	);
}
