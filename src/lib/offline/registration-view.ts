// What the member's pages make of their own sign-up and cancel actions: the server's answer to
// one action (for the outcome panel), and which registration generation a cancel queued now is
// meant for (so a stale queued cancel never cancels a newer sign-up, docs/decisions.md §5).
import { REGISTRATION_STATUSES, type RegistrationStatus } from '#lib/domain/activity.ts';
import { isActiveRegistration } from '#lib/domain/activity-detail.ts';
import { bySeq, type OutboxRow } from '#lib/domain/outbox.ts';
import { isRetired, type SnapshotMeta } from '#lib/domain/outbox-overlay.ts';

/** The registration an acked action answered with (`entity`), as far as the page needs it. */
export interface EntityView {
	id: string | null;
	status: RegistrationStatus | null;
	generation: number | null;
	waitlistPosition: number | null;
}

export function entityOf(row: OutboxRow): EntityView | null {
	const entity = row.result?.entity;
	if (typeof entity !== 'object' || entity === null) return null;
	const record = entity as Record<string, unknown>;
	const status = record.status;
	const integer = (value: unknown): number | null =>
		typeof value === 'number' && Number.isInteger(value) ? value : null;
	return {
		id: typeof record.id === 'string' ? record.id : null,
		status:
			typeof status === 'string' && (REGISTRATION_STATUSES as readonly string[]).includes(status)
				? (status as RegistrationStatus)
				: null,
		generation: integer(record.generation),
		waitlistPosition: integer(record.waitlist_position)
	};
}

/** One action as the outcome panel tells it. */
export type ActionOutcome =
	| { state: 'pending'; kind: OutboxRow['kind'] }
	/** Applied or noop: the registration's status now (null if the server sent none). */
	| {
			state: 'done';
			kind: OutboxRow['kind'];
			status: RegistrationStatus | null;
			/** The same request had been made before (a noop): nothing changed. */
			existing: boolean;
			code: string | null;
			waitlistPosition: number | null;
	  }
	/** Refused by the server (its reason code) or not sendable at all (blocked). */
	| { state: 'refused'; kind: OutboxRow['kind']; code: string | null; blocked: boolean };

export function outcomeOf(row: OutboxRow): ActionOutcome {
	switch (row.status) {
		case 'pending':
			return { state: 'pending', kind: row.kind };
		case 'acked': {
			const entity = entityOf(row);
			return {
				state: 'done',
				kind: row.kind,
				status: entity?.status ?? null,
				existing: row.result?.status === 'noop',
				code: row.result?.code ?? null,
				waitlistPosition: entity?.waitlistPosition ?? null
			};
		}
		case 'rejected':
			return { state: 'refused', kind: row.kind, code: row.result?.code ?? null, blocked: false };
		case 'blocked':
			return { state: 'refused', kind: row.kind, code: null, blocked: true };
	}
}

export interface ServerRegistration {
	status: RegistrationStatus;
	generation?: number | null;
}

/**
 * The generation a cancel queued now should name: the snapshot's registration, then this
 * member's actions on top in sequence order. An acked action not yet in the snapshot brings
 * its registration's generation; a pending sign-up that will create a new registration (none
 * is active) gets the next one, as the server numbers them (1 for the first, +1 per sign-up
 * again). Undefined when nothing is known: the cancel then names no generation.
 */
export function cancelGeneration(
	server: ServerRegistration | null,
	snapshot: SnapshotMeta,
	rows: readonly OutboxRow[],
	activityId: string,
	userId: string
): number | undefined {
	let generation = server?.generation ?? null;
	let active = server !== null && isActiveRegistration(server.status);
	const everRegistered = server !== null;
	let exists = everRegistered;
	const mine = rows
		.filter((row) => row.userId === userId && row.activityId === activityId)
		.sort(bySeq);
	for (const row of mine) {
		if (row.status === 'acked') {
			if (isRetired(row, snapshot)) continue;
			const entity = entityOf(row);
			if (entity === null) continue;
			if (entity.generation !== null) generation = entity.generation;
			if (entity.status !== null) active = isActiveRegistration(entity.status);
			exists = true;
		} else if (row.status === 'pending') {
			if (row.kind === 'signup') {
				if (!active) {
					generation = exists ? (generation ?? 0) + 1 : 1;
					exists = true;
				}
				active = true;
			} else {
				active = false;
			}
		}
	}
	return generation ?? undefined;
}
