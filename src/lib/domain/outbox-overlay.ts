// Server truth plus the phone's own actions on top (docs/decisions.md §5). Pages show
// `overlayRegistration(...)` instead of the bare server row, so a sign-up saved offline shows as
// pending, and an acked one neither flickers back nor counts twice before the next read.
import { REGISTRATION_STATUSES, type RegistrationStatus } from './activity.ts';
import { bySeq, type OutboxRow } from './outbox.ts';

/** What the page last read from the server, and when the read was *requested* (epoch ms). */
export interface SnapshotMeta {
	/** The activity's `version` when the read returned it; retirement then compares versions. */
	version?: number | null;
	/** Request start of the read: an ack received before it is contained in it. */
	fetchedAt: number;
}

/**
 * An acked action stays on top of a snapshot until the snapshot contains it: by version when
 * both sides have one (write checkpoint), else when the read was requested after the ack.
 * Pending actions never retire; rejected and blocked ones are never on top.
 */
export function isRetired(row: OutboxRow, snapshot: SnapshotMeta): boolean {
	if (row.status !== 'acked') return row.status !== 'pending';
	const version = row.result?.activity_version;
	if (snapshot.version != null && version != null) return snapshot.version >= version;
	return snapshot.fetchedAt >= (row.settledAt ?? 0);
}

export interface ServerRegistrationView {
	status: RegistrationStatus | null;
	guestCount: number;
}

export interface RegistrationOverlay {
	/** The status to show: the server's, or an acked action's answer not yet in the snapshot. */
	status: RegistrationStatus | null;
	guestCount: number;
	/** The last unsynced intent for this activity (saved on this phone), if any. */
	pending: 'signup' | 'cancel' | null;
	/** The pending row itself (its id, seq, and when it was made). */
	pendingRow: OutboxRow | null;
	/** The latest rejected or blocked action not superseded by a later one: show its reason. */
	problem: OutboxRow | null;
	/**
	 * Seats this member's acked-but-unretired actions add to the snapshot's `seats_taken`
	 * (+1+guests for a new registration, −1−guests for a cancelled one). Pending actions add
	 * nothing: capacity cannot be promised offline.
	 */
	seatDelta: number;
}

/** Sign-up and cancel: a check-in an organizer scanned is not their own registration's intent. */
function isRegistrationKind(row: OutboxRow): boolean {
	return row.kind === 'signup' || row.kind === 'cancel_signup';
}

function entityOf(row: OutboxRow): { status: RegistrationStatus | null; guestCount: number } {
	const entity = row.result?.entity;
	if (typeof entity === 'object' && entity !== null) {
		const record = entity as Record<string, unknown>;
		const status = record.status;
		const guests = record.guest_names;
		return {
			status:
				typeof status === 'string' && (REGISTRATION_STATUSES as readonly string[]).includes(status)
					? (status as RegistrationStatus)
					: null,
			guestCount: Array.isArray(guests) ? guests.length : 0
		};
	}
	return { status: null, guestCount: 0 };
}

function seats(status: RegistrationStatus | null, guestCount: number): number {
	return status === 'registered' ? 1 + guestCount : 0;
}

/** The member's registration for one activity as the page should show it. */
export function overlayRegistration(
	server: ServerRegistrationView,
	snapshot: SnapshotMeta,
	rows: readonly OutboxRow[],
	activityId: string,
	userId: string
): RegistrationOverlay {
	let status = server.status;
	let guestCount = server.guestCount;
	let pendingRow: OutboxRow | null = null;
	let problem: OutboxRow | null = null;
	const mine = rows
		.filter(
			(row) => row.userId === userId && row.activityId === activityId && isRegistrationKind(row)
		)
		.sort(bySeq);
	for (const row of mine) {
		if (row.status === 'pending') {
			pendingRow = row;
			problem = null;
		} else if (row.status === 'acked') {
			problem = null;
			if (isRetired(row, snapshot)) continue;
			const entity = entityOf(row);
			if (entity.status !== null) {
				status = entity.status;
				guestCount = entity.guestCount;
			}
		} else if (row.dismissedAt === undefined) {
			problem = row;
		}
	}
	return {
		status,
		guestCount,
		pending: pendingRow === null ? null : pendingRow.kind === 'signup' ? 'signup' : 'cancel',
		pendingRow,
		problem,
		seatDelta: seats(status, guestCount) - seats(server.status, server.guestCount)
	};
}
