// The outbox's run-time checks (zod): action payloads before they are stored, rows written by
// an older app version, and the server's answer. Apart from outbox.ts so that the first page's
// JavaScript, which needs the outbox's types and pure rules, does not carry the validators.
import {
	ACTION_SCHEMA_VERSION,
	activityOf,
	isActionKind,
	type ActionKind,
	type ActionPayloads,
	type ActionResult,
	type ApplyResponse,
	type OutboxRow,
	type OutboxStatus
} from './outbox.ts';
import { z } from './zod.ts';

// Lenient on purpose (any 8-4-4-4-12 hex): ids are the server's, and it checks them itself.
const uuid = z.guid();

// -------------------------------------------------------------------------------------------
// Action kinds: an extensible discriminated union. A new kind (check_in, undo_check_in, walk_in)
// adds one entry to ActionPayloads and one to PAYLOAD_SCHEMAS; everything else follows.
// Payloads are in the wire format apply_actions reads (snake_case), so nothing is translated.
// -------------------------------------------------------------------------------------------

const activityDay = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/));
const guestCount = z.int().check(z.minimum(0), z.maximum(10));

export const PAYLOAD_SCHEMAS: { [K in ActionKind]: z.ZodMiniType<ActionPayloads[K]> } = {
	signup: z.strictObject({
		activity_id: uuid,
		session_id: z.optional(uuid),
		guest_names: z.optional(z.array(z.string().check(z.maxLength(100))).check(z.maxLength(20))),
		answers: z.optional(z.record(z.string(), z.unknown()))
	}),
	cancel_signup: z.strictObject({
		activity_id: uuid,
		generation: z.optional(z.int().check(z.positive()))
	}),
	check_in: z
		.strictObject({
			activity_id: uuid,
			ticket: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
			registration_id: z.optional(uuid),
			day: z.optional(activityDay),
			guests: z.optional(guestCount),
			provisional: z.optional(z.boolean())
		})
		.check(
			z.refine((p) => (p.ticket === undefined) !== (p.registration_id === undefined), {
				message: 'a check-in names either a ticket or a registration'
			})
		),
	walk_in: z.strictObject({
		activity_id: uuid,
		member_id: uuid,
		day: z.optional(activityDay),
		guests: z.optional(guestCount)
	}),
	undo_check_in: z.strictObject({
		activity_id: uuid,
		target_ids: z.array(uuid).check(z.minLength(1), z.maxLength(50)),
		day: z.optional(activityDay)
	})
};

export const ActionResultSchema: z.ZodMiniType<ActionResult> = z.object({
	id: z.string(),
	status: z.enum(['applied', 'noop', 'rejected', 'retry']),
	code: z.nullish(z.string()),
	warnings: z.nullish(z.array(z.string())),
	replayed: z.nullish(z.boolean()),
	activity_version: z.nullish(z.int()),
	entity: z.optional(z.unknown())
});

export const ApplyResponseSchema: z.ZodMiniType<ApplyResponse> = z.object({
	server_time: z.string(),
	results: z.array(ActionResultSchema)
});

export function validatePayload<K extends ActionKind>(
	kind: K,
	payload: unknown
): { ok: true; payload: ActionPayloads[K] } | { ok: false; message: string } {
	const parsed = PAYLOAD_SCHEMAS[kind].safeParse(payload);
	return parsed.success
		? { ok: true, payload: parsed.data }
		: { ok: false, message: parsed.error.message };
}

// -------------------------------------------------------------------------------------------
// Upcasting rows written by an older app version
// -------------------------------------------------------------------------------------------

/** A row as read back from storage, possibly written by an older (or newer) app version. */
interface StoredRow {
	v?: unknown;
	kind?: unknown;
	payload?: unknown;
	status?: OutboxStatus;
	settledAt?: number;
}

/**
 * Version 0 was the pre-release shape: camelCase payload keys (activityId, sessionId,
 * guestNames, answers, generation). Rows are upcast when read; one that cannot be is returned
 * as `blocked` with a `schema` error and never sent, while the others still flush.
 */
export function upcastRow(stored: unknown, now: number): OutboxRow {
	const row = stored as StoredRow;
	if (row.v === ACTION_SCHEMA_VERSION && isActionKind(row.kind)) return stored as OutboxRow;
	const blocked = (message: string): OutboxRow =>
		({
			...row,
			status: row.status === 'pending' ? 'blocked' : row.status,
			lastError: { kind: 'schema', message, at: now },
			settledAt: row.settledAt ?? now
		}) as unknown as OutboxRow;
	if (!isActionKind(row.kind)) return blocked(`unknown kind ${String(row.kind)}`);
	if (row.v === 0 && typeof row.payload === 'object' && row.payload !== null) {
		const renamed: Record<string, unknown> = {};
		const names: Record<string, string> = {
			activityId: 'activity_id',
			sessionId: 'session_id',
			guestNames: 'guest_names',
			answers: 'answers',
			generation: 'generation'
		};
		for (const [key, value] of Object.entries(row.payload)) {
			const name = names[key];
			if (name === undefined) return blocked(`v0 field ${key} has no v1 equivalent`);
			if (value !== null && value !== undefined) renamed[name] = value;
		}
		const valid = validatePayload(row.kind, renamed);
		if (!valid.ok) return blocked(`v0 payload does not upcast: ${valid.message}`);
		return {
			...row,
			v: ACTION_SCHEMA_VERSION,
			payload: valid.payload,
			activityId: activityOf(row.kind, valid.payload)
		} as unknown as OutboxRow;
	}
	return blocked(`schema version ${String(row.v)} is not supported`);
}
