import {
	DEFAULT_TIME_ZONE,
	GENDERS,
	MEMBER_TYPES,
	type Member,
	type RoleGrant,
	type Whoami
} from '#lib/domain/whoami.ts';
import { isKnownTimeZone } from '#lib/i18n/format.ts';
import type { UnionClient } from './client.ts';
import {
	asArray,
	asObject,
	readEnum,
	readNullableString,
	readString,
	type JsonObject
} from './parse.ts';
import { callRpc } from './rpc.ts';

const ROLE_NAMES = ['office', 'organizer', 'liaison', 'checkin_staff'] as const;

function parseMember(value: unknown): Member | null {
	if (value === null || value === undefined) return null;
	const member = asObject(value, 'member');
	return {
		id: readString(member, 'id'),
		employeeNo: readString(member, 'employee_no'),
		name: readString(member, 'name'),
		gender: readEnum(member, 'gender', GENDERS),
		memberType: readEnum(member, 'member_type', MEMBER_TYPES),
		unitId: readString(member, 'unit_id'),
		unitName: readString(member, 'unit_name'),
		branchName: readNullableString(member, 'branch_name')
	};
}

function parseRole(value: unknown): RoleGrant {
	const role: JsonObject = asObject(value, 'role');
	return {
		role: readEnum(role, 'role', ROLE_NAMES),
		unitId: readNullableString(role, 'unit_id'),
		unitName: readNullableString(role, 'unit_name'),
		activityId: readNullableString(role, 'activity_id')
	};
}

export function parseWhoami(value: unknown): Whoami {
	const root = asObject(value, 'whoami');
	const union = asObject(root.union, 'union');
	const timeZone = readNullableString(union, 'time_zone');
	return {
		userId: readString(root, 'user_id'),
		email: readString(root, 'email'),
		union: {
			name: readString(union, 'name'),
			// An unknown zone would make every Intl call throw; fall back rather than break.
			timeZone: timeZone !== null && isKnownTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE
		},
		member: parseMember(root.member),
		roles: asArray(root.roles ?? [], 'roles').map(parseRole)
	};
}

/** Who is signed in; the first call also links the account to its roster entry by email. */
export async function fetchWhoami(client: UnionClient): Promise<Whoami> {
	return parseWhoami(await callRpc(client, 'whoami'));
}
