// Who the signed-in account is: the answer of `whoami()`.

/** The roster's genders and member types: the values the database stores (members table). */
export const GENDERS = ['female', 'male'] as const;
export const MEMBER_TYPES = ['staff', 'contract', 'retired'] as const;
export type Gender = (typeof GENDERS)[number];
export type MemberType = (typeof MEMBER_TYPES)[number];
export type RoleName = 'office' | 'organizer' | 'liaison' | 'checkin_staff';

export interface UnionInfo {
	name: string;
	/** IANA zone, e.g. 'Asia/Shanghai'; every date on screen is shown in it. */
	timeZone: string;
}

export interface Member {
	id: string;
	employeeNo: string;
	name: string;
	gender: Gender;
	memberType: MemberType;
	unitId: string;
	unitName: string;
	branchName: string | null;
}

export interface RoleGrant {
	role: RoleName;
	unitId: string | null;
	unitName: string | null;
	activityId: string | null;
}

export interface Whoami {
	userId: string;
	email: string;
	union: UnionInfo;
	/** null when the account's email is not on the union's roster. */
	member: Member | null;
	roles: RoleGrant[];
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
