// The office's activity, roster and staff functions (supabase/schemas/05_roster.sql to 09_activity_editor.sql), each read
// answer parsed by one strict schema: a missing or renamed column is a 'bad_response', never ''.
import type { UnionClient } from '#lib/data/client.ts';
import { count, nullableCount, parseAnswer, z } from './answer.ts';
import { parseParticipation } from './reports.ts';
import { callRpc, callRpcWithNulls } from './rpc.ts';

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
	const answer = await callRpc(client, 'report_participation', {
		period_start: `${year}-01-01`,
		period_end: `${year}-12-31`,
		group_by: 'unit'
	});
	return parseParticipation(answer).map((row) => ({
		id: row.key,
		code: '',
		name: row.label,
		parentId: row.parentKey,
		kind: UNIT_KINDS[Math.min(row.depth, 2)] ?? 'group',
		depth: row.depth
	}));
}

export interface OfficeActivity {
	id: string;
	title: string;
	category: string;
	status: string;
	startsAt: string;
	endsAt: string;
	capacity: number | null;
	seatsTaken: number;
	ownerUnitName: string;
	admission: string;
	registered: number;
	waitlisted: number;
	pending: number;
}

/** One activity of `list_managed_activities`. */
const ManagedActivity = z.object({
	id: z.string(),
	title: z.string(),
	category: z.string(),
	status: z.string(),
	starts_at: z.string(),
	ends_at: z.string(),
	owner_unit_name: z.string(),
	capacity: nullableCount,
	seats_taken: count,
	admission: z.string(),
	registered: count,
	waitlisted: count,
	pending_approval: count
});

export const ManagedActivitiesAnswer = z.array(ManagedActivity);

export function parseOfficeActivities(answer: unknown): OfficeActivity[] {
	return parseAnswer(ManagedActivitiesAnswer, answer, 'list_managed_activities').map((row) => ({
		id: row.id,
		title: row.title,
		category: row.category,
		status: row.status,
		startsAt: row.starts_at,
		endsAt: row.ends_at,
		capacity: row.capacity,
		seatsTaken: row.seats_taken,
		ownerUnitName: row.owner_unit_name,
		admission: row.admission,
		registered: row.registered,
		waitlisted: row.waitlisted,
		pending: row.pending_approval
	}));
}

export async function listOfficeActivities(client: UnionClient): Promise<OfficeActivity[]> {
	return parseOfficeActivities(await callRpc(client, 'list_managed_activities'));
}

export interface SessionRow {
	id: string;
	label: string;
	startsAt: string;
	endsAt: string;
	capacity: number | null;
	seatsTaken: number;
}

const AdminSession = z.object({
	id: z.string(),
	label: z.nullable(z.string()),
	starts_at: z.string(),
	ends_at: z.string(),
	capacity: nullableCount,
	seats_taken: count
});

/**
 * `get_activity_admin`'s answer: the whole activity as the editor reads it (`draftFromActivity`
 * checks its fields), and its sessions, parsed here.
 */
export const ActivityAdminAnswer = z.looseObject({
	id: z.string(),
	title: z.string(),
	status: z.string(),
	place: z.string(),
	starts_at: z.string(),
	ends_at: z.string(),
	admission: z.string(),
	cancelled_reason: z.nullable(z.string()),
	sessions: z.array(AdminSession)
});

export type ActivityAdminRow = z.infer<typeof ActivityAdminAnswer>;

export function parseActivityAdmin(answer: unknown): {
	row: ActivityAdminRow;
	sessions: SessionRow[];
} {
	const row = parseAnswer(ActivityAdminAnswer, answer, 'get_activity_admin');
	return {
		row,
		sessions: row.sessions.map((session) => ({
			id: session.id,
			// A session without a label of its own is shown by its times.
			label: session.label ?? '',
			startsAt: session.starts_at,
			endsAt: session.ends_at,
			capacity: session.capacity,
			seatsTaken: session.seats_taken
		}))
	};
}

/** The whole activity for the editor: every rule, and its sessions. */
export async function getOfficeActivity(
	client: UnionClient,
	id: string
): Promise<{ row: ActivityAdminRow; sessions: SessionRow[] }> {
	return parseActivityAdmin(await callRpc(client, 'get_activity_admin', { activity_id: id }));
}

/** The id of the activity a save or a copy answered with (`activity_admin_json`). */
function savedId(answer: unknown, what: string): string {
	return parseAnswer(z.looseObject({ id: z.string() }), answer, what).id;
}

export async function saveActivity(
	client: UnionClient,
	activity: Record<string, unknown>
): Promise<string> {
	return savedId(
		await callRpc(client, 'save_activity', { activity: activity as never }),
		'save_activity'
	);
}

export async function setActivityStatus(
	client: UnionClient,
	id: string,
	action: 'publish' | 'close' | 'cancel',
	reason = ''
): Promise<void> {
	if (action === 'cancel') await callRpc(client, 'cancel_activity', { activity_id: id, reason });
	else if (action === 'publish') await callRpc(client, 'publish_activity', { activity_id: id });
	else await callRpc(client, 'close_activity', { activity_id: id });
}

