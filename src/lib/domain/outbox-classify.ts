// How the flusher reads the outcome of one apply_actions call (docs/decisions.md §4),
// and how long it waits before the next one. Pure: the transport reports what happened, this
// decides what it means.
import type { ApplyResponse, ErrorKind } from './outbox.ts';
import { ApplyResponseSchema } from './outbox-validation.ts';

/** What the transport saw: a response (any status, parsed or not), a network error or a timeout. */
export type TransportOutcome =
	| {
			type: 'response';
			status: number;
			/** The parsed JSON body on success (undefined when it was not JSON). */
			data: unknown;
			/** PostgREST's error object for a non-2xx answer, or a body that was not JSON. */
			error: { code?: string; message?: string } | null;
			contentType: string | null;
			retryAfter: string | null;
	  }
	| { type: 'network'; message: string }
	| { type: 'timeout' };

export type Verdict =
	| { kind: 'results'; response: ApplyResponse }
	/** Nothing was decided: keep everything pending and back off. */
	| {
			kind: 'transient';
			error: ErrorKind;
			status?: number;
			code?: string;
			/** Wait at least this long (Retry-After, or a function missing mid-deploy). */
			minDelayMs?: number;
			/** A timeout: the next call carries half the batch. */
			shrink?: boolean;
	  }
	/** The access token was refused: refresh the session once, then retry. */
	| { kind: 'auth'; status: number; code?: string }
	/** The whole call was forbidden (not an expired token): stop and show it; keep the actions. */
	| { kind: 'forbidden'; status: number; code?: string }
	/** The batch was too large or too slow for the server: halve it. */
	| { kind: 'split'; status: number; code?: string }
	/** Any other 4xx from PostgREST itself (JSON with a code): one action breaks it; bisect. */
	| { kind: 'bug'; status: number; code?: string; message?: string };

const AUTH_CODES = new Set(['PGRST301', 'PGRST302', 'PGRST303', 'PT401']);
const SPLIT_CODES = new Set(['PT413', '22023', '57014']);
/** A function missing (mid-deploy): come back in a minute, not in a second. */
const MISSING_FUNCTION_DELAY_MS = 60_000;

/** Retry-After in delta-seconds or as an HTTP date, in ms from `now`; undefined if absent/bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
	if (value === null || value.trim() === '') return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const date = Date.parse(trimmed);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - now);
}

/** PostgREST answers errors as JSON; postgrest-js leaves `code` empty for any other body. */
function isJson(contentType: string | null): boolean {
	return contentType !== null && /^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim());
}

export function classify(outcome: TransportOutcome, now: number): Verdict {
	if (outcome.type === 'network') return { kind: 'transient', error: 'network' };
	if (outcome.type === 'timeout') return { kind: 'transient', error: 'timeout', shrink: true };
	const { status, error } = outcome;
	const code = error?.code === undefined || error.code === '' ? undefined : error.code;
	const retryAfterMs = parseRetryAfter(outcome.retryAfter, now);
	const withCode = code === undefined ? {} : { code };
	const fromPostgrest = code !== undefined && isJson(outcome.contentType);

	// postgrest-js reports a fetch that never completed as status 0.
	if (status === 0) return { kind: 'transient', error: 'network' };

	if (status >= 200 && status < 300) {
		// A captive portal or a proxy answers 200 with HTML: nothing was applied that we know of.
		if (error !== null) return { kind: 'transient', error: 'bad_response', status };
		const parsed = ApplyResponseSchema.safeParse(outcome.data);
		if (!parsed.success) return { kind: 'transient', error: 'bad_response', status };
		return { kind: 'results', response: parsed.data };
	}
	if (status === 401 || (code !== undefined && AUTH_CODES.has(code))) {
		return { kind: 'auth', status, ...withCode };
	}
	if (status === 413 || (code !== undefined && SPLIT_CODES.has(code))) {
		// A proxy's 413 only halves the batch: it never blocks an action (R8).
		if (!fromPostgrest) return { kind: 'transient', error: 'http', status, shrink: true };
		return { kind: 'split', status, ...withCode };
	}
	if (status === 403) return { kind: 'forbidden', status, ...withCode };
	if (status === 404 && (code === 'PGRST202' || code === undefined || code === '42883')) {
		return {
			kind: 'transient',
			error: 'http',
			status,
			...withCode,
			minDelayMs: Math.max(MISSING_FUNCTION_DELAY_MS, retryAfterMs ?? 0)
		};
	}
	if (status === 408) {
		return { kind: 'transient', error: 'timeout', status, ...withCode, shrink: true };
	}
	if (status === 429 || status >= 500) {
		return {
			kind: 'transient',
			error: 'http',
			status,
			...withCode,
			...(retryAfterMs === undefined ? {} : { minDelayMs: retryAfterMs })
		};
	}
	if (status >= 400) {
		// Only PostgREST's own, repeatable error may block an action. A proxy, WAF or captive
		// portal answers HTML or text: not the action's fault, so retried with backoff (R8).
		if (!fromPostgrest) return { kind: 'transient', error: 'http', status, ...withCode };
		return {
			kind: 'bug',
			status,
			...withCode,
			...(error?.message === undefined ? {} : { message: error.message })
		};
	}
	// 1xx/3xx reaching here is a proxy's doing.
	return { kind: 'transient', error: 'bad_response', status };
}

export interface BackoffPolicy {
	baseMs: number;
	capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 5 * 60_000 };

/**
 * Exponential backoff with full jitter: random(0, min(cap, base · 2^failures)), and never less
 * than `minDelayMs` (Retry-After). `failures` counts from 0 for the first failure.
 */
export function backoffDelay(
	failures: number,
	random: () => number,
	policy: BackoffPolicy = DEFAULT_BACKOFF,
	minDelayMs = 0
): number {
	const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(failures, 30));
	return Math.max(minDelayMs, Math.floor(random() * ceiling));
}
