// Check-in at the door, the pure part (docs/decisions.md §6, docs/offline-and-checkin.md):
// canonicalising a scanned value (A15), judging it against the downloaded roster plus this
// phone's own actions (a verdict never waits for the network), the counter overlay, add-wins
// undo targets and the by-hand search. No IndexedDB, no Svelte, no network; callers pass clocks.
import { unionDay } from './union-day.ts';

export const REGISTRATION_STATUSES = [
	'registered',
	'waitlisted',
	'pending_approval',
	'cancelled',
	'rejected'
] as const;
export type RosterStatus = (typeof REGISTRATION_STATUSES)[number];

export const CHECK_IN_KINDS = [
	'scan',
	'manual',
	'walk_in',
	'paper',
	'provisional',
	'undo'
] as const;
export type CheckInKind = (typeof CHECK_IN_KINDS)[number];

/** One registration as the roster carries it: the ticket only as its SHA-256. */
export interface RosterEntry {
	registration_id: string;
	member_id: string;
	name: string;
	employee_no: string;
	phone_suffix: string | null;
	unit_name: string;
	status: RosterStatus;
	session_id: string | null;
	guest_names: string[];
	ticket_hash: string;
}

export interface RosterCheckIn {
	id: string;
	member_id: string | null;
	registration_id: string | null;
	day: string;
	kind: CheckInKind;
	undoes: string[];
	guests_checked_in: number;
	device_id: string;
	server_time: string;
	flags: string[];
}

export interface RosterSession {
	id: string;
	label: string;
	starts_at: string;
	ends_at: string;
	capacity: number | null;
}

export interface RosterActivity {
	id: string;
	title: string;
	status: string;
	starts_at: string;
	ends_at: string;
	place: string;
	walk_in_allowed: boolean;
	guests_max: number;
	days: string[];
	sessions: RosterSession[];
}

export interface Roster {
	activity: RosterActivity;
	version: number;
	entries: RosterEntry[];
	check_ins: RosterCheckIn[];
	server_now: string;
}

// -------------------------------------------------------------------------------------------
// A15: a scanned value is canonicalised exactly once, then compared exactly
// -------------------------------------------------------------------------------------------

