// Who the signed-in account is: the answer of `whoami()`.

export type Gender = 'female' | 'male';
export type MemberType = 'staff' | 'contract' | 'retired';
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
