// PostgREST's error bodies and its SQLSTATE → HTTP status mapping (docs/references/errors.rst).
import { jsonReply } from './http.ts';
import type { Reply } from './http.ts';

type ErrorExtras = {
	details?: string | null;
	hint?: string | null;
	headers?: Record<string, string>;
};

/** Every error body is `{code, details, hint, message}`. */
export function postgrestError(
	status: number,
	code: string,
	message: string,
	extras: ErrorExtras = {}
): Reply {
	return jsonReply(
		status,
		{ code, details: extras.details ?? null, hint: extras.hint ?? null, message },
		extras.headers
	);
}

export function statusForSqlState(code: string, role: string): number {
	if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
	const exact: Record<string, number> = {
		'23503': 409,
		'23505': 409,
		'25006': 405,
		'53400': 500,
		P0001: 400,
		'42883': 404,
		'42P01': 404,
		'42P17': 500
	};
	const known = exact[code];
	if (known !== undefined) return known;
	if (code === '42501') return role === 'anon' ? 401 : 403;
	const prefixes: Array<[string, number]> = [
		['08', 503],
		['09', 500],
		['0L', 403],
		['0P', 403],
		['25', 500],
		['28', 403],
		['2D', 500],
		['38', 500],
		['39', 500],
		['3B', 500],
		['40', 500],
		['53', 503],
		['54', 500],
		['55', 500],
		['57', 500],
		['58', 500],
		['F0', 500],
		['HV', 500],
		['P0', 500],
		['XX', 500]
	];
	for (const [prefix, status] of prefixes) if (code.startsWith(prefix)) return status;
	return 400;
}

type DbErrorLike = { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };

function text(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

/** Maps anything thrown while running an RPC to a reply; never leaks a stack trace. */
export function replyForDbError(
	error: unknown,
	role: string,
	log: (m: string, e?: unknown) => void
): Reply {
	const e = (typeof error === 'object' && error !== null ? error : {}) as DbErrorLike;
	const code = typeof e.code === 'string' ? e.code : '';
	if (!/^[0-9A-Z]{5}$/.test(code)) {
		log('RPC failed outside the database', error);
		if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT)$|^CONNECT_TIMEOUT$|^CONNECTION_/.test(code)) {
			return postgrestError(503, 'PGRST001', 'Database client error. Retrying the connection.');
		}
		return postgrestError(500, 'PGRSTX00', 'Internal error in the local stand-in');
	}
	if (code === 'PGRST') return customPgrstError(e);
	const status = statusForSqlState(code, role);
	const headers: Record<string, string> = {};
	if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
	if (status >= 500) log(`RPC failed with ${code}: ${text(e.message) ?? ''}`);
	return postgrestError(status, code, text(e.message) ?? '', {
		details: text(e.detail),
		hint: text(e.hint),
		headers
	});
}

/** `RAISE SQLSTATE 'PGRST' USING message = '{json}', detail = '{"status":…,"headers":{…}}'`. */
function customPgrstError(e: DbErrorLike): Reply {
	try {
		const body = JSON.parse(String(e.message)) as Record<string, unknown> | null;
		const meta = JSON.parse(String(e.detail)) as { status?: unknown; headers?: unknown };
		if (
			typeof body !== 'object' ||
			body === null ||
			typeof body.code !== 'string' ||
			typeof body.message !== 'string'
		) {
			throw new Error('code and message required');
		}
		const status = Number(meta.status);
		if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error('bad status');
		const headers: Record<string, string> = {};
		if (meta.headers !== undefined) {
			if (typeof meta.headers !== 'object' || meta.headers === null) throw new Error('bad headers');
			for (const [name, value] of Object.entries(meta.headers)) {
				if (typeof value !== 'string' || /[\r\n]/.test(value)) throw new Error('bad header');
				headers[name] = value;
			}
		}
		return postgrestError(status, body.code, body.message, {
			details: typeof body.details === 'string' ? body.details : null,
			hint: typeof body.hint === 'string' ? body.hint : null,
			headers
		});
	} catch (error) {
		return postgrestError(
			500,
			'PGRST121',
			`Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
			{
				details: error instanceof Error ? error.message : null
			}
		);
	}
}
