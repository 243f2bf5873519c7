// The office's activity, roster and staff functions (supabase/migrations/*_office*.sql), parsed
// for the screens. Names follow the office migration; office-rpc.ts has the calling convention.
import type { UnionClient } from '#lib/data/client.ts';
import { num, numOrNull, officeRpc, rows, str, strOrNull, type Row } from './office-rpc.ts';

export interface UnitOption {
	id: string;
	code: string;
	name: string;
	parentId: string | null;
	kind: string;
	depth: number;
}

const UNIT_KINDS = ['union', 'branch', 'group'];

/**
 * The unit tree the caller may see (the whole union for the office, an organizer's subtrees),
 * in tree order. The API has no unit list of its own: the report by unit walks the same tree
 * with the same scope, so it is read from there.
 */
export async function listUnits(client: UnionClient): Promise<UnitOption[]> {
	const year = new Date().getFullYear();
	const answer = await officeRpc(client, 'report_participation', {
		period_start: `${year}-01-01`,
		period_end: `${year}-12-31`,
		group_by: 'unit'
	});
	return rows(answer).map((row) => ({
		id: str(row, 'group_key'),
		code: '',
		name: str(row, 'group_label'),
		parentId: strOrNull(row, 'parent_key'),
		kind: UNIT_KINDS[Math.min(num(row, 'depth'), 2)] ?? 'group',
		depth: num(row, 'depth')
	}));
}

export interface OfficeActivity {
	id: string;
	title: string;
	category: string;
	status: string;
	startsAt: string;
	endsAt: string;
	place: string;
	capacity: number | null;
	seatsTaken: number;
	ownerUnitName: string;
	admission: string;
	registered: number;
	waitlisted: number;
	pending: number;
	sessionCount: number;
}

export function parseOfficeActivity(row: Row): OfficeActivity {
	return {
		id: str(row, 'id'),
		title: str(row, 'title'),
		category: str(row, 'category'),
		status: str(row, 'status'),
		startsAt: str(row, 'starts_at'),
		endsAt: str(row, 'ends_at'),
		place: str(row, 'place'),
		capacity: numOrNull(row, 'capacity'),
		seatsTaken: num(row, 'seats_taken'),
		ownerUnitName: str(row, 'owner_unit_name'),
		admission: str(row, 'admission'),
		registered: num(row, 'registered'),
		waitlisted: num(row, 'waitlisted'),
		pending: num(row, 'pending_approval'),
		sessionCount: num(row, 'session_count')
	};
}

export async function listOfficeActivities(client: UnionClient): Promise<OfficeActivity[]> {
	return rows(await officeRpc(client, 'list_managed_activities')).map(parseOfficeActivity);
}

export interface SessionRow {
	id: string;
	label: string;
	startsAt: string;
	endsAt: string;
	capacity: number | null;
	seatsTaken: number;
}

export function parseSession(row: Row): SessionRow {
	return {
		id: str(row, 'id'),
		label: str(row, 'label'),
		startsAt: str(row, 'starts_at'),
		endsAt: str(row, 'ends_at'),
		capacity: numOrNull(row, 'capacity'),
		seatsTaken: num(row, 'seats_taken')
	};
}

/** The whole activity for the editor: every rule, and its sessions. */
export async function getOfficeActivity(
	client: UnionClient,
	id: string
): Promise<{ row: Row; sessions: SessionRow[] }> {
	const answer = await officeRpc(client, 'get_activity_admin', { activity_id: id });
	const row = (Array.isArray(answer) ? answer[0] : answer) as Row;
	const sessions = Array.isArray(row.sessions) ? (row.sessions as Row[]).map(parseSession) : [];
	return { row, sessions };
}

export async function saveActivity(
	client: UnionClient,
	activity: Record<string, unknown>
): Promise<string> {
	const answer = await officeRpc(client, 'save_activity', { activity });
	if (typeof answer === 'string') return answer;
	return str((answer ?? {}) as Row, 'id');
}