/** A ticket secret: base64url, as the server makes them (144 random bits, 24 characters). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** What may stand before `/t/`: nothing, or an http(s) origin with an optional base path. */
const URL_PREFIX = /^(https?:\/\/[^\s/?#]+(\/[^\s?#]*)?)?$/i;

export type CanonicalTicket =
	{ ok: true; secret: string } | { ok: false; reason: 'empty' | 'malformed' };

/**
 * Trims whitespace and control characters a scanner or keyboard adds (spaces, tabs, CR/LF),
 * reduces a ticket URL (`https://host/t/<secret>`) to its secret, percent-decodes once, and
 * checks the result is a well-formed secret. The one decoding applies to the secret (the app
 * writes it with encodeURIComponent) or, when the value has no literal `/t/`, to the whole value
 * first: some QR generators and chat apps encode the entire link (`https%3A%2F%2Fhost%2Ft%2F…`).
 * A value that is still percent-encoded after that one decoding is malformed: never decoded twice.
 */
export function canonicalTicket(raw: string): CanonicalTicket {
	// eslint-disable-next-line no-control-regex
	const trimmed = raw.replace(/^[\s\u0000-\u001f]+|[\s\u0000-\u001f]+$/g, '');
	if (trimmed === '') return { ok: false, reason: 'empty' };
	const decodeOnce = (text: string): string | null => {
		try {
			return decodeURIComponent(text);
		} catch {
			return null;
		}
	};
	let value: string | null = trimmed;
	let decoded = false;
	if (!value.includes('/t/') && value.includes('%')) {
		value = decodeOnce(value);
		decoded = true;
		if (value === null) return { ok: false, reason: 'malformed' };
	}
	const marker = value.lastIndexOf('/t/');
	if (marker >= 0) {
		if (!URL_PREFIX.test(value.slice(0, marker))) return { ok: false, reason: 'malformed' };
		value = value.slice(marker + 3);
	}
	if (!decoded && value.includes('%')) {
		value = decodeOnce(value);
		if (value === null) return { ok: false, reason: 'malformed' };
	}
	return SECRET_PATTERN.test(value)
		? { ok: true, secret: value }
		: { ok: false, reason: 'malformed' };
}

/** SHA-256 of the canonical secret as lowercase hex: what the roster's ticket_hash holds. */
export async function ticketHash(secret: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
	return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// -------------------------------------------------------------------------------------------
// This phone's own check-in actions, as the outbox holds them (structural, no outbox import)
// -------------------------------------------------------------------------------------------

export interface OwnCheckInRow {
	id: string;
	kind: string;
	status: 'pending' | 'acked' | 'rejected' | 'blocked';
	deviceId: string;
	clientAt: string;
	activityId: string;
	payload: unknown;
	settledAt?: number;
	result?: { code?: string | null; entity?: unknown };
}

interface CheckInPayloadShape {
	ticket?: string;
	registration_id?: string;
	member_id?: string;
	day?: string;
	guests?: number;
	provisional?: boolean;
	target_ids?: string[];
}

/** A check-in that counts, from the server's log or from this phone's own actions. */
export interface SeenCheckIn {
	id: string;
	memberId: string | null;
	registrationId: string | null;
	day: string;
	deviceId: string;
	/** Server time when from the log; this phone's clock otherwise (display only). */
	at: string;
	guests: number;
	source: 'server' | 'pending' | 'acked';
	provisional: boolean;
	/** For acked rows: when the answer came (retirement against the counter). */
	settledAt?: number;
}

export interface RosterIndex {
	byHash: Map<string, RosterEntry>;
	byRegistration: Map<string, RosterEntry>;
	byMember: Map<string, RosterEntry>;
}

export function indexRoster(roster: Roster): RosterIndex {
	const byHash = new Map<string, RosterEntry>();
	const byRegistration = new Map<string, RosterEntry>();
	const byMember = new Map<string, RosterEntry>();
	for (const entry of roster.entries) {
		byHash.set(entry.ticket_hash, entry);
		byRegistration.set(entry.registration_id, entry);
		byMember.set(entry.member_id, entry);
	}
	return { byHash, byRegistration, byMember };
}

function entityField(row: OwnCheckInRow, key: string): string | null {
	const entity = row.result?.entity;
	if (typeof entity !== 'object' || entity === null) return null;
	const value = (entity as Record<string, unknown>)[key];
	return typeof value === 'string' ? value : null;
}

/**
 * The check-ins that count for one activity-day, per member: the roster's log with this phone's
 * pending and acked actions on top (acked ones until the roster contains them), and undo
 * actions (the server's and this phone's) removing exactly the ids they name.
 * `ticketHashes` maps secrets of this phone's queued scans to their hash (computed by the caller).
 */
export function liveCheckIns(
	roster: Roster,
	index: RosterIndex,
	rows: readonly OwnCheckInRow[],
	day: string,
	ticketHashes: ReadonlyMap<string, string>
): Map<string | null, SeenCheckIn[]> {
	const seen: SeenCheckIn[] = [];
	const undone = new Set<string>();
	const known = new Set(roster.check_ins.map((c) => c.id));
	for (const c of roster.check_ins) {
		if (c.kind === 'undo') {
			for (const id of c.undoes) undone.add(id);
			continue;
		}
		if (c.day !== day) continue;
		seen.push({
			id: c.id,
			memberId: c.member_id,
			registrationId: c.registration_id,
			day: c.day,
			deviceId: c.device_id,
			at: c.server_time,
			guests: c.guests_checked_in,
			source: 'server',
			provisional: c.kind === 'provisional'
		});
	}
	for (const row of rows) {
		if (row.activityId !== roster.activity.id) continue;
		if (row.status !== 'pending' && row.status !== 'acked') continue;
		const payload = row.payload as CheckInPayloadShape;
		if (row.kind === 'undo_check_in') {
			for (const id of payload.target_ids ?? []) undone.add(id);
			continue;
		}
		if (row.kind !== 'check_in' && row.kind !== 'walk_in') continue;
		if (known.has(row.id) || (payload.day ?? day) !== day) continue;
		let entry: RosterEntry | undefined;
		if (payload.registration_id !== undefined)
			entry = index.byRegistration.get(payload.registration_id);
		if (entry === undefined && payload.ticket !== undefined) {
			const hash = ticketHashes.get(payload.ticket);
			if (hash !== undefined) entry = index.byHash.get(hash);
		}
		const memberId = entityField(row, 'member_id') ?? entry?.member_id ?? payload.member_id ?? null;
		const provisional =
			row.result?.code === 'provisional' || (memberId === null && !!payload.provisional);
		seen.push({
			id: row.id,
			memberId: provisional ? null : memberId,
			registrationId: entityField(row, 'registration_id') ?? entry?.registration_id ?? null,
			day,
			deviceId: row.deviceId,
			at: row.clientAt,
			guests: payload.guests ?? entry?.guest_names.length ?? 0,
			source: row.status === 'pending' ? 'pending' : 'acked',
			provisional,
			...(row.settledAt === undefined ? {} : { settledAt: row.settledAt })
		});
	}
	const byMember = new Map<string | null, SeenCheckIn[]>();
	for (const record of seen) {
		if (undone.has(record.id)) continue;
		const list = byMember.get(record.memberId) ?? [];
		list.push(record);
		byMember.set(record.memberId, list);
	}
	for (const list of byMember.values()) list.sort((a, b) => a.at.localeCompare(b.at));
	return byMember;
}

/** An empty check-in view (no roster yet). */
export function noCheckIns(): Map<string | null, SeenCheckIn[]> {
	return new Map();
}

function str(value: unknown): string {
	return typeof value === 'string' ? value : '';
}

/** Add-wins undo: every live check-in id of this member on this day that this phone knows. */
export function undoTargets(live: Map<string | null, SeenCheckIn[]>, memberId: string): string[] {
	return (live.get(memberId) ?? []).map((record) => record.id);
}

// -------------------------------------------------------------------------------------------
// Verdicts
// -------------------------------------------------------------------------------------------

export type VerdictKind =
	| 'checked_in'
	| 'already'
	| 'provisional'
	| 'cancelled'
	| 'not_admitted'
	| 'unknown'
	| 'malformed'
	| 'wrong_activity'
	| 'wrong_day'
	| 'other_day'
	| 'not_allowed'
	| 'undone'
	| 'refused';

export type Tone = 'ok' | 'warn' | 'error';

export const VERDICT_TONE: Record<VerdictKind, Tone> = {
	checked_in: 'ok',
	undone: 'ok',
	already: 'warn',
	provisional: 'warn',
	cancelled: 'error',
	not_admitted: 'error',
	unknown: 'error',
	malformed: 'error',
	wrong_activity: 'error',
	wrong_day: 'error',
	other_day: 'warn',
	not_allowed: 'error',
	refused: 'error'
};

export interface FirstCheckIn {
	deviceId: string;
	at: string;
	/** The first check-in was made on this phone. */
	self: boolean;
	recordedBy?: string | null;
}

export interface Verdict {
	kind: VerdictKind;
	tone: Tone;
	entry: RosterEntry | null;
	/** Guests coming in with the member. */
	guests: number;
	first: FirstCheckIn | null;
	/** The server's refusal code, for `refused`. */
	code?: string;
	/** For `wrong_day`: the session the ticket is booked for (when known). */
	session?: SessionDay | null;
}

// -------------------------------------------------------------------------------------------
// R1: a session's booking is checked in on its session's day (union time) only
// -------------------------------------------------------------------------------------------

/** A session's day (YYYY-MM-DD in the union's time zone), start and label. */
export interface SessionDay {
	day: string;
	startsAt: string;
	label: string;
}

/** The day being checked in and the activity's sessions by id. */
export interface DayCheck {
	day: string;
	sessions: ReadonlyMap<string, SessionDay>;
}

/** Each session of the activity with its day in the union's time zone. */
export function sessionDays(
	sessions: readonly RosterSession[],
	timeZone: string
): Map<string, SessionDay> {
	return new Map(
		sessions.map((session) => [
			session.id,
			{
				day: unionDay(new Date(session.starts_at), timeZone),
				startsAt: session.starts_at,
				label: session.label
			}
		])
	);
}

/** The session of another day a registration is booked for, or null when it may come today. */
function otherDaySession(entry: RosterEntry, check: DayCheck | undefined): SessionDay | null {
	if (check === undefined || entry.session_id === null) return null;
	const session = check.sessions.get(entry.session_id);
	return session !== undefined && session.day !== check.day ? session : null;
}

/** Whether a registration is expected on the day: no session, or a session that day. */
function expectedOn(entry: RosterEntry, check: DayCheck | undefined): boolean {
	return otherDaySession(entry, check) === null;
}

/**
 * The note above the scanner when the chosen day is not today: `not_today` when today is one of
 * the activity's days (another day was picked), `not_activity_day` when it is not.
 */
export function dayNotice(
	days: readonly string[],
	today: string,
	day: string
): 'not_today' | 'not_activity_day' | null {
	if (day === today) return null;
	return days.includes(today) ? 'not_today' : 'not_activity_day';
}

function verdict(
	kind: VerdictKind,
	entry: RosterEntry | null = null,
	extra: Partial<Verdict> = {}
): Verdict {
	return {
		kind,
		tone: VERDICT_TONE[kind],
		entry,
		guests: entry?.guest_names.length ?? 0,
		first: null,
		...extra
	};
}

/**
 * The verdict on a scanned ticket from what the phone knows: malformed, unknown (not on the
 * roster: never accepted silently, invariant 7), cancelled, not admitted (waitlisted, pending,
 * rejected), already checked in (first time and device), or checked in.
 */
export function judgeTicket(
	canonical: CanonicalTicket,
	hash: string | null,
	index: RosterIndex,
	live: Map<string | null, SeenCheckIn[]>,
	deviceId: string,
	check?: DayCheck
): Verdict {
	if (!canonical.ok || hash === null) return verdict('malformed');
	const entry = index.byHash.get(hash);
	if (entry === undefined) return verdict('unknown');
	return judgeEntry(entry, live, deviceId, check);
}

/**
 * The verdict for a roster entry (a scan found it, or the organizer picked it by hand), in the
 * server's order: not admitted, booked for another day's session (R1), cancelled, already in.
 */
export function judgeEntry(
	entry: RosterEntry,
	live: Map<string | null, SeenCheckIn[]>,
	deviceId: string,
	check?: DayCheck
): Verdict {
	if (entry.status !== 'registered' && entry.status !== 'cancelled')
		return verdict('not_admitted', entry);
	const session = otherDaySession(entry, check);
	if (session !== null) return verdict('wrong_day', entry, { session });
	if (entry.status === 'cancelled') return verdict('cancelled', entry);
	const first = live.get(entry.member_id)?.[0];
	if (first !== undefined) {
		return verdict('already', entry, {
			first: { deviceId: first.deviceId, at: first.at, self: first.deviceId === deviceId }
		});
	}
	return verdict('checked_in', entry);
}

/** The verdict the server's answer to a check-in action gives (online confirmations). */
export function verdictFromResult(
	result: {
		status: string;
		code?: string | null;
		warnings?: string[] | null;
		entity?: unknown;
	},
	entry: RosterEntry | null,
	deviceId: string
): Verdict {
	const entity =
		typeof result.entity === 'object' && result.entity !== null
			? (result.entity as Record<string, unknown>)
			: {};
	const guests =
		typeof entity.guests_checked_in === 'number' ? entity.guests_checked_in : undefined;
	const named: RosterEntry | null =
		entry ??
		(typeof entity.name === 'string'
			? {
					registration_id: str(entity.registration_id),
					member_id: str(entity.member_id),
					name: entity.name,
					employee_no: '',
					phone_suffix: null,
					unit_name: typeof entity.unit_name === 'string' ? entity.unit_name : '',
					status: 'registered',
					session_id: null,
					guest_names: [],
					ticket_hash: ''
				}
			: null);
	const extra = guests === undefined ? {} : { guests };
	switch (result.code) {
		case 'checked_in':
			if (result.warnings?.includes('registration_cancelled'))
				return verdict('cancelled', named, extra);
			// R1: an organizer's check-in on another day than the ticket's, flagged for review.
			if (result.warnings?.includes('other_day')) return verdict('other_day', named, extra);
			return verdict('checked_in', named, extra);
		case 'already_checked_in': {
			const first = entity.first_check_in as Record<string, unknown> | null | undefined;
			return verdict('already', named, {
				...extra,
				first:
					first == null
						? null
						: {
								deviceId: str(first.device_id),
								at: str(first.server_time),
								self: first.device_id === deviceId,
								recordedBy: typeof first.recorded_by === 'string' ? first.recorded_by : null
							}
			});
		}
		case 'provisional':
			return verdict('provisional');
		case 'undone':
		case 'nothing_to_undo':
			return verdict('undone', named);
		case 'ticket_unknown':
		case 'registration_unknown':
			return verdict('unknown');
		case 'wrong_activity':
			return verdict('wrong_activity');
		case 'not_admitted':
			return verdict('not_admitted', named);
		case 'wrong_day':
			return verdict('wrong_day', typeof entity.session_day === 'string' ? named : null, {
				session:
					typeof entity.session_day === 'string'
						? {
								day: entity.session_day,
								startsAt: str(entity.session_starts_at),
								label: str(entity.session_label)
							}
						: null
			});
		case 'override_not_allowed':
		case 'provisional_not_allowed':
		case 'walk_in_not_allowed':
		case 'not_staff':
			return verdict('not_allowed', named, { code: result.code });
		default:
			return verdict('refused', named, { code: result.code ?? 'unknown' });
	}
}

/**
 * Refusals the scanner words itself (checkin.refusal.*): a walk-in under sign-up's rules (R2)
 * and the walk-in search's limits (R3). Other codes show as `refused` with the code.
 */
export const DOOR_REFUSALS = [
	'registration_rejected',
	'approval_required',
	'full',
	'series_limit_reached',
	'ineligible_gender',
	'ineligible_member_type',
	'ineligible_unit',
	'ineligible_not_member',
	'member_unknown',
	'walk_in_not_allowed',
	'rate_limited'
] as const;
export type DoorRefusal = (typeof DOOR_REFUSALS)[number];

export function doorRefusal(code: string | null | undefined): DoorRefusal | null {
	return (DOOR_REFUSALS as readonly (string | null | undefined)[]).includes(code)
		? (code as DoorRefusal)
		: null;
}

// -------------------------------------------------------------------------------------------
// Counter: server truth plus this phone's check-ins not yet in it
// -------------------------------------------------------------------------------------------

export interface ServerCounter {
	day: string;
	checked_in: number;
	admitted: number;
	guests: number;
	provisional: number;
	sessions: { session_id: string; starts_at: string; admitted: number; checked_in: number }[];
}

export interface CounterView {
	checkedIn: number;
	admitted: number;
	guests: number;
	/** Members counted here from this phone's actions the server has not counted yet. */
	pendingMembers: number;
	sessions: { sessionId: string; startsAt: string; checkedIn: number; admitted: number }[];
}

/**
 * The counter to show. With a server counter (read at `fetchedAt`): its numbers plus the members
 * this phone checked in that neither the counter nor the roster's log contains yet (pending, or
 * acked after the counter was read: retirement by read time, no double count). Without one
 * (offline since the start): counted from the roster and this phone's actions. With `check`,
 * only the people expected that day (no session, or a session that day) and that day's sessions
 * (R1), as the server counts.
 */
export function overlayCounter(
	server: ServerCounter | null,
	fetchedAt: number | null,
	roster: Roster,
	index: RosterIndex,
	live: Map<string | null, SeenCheckIn[]>,
	check?: DayCheck
): CounterView {
	const admittedEntries = roster.entries.filter(
		(entry) => entry.status === 'registered' && expectedOn(entry, check)
	);
	const daySessions = roster.activity.sessions.filter(
		(session) => check === undefined || check.sessions.get(session.id)?.day === check.day
	);
	const sessions = daySessions.map((session) => ({
		sessionId: session.id,
		startsAt: session.starts_at,
		checkedIn: 0,
		admitted: admittedEntries.filter((entry) => entry.session_id === session.id).length
	}));
	const sessionOf = (memberId: string): string | null =>
		index.byMember.get(memberId)?.session_id ?? null;

	const unretired = (record: SeenCheckIn): boolean =>
		record.source === 'pending' ||
		(record.source === 'acked' && (fetchedAt === null || (record.settledAt ?? 0) > fetchedAt));

	let extra = 0;
	let extraGuests = 0;
	let countedHere = 0;
	let guestsHere = 0;
	const extraBySession = new Map<string, number>();
	const hereBySession = new Map<string, number>();
	for (const [memberId, records] of live) {
		if (memberId === null || records.length === 0) continue;
		const session = sessionOf(memberId);
		const guests = Math.max(...records.map((r) => r.guests));
		countedHere += 1;
		guestsHere += guests;
		if (session !== null) hereBySession.set(session, (hereBySession.get(session) ?? 0) + 1);
		if (records.every((r) => r.source !== 'server') && records.some(unretired)) {
			extra += 1;
			extraGuests += guests;
			if (session !== null) extraBySession.set(session, (extraBySession.get(session) ?? 0) + 1);
		}
	}
	if (server === null) {
		return {
			checkedIn: countedHere,
			admitted: admittedEntries.length,
			guests: guestsHere,
			pendingMembers: extra,
			sessions: sessions.map((s) => ({ ...s, checkedIn: hereBySession.get(s.sessionId) ?? 0 }))
		};
	}
	return {
		checkedIn: server.checked_in + extra,
		admitted: server.admitted,
		guests: server.guests + extraGuests,
		pendingMembers: extra,
		sessions: server.sessions.map((s) => ({
			sessionId: s.session_id,
			startsAt: s.starts_at,
			admitted: s.admitted,
			checkedIn: s.checked_in + (extraBySession.get(s.session_id) ?? 0)
		}))
	};
}

// -------------------------------------------------------------------------------------------
// By hand: search the downloaded roster
// -------------------------------------------------------------------------------------------

export const MIN_NAME_QUERY = 2;
export const MIN_DIGIT_QUERY = 4;

export type RosterSearch =
	{ ok: true; results: RosterEntry[] } | { ok: false; reason: 'too_short' };

/**
 * Name (at least 2 characters), 工号 (at least 4 digits, or the whole 工号) or the phone's last
 * 4 digits. The minimums keep a lost phone's roster from being paged through by guessing (A11).
 */
export function searchRoster(
	entries: readonly RosterEntry[],
	query: string,
	limit = 20
): RosterSearch {
	const needle = query.trim();
	const digits = /^[0-9]+$/.test(needle);
	if ((digits && needle.length < MIN_DIGIT_QUERY) || Array.from(needle).length < MIN_NAME_QUERY) {
		return { ok: false, reason: 'too_short' };
	}
	const lower = needle.toLowerCase();
	const results = entries.filter((entry) =>
		digits
			? entry.employee_no.includes(needle) ||
				(needle.length === MIN_DIGIT_QUERY && entry.phone_suffix === needle)
			: entry.name.includes(needle) || entry.employee_no.toLowerCase() === lower
	);
	return { ok: true, results: results.slice(0, limit) };
}

// -------------------------------------------------------------------------------------------
// Scan loop helpers
// -------------------------------------------------------------------------------------------

/** Ignores the same scanned value for `windowMs` (the code is still in front of the camera). */
export class RepeatGuard {
	#last: string | null = null;
	#at = -Infinity;
	readonly windowMs: number;

	constructor(windowMs = 2_500) {
		this.windowMs = windowMs;
	}

	/** True when the value is new (or old enough to count again); remembers it. */
	accept(value: string, now: number): boolean {
		if (value === this.#last && now - this.#at < this.windowMs) {
			this.#at = now;
			return false;
		}
		this.#last = value;
		this.#at = now;
		return true;
	}

	reset(): void {
		this.#last = null;
		this.#at = -Infinity;
	}
}

/** The day to scan for: today if the activity runs today, else its next day, else its last. */
export function defaultDay(days: readonly string[], today: string): string | null {
	if (days.length === 0) return null;
	if (days.includes(today)) return today;
	return days.find((day) => day > today) ?? days[days.length - 1] ?? null;
}
