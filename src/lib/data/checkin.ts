// Typed wrappers of the check-in API (supabase/schemas/04_checkin.sql, and the check-in staff of
// 06_roles.sql). Answers are parsed here, so a drifted shape is a clear
// 'bad_response' and never `undefined` deep inside the scanner.
import { z } from '#lib/domain/zod.ts';
import {
	CHECK_IN_KINDS,
	REGISTRATION_STATUSES,
	type Roster,
	type ServerCounter
} from '#lib/domain/checkin.ts';
import { parseAnswer } from './answer.ts';
import type { UnionClient } from './client.ts';
import { callRpc } from './rpc.ts';

const parse = parseAnswer;

const text = z.string();
const nullableText = z.nullable(z.string());
const textOrEmpty = z.pipe(
	z.nullable(z.string()),
	z.transform((v) => v ?? '')
);
const listOrEmpty = z.pipe(
	z.nullable(z.array(text)),
	z.transform((v) => v ?? [])
);

const RosterSchema: z.ZodMiniType<Roster> = z.object({
	activity: z.object({
		id: text,
		title: text,
		status: text,
		starts_at: text,
		ends_at: text,
		place: textOrEmpty,
		walk_in_allowed: z.boolean(),
		guests_max: z.int(),
		days: z.array(text),
		sessions: z.array(
			z.object({
				id: text,
				label: textOrEmpty,
				starts_at: text,
				ends_at: text,
				capacity: z.nullable(z.int())
			})
		)
	}),
	version: z.int(),
	entries: z.array(
		z.object({
			registration_id: text,
			member_id: text,
			name: text,
			employee_no: text,
			phone_suffix: nullableText,
			unit_name: text,
			status: z.enum(REGISTRATION_STATUSES),
			session_id: nullableText,
			guest_names: listOrEmpty,
			ticket_hash: text
		})
	),
	check_ins: z.array(
		z.object({
			id: text,
			member_id: nullableText,
			registration_id: nullableText,
			day: text,
			kind: z.enum(CHECK_IN_KINDS),
			undoes: listOrEmpty,
			guests_checked_in: z.int(),
			device_id: text,
			server_time: text,
			flags: listOrEmpty
		})
	),
	server_now: text
});

const CounterSchema: z.ZodMiniType<ServerCounter> = z.object({
	day: text,
	checked_in: z.int(),
	admitted: z.int(),
	guests: z.int(),
	provisional: z.int(),
	sessions: z.array(
		z.object({
			session_id: text,
			starts_at: text,
			admitted: z.int(),
			checked_in: z.int()
		})
	)
});

/** Everything a phone needs to validate tickets offline (hashed secrets only). */
export async function fetchRoster(client: UnionClient, activityId: string): Promise<Roster> {
	return parse(
		RosterSchema,
		await callRpc(client, 'get_checkin_roster', { activity_id: activityId }),
		'roster'
	);
}

export async function fetchCounter(
	client: UnionClient,
	activityId: string,
	day: string
): Promise<ServerCounter> {
	return parse(
		CounterSchema,
		await callRpc(client, 'get_checkin_counter', { activity_id: activityId, day }),
		'counter'
	);
}

export interface ScanActivity {
	id: string;
	title: string;
	status: string;
	startsAt: string;
	endsAt: string;
	place: string;
	walkInAllowed: boolean;
	days: string[];
	/** The caller manages it (office or organizer): may accept unknown tickets provisionally. */
	manages: boolean;
}

const ScanActivitySchema = z.pipe(
	z.object({
		id: text,
		title: text,
		status: text,
		starts_at: text,
		ends_at: text,
		place: nullableText,
		walk_in_allowed: z.boolean(),
		days: z.array(text),
		manages: z.boolean()
	}),
	z.transform((a): ScanActivity => ({
		id: a.id,
		title: a.title,
		status: a.status,
		startsAt: a.starts_at,
		endsAt: a.ends_at,
		place: a.place ?? '',
		walkInAllowed: a.walk_in_allowed,
		days: a.days,
		manages: a.manages
	}))
);

/** The activities the caller may check people in for, from yesterday on. */
export async function listCheckinActivities(client: UnionClient): Promise<ScanActivity[]> {
	return parse(
		z.array(ScanActivitySchema),
		await callRpc(client, 'list_checkin_activities'),
		'checkin activities'
	);
}

export interface WalkInCandidate {
	memberId: string;
	name: string;
	employeeNo: string;
	unitName: string;
	phoneSuffix: string | null;
	registrationStatus: string | null;
}

