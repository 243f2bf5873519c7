// The outbox's pure core (docs/decisions.md §2–4): what an action is,
// how a stored row looks, how old rows are upcast, and how the server's answer settles a batch.
// No IndexedDB, no network, no clocks: the callers pass `now`.
/** The payload schema version every new action is written with. */
export const ACTION_SCHEMA_VERSION = 1;
/** The server refuses batches above this size (apply_actions: batch_too_large). */
export const MAX_BATCH_SIZE = 50;
/** Consecutive failures of one action sent alone before it is dead-lettered as `blocked`. */
export const POISON_LIMIT = 5;

export interface SignupPayload {
	activity_id: string;
	session_id?: string;
	guest_names?: string[];
	answers?: Record<string, unknown>;
}

export interface CancelSignupPayload {
	activity_id: string;
	/** The registration generation this cancel was meant for; an older one becomes a noop. */
	generation?: number;
}

/** A scan (`ticket`, the canonical secret) or a check-in by hand (`registration_id`). */
export interface CheckInPayload {
	activity_id: string;
	ticket?: string;
	registration_id?: string;
	/** The activity-day (YYYY-MM-DD, union time) the scanner was opened for. */
	day?: string;
	/** Guests checked in with the member; the server caps it at the registration's guests. */
	guests?: number;
	/** An organizer's provisional accept of a ticket unknown offline (invariant 7). */
	provisional?: boolean;
	/** An organizer's check-in of a ticket booked for another day's session (flagged). */
	override_day?: boolean;
}

export interface WalkInPayload {
	activity_id: string;
	member_id: string;
	day?: string;
	guests?: number;
}

export interface UndoCheckInPayload {
	activity_id: string;
	/** Every check-in id of that member this phone knows (add-wins: unseen ones survive). */
	target_ids: string[];
	day?: string;
}

export interface ActionPayloads {
	signup: SignupPayload;
	cancel_signup: CancelSignupPayload;
	check_in: CheckInPayload;
	walk_in: WalkInPayload;
	undo_check_in: UndoCheckInPayload;
}

export type ActionKind = keyof ActionPayloads;

// A record, so that a kind added to ActionPayloads and forgotten here fails the type check.
const KINDS: Record<ActionKind, true> = {
	signup: true,
	cancel_signup: true,
	check_in: true,
	walk_in: true,
	undo_check_in: true
};
export const ACTION_KINDS = Object.keys(KINDS) as ActionKind[];

export function isActionKind(value: unknown): value is ActionKind {
	return typeof value === 'string' && (ACTION_KINDS as readonly string[]).includes(value);
}

/** The activity an action is about: batches hold one activity each (no cross-activity locks). */
export function activityOf<K extends ActionKind>(_kind: K, payload: ActionPayloads[K]): string {
	return payload.activity_id;
}

// -------------------------------------------------------------------------------------------
// Stored rows
// -------------------------------------------------------------------------------------------

/**
 * pending: saved on this phone, not yet answered for good (there is no persisted "in flight":
 * after a crash everything not terminal is pending and is simply sent again).
 * acked: the server applied it or found nothing to do (applied | noop).
 * rejected: the server refused it for a business reason (dead letter, kept with its code).
 * blocked: it could not be sent (schema it cannot be upcast from, or it broke the call 5 times).
 */
export type OutboxStatus = 'pending' | 'acked' | 'rejected' | 'blocked';

export type ErrorKind =
	'network' | 'timeout' | 'http' | 'bad_response' | 'auth' | 'forbidden' | 'schema' | 'retry';

export interface RowError {
	kind: ErrorKind;
	status?: number;
	code?: string;
	message?: string;
	at: number;
}

/** One action's answer from apply_actions (checked by ActionResultSchema in outbox-validation). */
export interface ActionResult {
	id: string;
	status: 'applied' | 'noop' | 'rejected' | 'retry';
	code?: string | null | undefined;
	warnings?: string[] | null | undefined;
	replayed?: boolean | null | undefined;
	activity_version?: number | null | undefined;
	entity?: unknown;
}

export interface ApplyResponse {
	server_time: string;
	results: ActionResult[];
}