export async function copyActivity(
	client: UnionClient,
	id: string,
	shiftDays: number
): Promise<string> {
	return savedId(
		await callRpc(client, 'copy_activity', { activity_id: id, shift_days: shiftDays }),
		'copy_activity'
	);
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
	const answer = await callRpcWithNulls(client, 'generate_sessions', {
		activity_id: id,
		from_date: plan.firstDay,
		to_date: plan.lastDay,
		weekdays: plan.weekdays,
		start_time: plan.startTime,
		end_time: plan.endTime,
		capacity: plan.capacity
	});
	return parseAnswer(z.looseObject({ created: count }), answer, 'generate_sessions').created;
}

export async function deleteSession(client: UnionClient, sessionId: string): Promise<void> {
	await callRpc(client, 'delete_session', { session_id: sessionId });
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

/** One registration of `list_registrations`. */
const OfficeRegistration = z.object({
	registration_id: z.string(),
	member_id: z.string(),
	employee_no: z.string(),
	member_name: z.string(),
	unit_name: z.string(),
	status: z.string(),
	source: z.string(),
	session_id: z.nullable(z.string()),
	session_label: z.nullable(z.string()),
	guest_names: z.nullable(z.array(z.string())),
	queued_at: z.string(),
	checked_in_days: z.array(z.string()),
	paper_days: z.array(z.string()),
	answers: z.nullable(z.record(z.string(), z.unknown()))
});

export const RegistrationsAnswer = z.array(OfficeRegistration);

export function parseRegistrations(answer: unknown): RegistrationRow[] {
	return parseAnswer(RegistrationsAnswer, answer, 'list_registrations').map((row) => ({
		id: row.registration_id,
		memberId: row.member_id,
		employeeNo: row.employee_no,
		name: row.member_name,
		unitName: row.unit_name,
		status: row.status,
		source: row.source,
		sessionId: row.session_id,
		// null in SQL: no session chosen, no guests, no questions answered.
		sessionLabel: row.session_label ?? '',
		guestNames: row.guest_names ?? [],
		queuedAt: row.queued_at,
		checkedInDays: row.checked_in_days,
		paperDays: row.paper_days,
		answers: row.answers ?? {}
	}));
}

export async function listRegistrations(
	client: UnionClient,
	activityId: string
): Promise<RegistrationRow[]> {
	return parseRegistrations(
		await callRpc(client, 'list_registrations', { activity_id: activityId })
	);
}

export async function decideRegistration(
	client: UnionClient,
	registrationId: string,
	decision: 'approve' | 'reject',
	note = ''
): Promise<void> {
	await callRpc(client, 'decide_registration', {
		registration_id: registrationId,
		decision,
		note
	});
}

export async function moveFromWaitlist(client: UnionClient, registrationId: string): Promise<void> {
	await callRpc(client, 'move_from_waitlist', { registration_id: registrationId });
}

export async function drawLottery(
	client: UnionClient,
	activityId: string
): Promise<{ admitted: number; notAdmitted: number }> {
	const answer = parseAnswer(
		z.looseObject({ admitted: count, not_admitted: count }),
		await callRpc(client, 'draw_lottery', { activity_id: activityId }),
		'draw_lottery'
	);
	return { admitted: answer.admitted, notAdmitted: answer.not_admitted };
}

export async function recordPaperAttendance(
	client: UnionClient,
	activityId: string,
	day: string,
	memberIds: string[]
): Promise<number> {
	const answer = await callRpc(client, 'record_paper_attendance', {
		activity_id: activityId,
		day,
		member_ids: memberIds
	});
	return parseAnswer(z.looseObject({ recorded: count }), answer, 'record_paper_attendance')
		.recorded;
}

export interface StaffMember {
	id: string;
	role: string;
	name: string;
	employeeNo: string;
	/** The unit the role is for; null for the office (the whole union) and check-in staff. */
	unitCode: string | null;
	unitName: string | null;
	grantedBy: string | null;
	grantedAt: string | null;
	revokedAt: string | null;
}

/** One role of `list_staff` (`private.staff_role_json`). */
export const StaffAnswer = z.array(
	z.object({
		id: z.string(),
		role: z.string(),
		name: z.string(),
		employee_no: z.string(),
		unit_code: z.nullable(z.string()),
		unit_name: z.nullable(z.string()),
		granted_by_name: z.nullable(z.string()),
		granted_at: z.nullable(z.string()),
		revoked_at: z.nullable(z.string())
	})
);

export function parseStaff(answer: unknown): StaffMember[] {
	return parseAnswer(StaffAnswer, answer, 'list_staff').map((row) => ({
		id: row.id,
		role: row.role,
		name: row.name,
		employeeNo: row.employee_no,
		unitCode: row.unit_code,
		unitName: row.unit_name,
		grantedBy: row.granted_by_name,
		grantedAt: row.granted_at,
		revokedAt: row.revoked_at
	}));
}

export async function listStaff(client: UnionClient): Promise<StaffMember[]> {
	return parseStaff(await callRpc(client, 'list_staff'));
}