/** Members who may be added at the door (online only; 2 characters or 4 digits). */
export async function searchWalkInMembers(
	client: UnionClient,
	activityId: string,
	query: string
): Promise<WalkInCandidate[]> {
	const rows = parse(
		z.array(
			z.object({
				member_id: text,
				name: text,
				employee_no: text,
				unit_name: text,
				phone_suffix: nullableText,
				registration_status: nullableText
			})
		),
		await callRpc(client, 'search_walk_in_members', { activity_id: activityId, query }),
		'walk-in search'
	);
	return rows.map((r) => ({
		memberId: r.member_id,
		name: r.name,
		employeeNo: r.employee_no,
		unitName: r.unit_name,
		phoneSuffix: r.phone_suffix,
		registrationStatus: r.registration_status
	}));
}

export interface Conflict {
	checkInId: string;
	activityId: string;
	activityTitle: string;
	memberName: string | null;
	unitName: string | null;
	day: string;
	kind: string;
	flags: string[];
	deviceId: string;
	deviceTime: string | null;
	serverTime: string;
	recordedBy: string | null;
	review: { decision: string; note: string; decidedAt: string; decidedBy: string | null } | null;
}

const ConflictSchema = z.pipe(
	z.object({
		check_in_id: text,
		activity_id: text,
		activity_title: text,
		member_name: nullableText,
		unit_name: nullableText,
		day: text,
		kind: text,
		flags: z.array(text),
		device_id: text,
		device_time: nullableText,
		server_time: text,
		recorded_by: nullableText,
		review: z.nullable(
			z.object({ decision: text, note: text, decided_at: text, decided_by: nullableText })
		)
	}),
	z.transform((c): Conflict => ({
		checkInId: c.check_in_id,
		activityId: c.activity_id,
		activityTitle: c.activity_title,
		memberName: c.member_name,
		unitName: c.unit_name,
		day: c.day,
		kind: c.kind,
		flags: c.flags,
		deviceId: c.device_id,
		deviceTime: c.device_time,
		serverTime: c.server_time,
		recordedBy: c.recorded_by,
		review:
			c.review === null
				? null
				: {
						decision: c.review.decision,
						note: c.review.note,
						decidedAt: c.review.decided_at,
						decidedBy: c.review.decided_by
					}
	}))
);

export async function listConflicts(
	client: UnionClient,
	options: { activityId?: string; includeReviewed?: boolean } = {}
): Promise<Conflict[]> {
	return parse(
		z.array(ConflictSchema),
		await callRpc(client, 'list_checkin_conflicts', {
			...(options.activityId === undefined ? {} : { activity_id: options.activityId }),
			include_reviewed: options.includeReviewed ?? false
		}),
		'conflicts'
	);
}

export type ReviewDecision = 'confirmed' | 'reversed';

export async function reviewCheckIn(
	client: UnionClient,
	checkInId: string,
	decision: ReviewDecision,
	note: string
): Promise<void> {
	await callRpc(client, 'review_check_in', { check_in_id: checkInId, decision, note });
}

export interface StaffGrant {
	roleId: string;
	name: string;
	employeeNo: string;
	unitName: string | null;
	grantedAt: string;
	grantedBy: string | null;
}

const StaffSchema = z.pipe(
	z.object({
		role_id: text,
		name: text,
		employee_no: text,
		unit_name: z.optional(nullableText),
		granted_at: text,
		granted_by: z.optional(nullableText)
	}),
	z.transform((s): StaffGrant => ({
		roleId: s.role_id,
		name: s.name,
		employeeNo: s.employee_no,
		unitName: s.unit_name ?? null,
		grantedAt: s.granted_at,
		grantedBy: s.granted_by ?? null
	}))
);

export async function listActivityStaff(
	client: UnionClient,
	activityId: string
): Promise<StaffGrant[]> {
	return parse(
		z.array(StaffSchema),
		await callRpc(client, 'list_activity_staff', { activity_id: activityId }),
		'staff'
	);
}

export async function grantCheckinStaff(
	client: UnionClient,
	activityId: string,
	employeeNo: string
): Promise<StaffGrant> {
	return parse(
		StaffSchema,
		await callRpc(client, 'grant_checkin_staff', {
			activity_id: activityId,
			employee_no: employeeNo
		}),
		'staff grant'
	);
}

export async function revokeStaffRole(client: UnionClient, roleId: string): Promise<void> {
	await callRpc(client, 'revoke_role', { role_id: roleId });
}
