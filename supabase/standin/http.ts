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
