// The app's addresses in one place: pages link and navigate through these, never through
// string literals, so a moved page is one edit here (and a type error at every stale caller).

export const homePath = '/';
export const myPath = '/my';
export const loginPath = '/login';
export const diagnosticsPath = '/diagnostics';
export const scanListPath = '/scan';
export const officePath = '/office';
export const officeReportsPath = '/office/reports';
export const officeRosterPath = '/office/roster';
export const officeStaffPath = '/office/staff';
export const officeLiaisonPath = '/office/liaison';
export const officeConflictsPath = '/office/conflicts';
/** The office's editor for a new activity. */
export const newOfficeActivityPath = '/office/activities/new';

export function activityPath(id: string): string {
	return `/activities/${id}`;
}

export function ticketPath(registrationId: string): string {
	return `/tickets/${registrationId}`;
}

/** Sign-in, then back to `next` (a path in this app). */
export function loginThenPath(next: string): string {
	return `${loginPath}?next=${encodeURIComponent(next)}`;
}

export function scanPath(activityId: string, day?: string): string {
	return day === undefined ? `/scan/${activityId}` : `/scan/${activityId}?day=${day}`;
}

export function officeActivityPath(id: string): string {
	return `/office/activities/${id}`;
}

export function officeRegistrationsPath(activityId: string): string {
	return `${officeActivityPath(activityId)}/registrations`;
}

/** The sign-in sheet, for one session when `sessionId` is given. */
export function officeSheetPath(activityId: string, sessionId?: string): string {
	const path = `${officeActivityPath(activityId)}/sheet`;
	return sessionId === undefined ? path : `${path}?session=${sessionId}`;
}
