import type { RoleGrant } from '#lib/domain/whoami.ts';

// What the office screens show to whom. The server decides what each role may read and change;
// this only keeps screens someone cannot use out of their navigation.
export interface OfficeAccess {
	office: boolean;
	/** The office or an organizer: activities, registrations and reports. */
	manages: boolean;
	/** May sign colleagues up (代报名): liaisons, organizers and the office, each in their scope. */
	liaison: boolean;
	any: boolean;
	/** The units an organizer or liaison looks after (names for the screen). */
	units: { id: string; name: string; role: 'organizer' | 'liaison' }[];
}

export function officeAccess(roles: readonly RoleGrant[]): OfficeAccess {
	const office = roles.some((grant) => grant.role === 'office');
	const organizer = roles.some((grant) => grant.role === 'organizer');
	const liaison = roles.some((grant) => grant.role === 'liaison');
	const units = roles.flatMap((grant) =>
		(grant.role === 'organizer' || grant.role === 'liaison') && grant.unitId !== null
			? [{ id: grant.unitId, name: grant.unitName ?? '', role: grant.role }]
			: []
	);
	return {
		office,
		manages: office || organizer,
		liaison: liaison || organizer || office,
		any: office || organizer || liaison,
		units
	};
}
