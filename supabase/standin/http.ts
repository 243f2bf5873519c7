// Small HTTP vocabulary shared by the gateway's handlers: they take a parsed request and return a
// reply, and never touch node:http themselves, so every path ends in exactly one response.
import type { IncomingHttpHeaders } from 'node:http';

export type StandInRequest = {
	method: string;
	/** Path below the service prefix, e.g. `/rpc/whoami` for `/rest/v1/rpc/whoami`. */
	path: string;
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: string;
	/** The peer's IP address: the "client" of per-client rate limits. */
	client: string;
};

export type Reply = {
	status: number;
	headers: Record<string, string>;
	body?: string;
};

export const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(
	status: number,
	value: unknown,
	headers: Record<string, string> = {}
): Reply {
	return {
		status,
		headers: { 'Content-Type': JSON_TYPE, ...headers },
		body: JSON.stringify(value)
	};
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : value;
}

/** The bearer token, or the apikey when Authorization is absent (what Supabase's gateway does). */
export function bearerToken(
	headers: IncomingHttpHeaders,
	apikey: string | undefined
): string | undefined {
	const authorization = header(headers, 'authorization');
	if (authorization) {
		const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
		return match?.[1]?.trim() ?? '';
	}
	return apikey;
}

/**
 * Deeper than PostgreSQL's json parser goes with its default stack (and deeper than
 * JSON.stringify goes): answered like PostgREST answers PostgreSQL's 54001, before anything
 * recursive touches the value. No request of the app comes near it.
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether arrays and objects nest deeper than `max`, measured without recursion. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
	const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
	for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
		if (typeof next.value !== 'object' || next.value === null) continue;
		const depth = next.depth + 1;
		if (depth > max) return true;
		for (const child of Object.values(next.value)) pending.push({ value: child, depth });
	}
	return false;
}