export async function setActivityStatus(
	client: UnionClient,
	id: string,
	action: 'publish' | 'close' | 'cancel',
	reason = ''
): Promise<void> {
	if (action === 'cancel') await officeRpc(client, 'cancel_activity', { activity_id: id, reason });
	else await officeRpc(client, `${action}_activity`, { activity_id: id });
}

export async function copyActivity(
	client: UnionClient,
	id: string,
	shiftDays: number
): Promise<string> {
	const answer = await officeRpc(client, 'copy_activity', {
		activity_id: id,
		shift_days: shiftDays
	});
	if (typeof answer === 'string') return answer;
	return str((answer ?? {}) as Row, 'id');
}

export interface SessionPlan {
	firstDay: string;
	lastDay: string;
	weekdays: number[];
	startTime: string;
	endTime: string;
	capacity: number | null;
}

export async function generateSessions(
	client: UnionClient,
	id: string,
	plan: SessionPlan
): Promise<number> {
	const answer = await officeRpc(client, 'generate_sessions', {
		activity_id: id,
		from_date: plan.firstDay,
		to_date: plan.lastDay,
		weekdays: plan.weekdays,
		start_time: plan.startTime,
		end_time: plan.endTime,
		capacity: plan.capacity
	});
	if (typeof answer === 'number') return answer;
	if (Array.isArray(answer)) return answer.length;
	return num((answer ?? {}) as Row, 'created');
}

export async function deleteSession(client: UnionClient, sessionId: string): Promise<void> {
	await officeRpc(client, 'delete_session', { session_id: sessionId });
}

export interface RegistrationRow {
	id: string;
	memberId: string;
	employeeNo: string;
	name: string;
	unitName: string;
	status: string;
	source: string;
	sessionId: string | null;
	sessionLabel: string;
	guestNames: string[];
	queuedAt: string;
	checkedInDays: string[];
	paperDays: string[];
	answers: Record<string, unknown>;
}

export async function listRegistrations(
	client: UnionClient,
	activityId: string
): Promise<RegistrationRow[]> {
	return rows(await officeRpc(client, 'list_registrations', { activity_id: activityId })).map(
		(row) => ({
			id: str(row, 'registration_id') || str(row, 'id'),
			memberId: str(row, 'member_id'),
			employeeNo: str(row, 'employee_no'),
			name: str(row, 'name') || str(row, 'member_name'),
			unitName: str(row, 'unit_name'),
			status: str(row, 'status'),
			source: str(row, 'source'),
			sessionId: strOrNull(row, 'session_id'),
			sessionLabel: str(row, 'session_label'),
			guestNames: Array.isArray(row.guest_names) ? (row.guest_names as string[]) : [],
			queuedAt: str(row, 'queued_at'),
			checkedInDays: Array.isArray(row.checked_in_days) ? (row.checked_in_days as string[]) : [],
			paperDays: Array.isArray(row.paper_days) ? (row.paper_days as string[]) : [],
			answers: (row.answers ?? {}) as Record<string, unknown>
		})
	);
}

export async function decideRegistration(
	client: UnionClient,
	registrationId: string,
	decision: 'approve' | 'reject',
	note = ''
): Promise<void> {
	await officeRpc(client, 'decide_registration', {
		registration_id: registrationId,
		decision,
		note
	});
}

export async function moveFromWaitlist(client: UnionClient, registrationId: string): Promise<void> {
	await officeRpc(client, 'move_from_waitlist', { registration_id: registrationId });
}

export async function drawLottery(
	client: UnionClient,
	activityId: string
): Promise<{ admitted: number; notAdmitted: number }> {
	const answer = (await officeRpc(client, 'draw_lottery', { activity_id: activityId })) as Row;
	return { admitted: num(answer, 'admitted'), notAdmitted: num(answer, 'not_admitted') };
}

export async function recordPaperAttendance(
	client: UnionClient,
	activityId: string,
	day: string,
	memberIds: string[]
): Promise<number> {
	const answer = await officeRpc(client, 'record_paper_attendance', {
		activity_id: activityId,
		day,
		member_ids: memberIds
	});
	if (typeof answer === 'number') return answer;
	return num((answer ?? {}) as Row, 'recorded');
}

export { num, str, strOrNull, type Row };
