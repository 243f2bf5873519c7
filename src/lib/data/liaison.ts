// 代报名: the functions of supabase/schemas/07_liaison.sql, for the office, organizers
// and liaisons alike (the server applies each caller's scope), and signing up or cancelling on
// behalf with an answer per person.
import type { UnionClient } from './client.ts';
import {
	asArray,
	asObject,
	readInteger,
	readNullableInteger,
	readNullableString,
	readString,
	type JsonObject
} from './parse.ts';
import { readNullableList } from './registrations.ts';
import { callRpc } from './rpc.ts';

export interface SignupActivity {
	id: string;
	title: string;
	startsAt: string;
	/** null when open to everyone, e.g. ['female'] for a women's checkup. */
	eligibleGenders: string[] | null;
	sessionCount: number;
}

export async function listSignupActivities(client: UnionClient): Promise<SignupActivity[]> {
	return parseSignupActivities(await callRpc(client, 'list_signup_activities'));
}

export function parseSignupActivities(value: unknown): SignupActivity[] {
	return asArray(value, 'activities').map((value) => {
		const row = asObject(value, 'activity');
		return {
			id: readString(row, 'id'),
			title: readString(row, 'title'),
			startsAt: readString(row, 'starts_at'),
			eligibleGenders: readNullableList(row, 'eligible_genders'),
			sessionCount: readInteger(row, 'session_count')
		};
	});
}

export interface Colleague {
	id: string;
	name: string;
	employeeNo: string;
	unitName: string;
	/** Their registration for the chosen activity, or null. */
	registrationStatus: string | null;
}

export interface ColleaguePage {
	/** All matches in the caller's scope; the page holds some of them. */
	total: number;
	members: Colleague[];
}

/** At most this many per request (the server refuses more). */
export const COLLEAGUE_PAGE_SIZE = 50;

export async function listSignupMembers(
	client: UnionClient,
	options: { query: string; offset: number; activityId: string | null }
): Promise<ColleaguePage> {
	return parseColleaguePage(
		await callRpc(client, 'list_signup_members', {
			query: options.query,
			row_offset: options.offset,
			row_limit: COLLEAGUE_PAGE_SIZE,
			...(options.activityId === null ? {} : { activity_id: options.activityId })
		})
	);
}

export function parseColleaguePage(value: unknown): ColleaguePage {
	const answer = asObject(value, 'members');
	return {
		total: readInteger(answer, 'total'),
		members: asArray(answer.members, 'members').map((value) => {
			const row = asObject(value, 'member');
			return {
				id: readString(row, 'id'),
				name: readString(row, 'name'),
				employeeNo: readString(row, 'employee_no'),
				unitName: readString(row, 'unit_name'),
				registrationStatus: readNullableString(row, 'registration_status')
			};
		})
	};
}

export interface GroupRegistration {
	memberId: string;
	name: string;
	employeeNo: string;
	unitName: string;
	status: string;
	waitlistPosition: number | null;
}

export async function listSignupRegistrations(
	client: UnionClient,
	activityId: string
): Promise<GroupRegistration[]> {
	return parseGroupRegistrations(
		await callRpc(client, 'list_signup_registrations', { activity_id: activityId })
	);
}

export function parseGroupRegistrations(value: unknown): GroupRegistration[] {
	return asArray(value, 'registrations').map((value) => {
		const row = asObject(value, 'registration');
		return {
			memberId: readString(row, 'member_id'),
			name: readString(row, 'member_name'),
			employeeNo: readString(row, 'employee_no'),
			unitName: readString(row, 'unit_name'),
			status: readString(row, 'status'),
			waitlistPosition: readNullableInteger(row, 'waitlist_position')
		};
	});
}

/** What happened for one person (private.on_behalf). */
export interface BehalfResult {
	memberId: string;
	/** applied: done now; noop: it was so already; rejected: refused, see code. */
	status: 'applied' | 'noop' | 'rejected';
	/** The registration's status when done (registered, waitlisted, …), the refusal's code else. */
	code: string;
	/** The server's own words for a refusal. */
	serverMessage: { zh: string; en: string } | null;
}

export function parseBehalf(answer: unknown): BehalfResult[] {
	const object = asObject(answer, 'on behalf');
	return asArray(object.results, 'results').map((value) => {
		const row: JsonObject = asObject(value, 'result');
		const status = readString(row, 'status');
		// The server's words come with a refusal only.
		const refused = status !== 'applied' && status !== 'noop';
		const zh = refused ? readNullableString(row, 'message_zh') : null;
		const en = refused ? readNullableString(row, 'message_en') : null;
		return {
			memberId: readString(row, 'member_id'),
			status: status === 'applied' || status === 'noop' ? status : 'rejected',
			code: readNullableString(row, 'code') ?? '',
			serverMessage: zh !== null && en !== null ? { zh, en } : null
		};
	});
}

export async function signUpOnBehalf(
	client: UnionClient,
	activityId: string,
	memberIds: string[]
): Promise<BehalfResult[]> {
	return parseBehalf(
		await callRpc(client, 'sign_up_on_behalf', { activity_id: activityId, member_ids: memberIds })
	);
}

export async function cancelOnBehalf(
	client: UnionClient,
	activityId: string,
	memberIds: string[]
): Promise<BehalfResult[]> {
	return parseBehalf(
		await callRpc(client, 'cancel_on_behalf', { activity_id: activityId, member_ids: memberIds })
	);
}