interface RowBase {
	/** UUIDv7 made on the phone: the idempotency key and the server's primary key. */
	id: string;
	v: number;
	/** Per-device, strictly increasing, allocated in the insert's transaction. */
	seq: number;
	/** The owner: only ever sent under this user's session (I4). */
	userId: string;
	deviceId: string;
	/** Device wall clock when made: display and audit only. */
	clientAt: string;
	activityId: string;
	status: OutboxStatus;
	/** How many times it was sent. */
	attempts: number;
	/** Consecutive failures while sent alone (bisect); POISON_LIMIT of them → blocked. */
	failures: number;
	/** Not sent again before this time (epoch ms); 0 = any time. */
	nextAttemptAt: number;
	lastError?: RowError;
	/** The server's answer once terminal (or its latest non-terminal one). */
	result?: ActionResult;
	createdAt: number;
	updatedAt: number;
	/** When it became terminal (acked, rejected, blocked). */
	settledAt?: number;
	/** When the user dismissed a rejected or blocked action (it is kept, just no longer shown). */
	dismissedAt?: number;
}

export type OutboxRow = {
	[K in ActionKind]: RowBase & { kind: K; payload: ActionPayloads[K] };
}[ActionKind];

/** The action as apply_actions reads it. No token, no local bookkeeping. */
export interface WireAction {
	id: string;
	v: number;
	seq: number;
	kind: string;
	user_id: string;
	client_at: string;
	payload: unknown;
}

export function toWire(row: OutboxRow): WireAction {
	return {
		id: row.id,
		v: row.v,
		seq: row.seq,
		kind: row.kind,
		user_id: row.userId,
		client_at: row.clientAt,
		payload: row.payload
	};
}

// -------------------------------------------------------------------------------------------
// Settling a batch with the server's answer
// -------------------------------------------------------------------------------------------

export interface Settlement {
	rows: OutboxRow[];
	/** At least one action reached a terminal state: the loop may continue at once. */
	progress: boolean;
}

/**
 * Applies a parsed apply_actions answer to the batch that was sent: applied/noop → acked,
 * rejected → rejected (kept, with its code), retry or missing → still pending. Results for ids
 * that were not sent are ignored.
 */
export function settleBatch(batch: OutboxRow[], response: ApplyResponse, now: number): Settlement {
	const byId = new Map(response.results.map((result) => [result.id, result]));
	let progress = false;
	const rows = batch.map((row): OutboxRow => {
		const result = byId.get(row.id);
		const sent = { ...row, attempts: row.attempts + 1, updatedAt: now };
		if (result === undefined || result.status === 'retry') {
			return {
				...sent,
				status: 'pending',
				lastError: {
					kind: 'retry',
					code: result?.code ?? 'missing_result',
					at: now
				}
			};
		}
		progress = true;
		const terminal = {
			...sent,
			result,
			failures: 0,
			nextAttemptAt: 0,
			settledAt: now
		};
		if (result.status === 'rejected') {
			return {
				...terminal,
				status: 'rejected',
				lastError: { kind: 'http', code: result.code ?? 'rejected', at: now }
			};
		}
		const { lastError: _dropped, ...acked } = terminal;
		return { ...acked, status: 'acked' };
	});
	return { rows, progress };
}

/** Orders rows as they must be sent: by the device's sequence. */
export function bySeq(a: OutboxRow, b: OutboxRow): number {
	return a.seq - b.seq;
}

/**
 * The next batch: the eligible pending rows of the earliest activity, in seq order, at most
 * `size`. Rows of another user are never considered (I4).
 */
export function nextBatch(
	rows: readonly OutboxRow[],
	userId: string,
	now: number,
	size: number
): OutboxRow[] {
	const eligible = rows
		.filter((row) => row.userId === userId && row.status === 'pending' && row.nextAttemptAt <= now)
		.sort(bySeq);
	const first = eligible[0];
	if (first === undefined) return [];
	return eligible
		.filter((row) => row.activityId === first.activityId)
		.slice(0, Math.max(1, Math.min(size, MAX_BATCH_SIZE)));
}

/** A terminal row the user should look at. */
export function needsAttention(row: OutboxRow): boolean {
	return row.status === 'rejected' || row.status === 'blocked';
}
