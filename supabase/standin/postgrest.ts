// PostgREST's RPC protocol: `GET|HEAD|POST /rest/v1/rpc/<fn>`. Only functions are exposed; the
// app reads and writes through database functions, so table endpoints deliberately answer 404.
import type { Backend, QueryParam, Statement, Tx } from './backend.ts';
import type { Catalog, RpcFunction } from './catalog.ts';
import { verifyJwt } from './keys.ts';
import {
	JSON_TYPE,
	MAX_JSON_DEPTH,
	bearerToken,
	header,
	jsonReply,
	nestsDeeperThan
} from './http.ts';
import type { Reply, StandInRequest } from './http.ts';
import { postgrestError, replyForDbError } from './postgrest-errors.ts';

export type RestContext = {
	backend: Backend;
	catalog: Catalog;
	jwtSecret: string;
	log: (message: string, error?: unknown) => void;
	/** Signatures of functions seen setting response.status or response.headers. */
	setsResponseGucs: Set<string>;
};

const EXPOSED_SCHEMA = 'public';
const ALLOWED_ROLES = new Set(['anon', 'authenticated', 'service_role']);
/** Query parameters that mean filtering or shaping, which the stand-in does not implement. */
const RESERVED_PARAMS = new Set([
	'select',
	'order',
	'limit',
	'offset',
	'columns',
	'on_conflict',
	'and',
	'or'
]);
const OBJECT_TYPE = 'application/vnd.pgrst.object+json';

/** Thrown inside a transaction to roll it back and answer with a prepared reply. */
class ReplyError extends Error {
	reply: Reply;
	constructor(reply: Reply) {
		super('reply');
		this.reply = reply;
	}
}

export async function handleRest(req: StandInRequest, ctx: RestContext): Promise<Reply> {
	if (req.path === '/' || req.path === '') {
		return jsonReply(200, {
			swagger: '2.0',
			info: { title: 'Union stand-in (PostgREST RPC subset)', version: '12' },
			paths: {}
		});
	}
	const rpc = /^\/rpc\/([^/]+)$/.exec(req.path);
	if (!rpc?.[1]) {
		const table = safeDecode(req.path.replace(/^\/+/, '').split('/')[0] ?? '');
		return postgrestError(
			404,
			'PGRST205',
			`Could not find the table 'public.${table}' in the schema cache`,
			{
				hint: 'The local stand-in exposes database functions only: use rpc().'
			}
		);
	}
	return handleRpc(req, safeDecode(rpc[1]), ctx);
}

async function handleRpc(req: StandInRequest, fnName: string, ctx: RestContext): Promise<Reply> {
	const method = req.method;
	const readMethod = method === 'GET' || method === 'HEAD';
	if (!readMethod && method !== 'POST') {
		return postgrestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
	}
	const profile = header(req.headers, readMethod ? 'accept-profile' : 'content-profile');
	if (profile && profile !== EXPOSED_SCHEMA) {
		return postgrestError(406, 'PGRST106', `Invalid schema: ${profile}`, {
			hint: `Only the following schemas are exposed: ${EXPOSED_SCHEMA}`
		});
	}
	const accept = parseAccept(header(req.headers, 'accept'));
	if (!accept.ok) {
		return postgrestError(
			406,
			'PGRST107',
			`None of these media types are available: ${accept.raw}`
		);
	}

	// Who is calling: the verified JWT's role claim, anon when absent.
	const token = bearerToken(
		req.headers,
		header(req.headers, 'apikey') ?? req.query.get('apikey') ?? undefined
	);
	let claims: Record<string, unknown> = { role: 'anon' };
	if (token) {
		const verified = await verifyJwt(token, ctx.jwtSecret);
		if (!verified.ok) {
			const code = verified.failure.kind === 'invalid' ? 'PGRST301' : 'PGRST303';
			return postgrestError(401, code, verified.failure.message, {
				headers: {
					'WWW-Authenticate': `Bearer error="invalid_token", error_description="${verified.failure.message}"`
				}
			});
		}
		claims = verified.claims;
	}
	const role = typeof claims.role === 'string' && claims.role ? claims.role : 'anon';
	if (!ALLOWED_ROLES.has(role)) {
		return postgrestError(403, '42501', `permission denied to set role "${role}"`);
	}

	// Arguments: the JSON body for POST, the query string for GET/HEAD.
	const reserved = [...req.query.keys()].filter(
		(key) => key !== 'apikey' && (RESERVED_PARAMS.has(key) || !readMethod)
	);
	if (reserved.length > 0) {
		return postgrestError(400, 'PGRST100', `Unsupported query parameter: ${reserved[0]}`, {
			hint: 'The local stand-in supports plain RPC calls only, without filters or select.'
		});
	}
	const parsed = readMethod ? argsFromQuery(req.query) : argsFromBody(req);
	if (!parsed.ok) return parsed.reply;

	const chosen = await chooseFunction(fnName, parsed.value, ctx);
	if (!chosen.ok) return chosen.reply;
	const fn = chosen.fn;

	const prefer = parsePrefer(header(req.headers, 'prefer'));
	const readOnly = readMethod || fn.volatility !== 'v';
	const roleSettings = await ctx.catalog.roleSettings(role);
	const call = buildCall(fn, parsed.value, accept.stripNulls);
	const context: RequestContext = {
		role,
		claims,
		method,
		path: `/rpc/${fnName}`,
		headers: req.headers,
		roleSettings
	};
	const shape: ShapeOptions = {
		singular: accept.singular,
		countExact: prefer.count,
		minimal: prefer.minimal,
		head: method === 'HEAD'
	};

	try {
		// Most calls: the request GUCs, the call and the response GUCs as one batch, committed by
		// the database itself (on PostgreSQL one round trip, and a row lock the call took is released
		// at once). A reply that could still be refused after the call (one object asked of a set, or
		// a function that sets response.status/headers, which must be valid) needs the decision
		// before the commit: the transaction below.
		if (!(accept.singular && fn.returnsSet) && !ctx.setsResponseGucs.has(fn.signature)) {
			const outcome = await callInBatch(ctx.backend, context, call, readOnly);
			if (outcome.ok) return shapeReply(fn, outcome.row, undefined, shape);
			// The function set response GUCs: that batch was rolled back; it runs again below.
			ctx.setsResponseGucs.add(fn.signature);
		}
		return await ctx.backend.transaction(
			async (tx) => {
				// The request GUCs, the call and the response GUCs go out together (on PostgreSQL one
				// round trip instead of three): while the call holds a row lock, nothing waits on this
				// process between the call and the response GUCs.
				const steps = await Promise.allSettled([
					setRequestContext(tx, context),
					tx.query<{ body: string | null; n: number }>(call.sql, call.params),
					readResponseGucs(tx)
				]);
				// The first failure in order is the cause; the statements after it only saw an aborted
				// transaction.
				for (const step of steps) {
					if (step.status === 'rejected') throw step.reason;
				}
				const [, rows, gucs] = steps as [
					PromiseFulfilledResult<void>,
					PromiseFulfilledResult<Array<{ body: string | null; n: number }>>,
					PromiseFulfilledResult<ResponseGucs>
				];
				return shapeReply(fn, rows.value[0], gucs.value, shape);
			},
			{ readOnly, api: true }
		);
	} catch (error) {
		if (error instanceof ReplyError) return error.reply;
		const code = (error as { code?: unknown }).code;
		if (code === '42883') await ctx.catalog.refreshIfStale().catch(() => undefined);
		return replyForDbError(error, role, ctx.log);
	}
}

function safeDecode(value: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}

type Parsed = { ok: true; value: unknown } | { ok: false; reply: Reply };

function argsFromQuery(query: URLSearchParams): Parsed {
	const args: Record<string, string> = {};
	for (const [key, value] of query) {
		if (key !== 'apikey') args[key] = value;
	}
	return { ok: true, value: args };
}

function argsFromBody(req: StandInRequest): Parsed {
	const contentType = (header(req.headers, 'content-type') ?? '').toLowerCase();
	if (contentType.startsWith('application/x-www-form-urlencoded')) {
		return { ok: true, value: Object.fromEntries(new URLSearchParams(req.body)) };
	}
	if (req.body.trim() === '') return { ok: true, value: {} };
	if (contentType !== '' && !/^application\/(json|vnd\.pgrst\.object\+json)\b/.test(contentType)) {
		// As PostgREST: no text/plain bodies, which a cross-site form could send without preflight.
		return {
			ok: false,
			reply: postgrestError(415, 'PGRST107', `Content-Type not acceptable: ${contentType}`)
		};
	}
	let value: unknown;
	try {
		value = JSON.parse(req.body) as unknown;
	} catch {
		return { ok: false, reply: postgrestError(400, 'PGRST102', 'Empty or invalid json') };
	}
	if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
		// What PostgREST answers when PostgreSQL's parser runs out of stack (54001 → 413).
		return {
			ok: false,
			reply: postgrestError(413, '54001', 'stack depth limit exceeded', {
				hint: `JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused.`
			})
		};
	}
	return { ok: true, value };
}

type Chosen = { ok: true; fn: RpcFunction } | { ok: false; reply: Reply };

/** Overloads are chosen by the set of argument names, as PostgREST does. */
async function chooseFunction(name: string, args: unknown, ctx: RestContext): Promise<Chosen> {
	let candidates = await ctx.catalog.functions(name);
	let chosen = pickOverload(candidates, args);
	if (chosen.length === 0 && (await ctx.catalog.refreshIfStale())) {
		candidates = await ctx.catalog.functions(name);
		chosen = pickOverload(candidates, args);
	}
	const keys = isPlainObject(args) ? Object.keys(args) : [];
	if (chosen.length === 1 && chosen[0]) return { ok: true, fn: chosen[0] };
	if (chosen.length > 1) {
		return {
			ok: false,
			reply: postgrestError(
				300,
				'PGRST203',
				`Could not choose the best candidate function between: ${chosen
					.map((fn) => `public.${fn.signature}`)
					.join(', ')}`,
				{
					hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved'
				}
			)
		};
	}
	const wanted = keys.length ? `(${keys.sort().join(', ')})` : ' without parameters';
	const suggestion = candidates[0];
	return {
		ok: false,
		reply: postgrestError(
			404,
			'PGRST202',
			`Could not find the function public.${name}${wanted} in the schema cache`,
			{
				details: `Searched for the function public.${name}${
					keys.length ? ` with parameters ${keys.join(', ')}` : ' without parameters'
				} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
				hint: suggestion
					? `Perhaps you meant to call the function public.${suggestion.name}(${suggestion.args
							.map((a) => a.name)
							.join(', ')})`
					: null
			}
		)
	};
}

function pickOverload(candidates: RpcFunction[], args: unknown): RpcFunction[] {
	if (isPlainObject(args)) {
		const keys = new Set(Object.keys(args));
		const named = candidates.filter(
			(fn) =>
				!fn.singleUnnamedJson &&
				[...keys].every((key) => fn.args.some((arg) => arg.name === key)) &&
				fn.args.every((arg) => arg.hasDefault || keys.has(arg.name))
		);
		if (named.length > 0) return named;
	}
	return candidates.filter((fn) => fn.singleUnnamedJson);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoteIdent(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The call, typed from the signature: arguments go through json_to_record, so JSON values convert
 * exactly as PostgREST converts them (strings through each type's input function, arrays, objects).
 */
function buildCall(
	fn: RpcFunction,
	args: unknown,
	stripNulls: boolean
): { sql: string; params: QueryParam[] } {
	const target = `${quoteIdent(EXPOSED_SCHEMA)}.${quoteIdent(fn.name)}`;
	let callExpr: string;
	let source = '';
	const params: QueryParam[] = [];
	if (fn.singleUnnamedJson) {
		const only = fn.args[0];
		callExpr = `${target}($1::text::${only?.type === 'json' ? 'json' : 'jsonb'})`;
		params.push(JSON.stringify(args));
	} else {
		const given = isPlainObject(args) ? fn.args.filter((arg) => arg.name in args) : [];
		callExpr = `${target}(${given.map((a) => `${quoteIdent(a.name)} := _a.${quoteIdent(a.name)}`).join(', ')})`;
		if (given.length > 0) {
			const columns = given.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ');
			source = `json_to_record($1::text::json) as _a(${columns})`;
			params.push(JSON.stringify(args));
		}
	}
	const strip = (json: string) => (stripNulls ? `json_strip_nulls(${json})` : json);
	let sql: string;
	if (fn.shape === 'void') {
		sql = `select ${callExpr} as body, 0 as n${source ? ` from ${source}` : ''}`;
	} else if (fn.returnsSet) {
		const rows =
			fn.shape === 'composite' ? `(select * from ${callExpr}) as _r` : `${callExpr} as _r`;
		const from = source ? `${source} cross join lateral ${rows}` : rows;
		sql = `select ${strip(`coalesce(json_agg(_r), '[]')`)}::text as body, count(*)::int as n from ${from}`;
	} else if (fn.shape === 'composite') {
		const row = `(select * from ${callExpr}) as _r`;
		const from = source ? `${source} cross join lateral ${row}` : row;
		sql = `select ${strip('to_json(_r)')}::text as body, 1 as n from ${from}`;
	} else {
		sql = `select to_json(${callExpr})::text as body, 1 as n${source ? ` from ${source}` : ''}`;
	}
	return { sql, params };
}

type RequestContext = {
	role: string;
	claims: Record<string, unknown>;
	method: string;
	path: string;
	headers: StandInRequest['headers'];
	roleSettings: Array<[string, string]>;
};

/** The per-transaction GUCs PostgREST sets, as one statement. */
function requestContextStatement(context: RequestContext): Statement {
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(context.headers)) {
		if (value !== undefined)
			headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
	}
	const cookies: Record<string, string> = {};
	for (const part of (headers.cookie ?? '').split(';')) {
		const eq = part.indexOf('=');
		if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
	}
	const settings: Array<[string, string]> = [
		['search_path', '"public", "extensions"'],
		['role', context.role],
		['request.jwt.claims', JSON.stringify(context.claims)],
		['request.method', context.method],
		['request.path', context.path],
		['request.headers', JSON.stringify(headers)],
		['request.cookies', JSON.stringify(cookies)],
		// Cleared so a value a function set for the whole session cannot leak into this request.
		['response.status', ''],
		['response.headers', ''],
		...context.roleSettings
	];
	const params: QueryParam[] = [];
	const calls = settings.map(([name, value]) => {
		params.push(name, value);
		return `set_config($${params.length - 1}::text, $${params.length}::text, true)`;
	});
	return { sql: `select ${calls.join(', ')}`, params };
}

async function setRequestContext(tx: Tx, context: RequestContext): Promise<void> {
	const statement = requestContextStatement(context);
	await tx.query(statement.sql, statement.params);
}

/** Marks the error that rolls a batch back when the call set response GUCs. */
const RESPONSE_GUCS_SET = 'standin-response-gucs-set';

type BatchOutcome =
	{ ok: true; row: { body: string | null; n: number } | undefined } | { ok: false };

/**
 * The request GUCs, the call, and a check that the call left response.status and
 * response.headers empty, as one batch. When it did not, the check fails (rolling the batch back)
 * and the outcome says so; other errors are thrown.
 */
async function callInBatch(
	backend: Backend,
	context: RequestContext,
	call: { sql: string; params: QueryParam[] },
	readOnly: boolean
): Promise<BatchOutcome> {
	try {
		const [, rows] = await backend.batch(
			[
				requestContextStatement(context),
				call,
				{
					// A cast that fails only when a response GUC is set (not a constant: it must not be
					// folded when the statement is planned).
					sql: `select (nullif(current_setting('response.status', true) || current_setting('response.headers', true), '')
						|| '${RESPONSE_GUCS_SET}')::integer as set`
				}
			],
			{ readOnly, api: true }
		);
		return { ok: true, row: (rows as Array<{ body: string | null; n: number }>)[0] };
	} catch (error) {
		const { code, message } = error as { code?: unknown; message?: unknown };
		if (code === '22P02' && typeof message === 'string' && message.includes(RESPONSE_GUCS_SET)) {
			return { ok: false };
		}
		throw error;
	}
}

type ShapeOptions = { singular: boolean; countExact: boolean; minimal: boolean; head: boolean };

type ResponseGucs = { status: string | null; headers: string | null } | undefined;

/** response.status and response.headers as the call left them (read in the same transaction). */
async function readResponseGucs(tx: Tx): Promise<ResponseGucs> {
	const [gucs] = await tx.query<{ status: string | null; headers: string | null }>(
		`select nullif(current_setting('response.status', true), '') as status,
		        nullif(current_setting('response.headers', true), '') as headers`
	);
	return gucs;
}

/** The HTTP reply; throws a ReplyError (which rolls the transaction back) for a refused shape. */
function shapeReply(
	fn: RpcFunction,
	row: { body: string | null; n: number } | undefined,
	gucs: ResponseGucs,
	options: ShapeOptions
): Reply {
	const n = row?.n ?? 0;
	let body = row?.body ?? 'null';
	let contentType = JSON_TYPE;
	if (options.singular && fn.returnsSet) {
		if (n !== 1) {
			throw new ReplyError(
				postgrestError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned', {
					details: `The result contains ${n} rows`
				})
			);
		}
		// json_agg prints a single element as exactly `[<element>]`.
		body = body.slice(1, -1);
	}
	if (options.singular) contentType = `${OBJECT_TYPE}; charset=utf-8`;

	const headers: Record<string, string> = { 'Content-Type': contentType };
	const total = options.countExact ? String(n) : '*';
	headers['Content-Range'] = n > 0 ? `0-${n - 1}/${total}` : `*/${total}`;

	let status = fn.shape === 'void' ? 204 : 200;
	if (gucs?.status) {
		const parsed = Number(gucs.status);
		if (!Number.isInteger(parsed) || parsed < 100 || parsed > 599) {
			throw new ReplyError(
				postgrestError(500, 'PGRST112', 'Invalid response.status', { details: gucs.status })
			);
		}
		status = parsed;
	}
	if (gucs?.headers) Object.assign(headers, parseResponseHeaders(gucs.headers));

	if (fn.shape === 'void' || options.minimal || options.head) {
		if (options.minimal) headers['Preference-Applied'] = 'return=minimal';
		if (fn.shape === 'void' || options.minimal) {
			delete headers['Content-Type'];
			return { status: status === 200 ? 204 : status, headers };
		}
		return { status, headers };
	}
	return { status, headers, body };
}

function parseResponseHeaders(raw: string): Record<string, string> {
	const invalid = () =>
		new ReplyError(
			postgrestError(500, 'PGRST111', 'Invalid response.headers', {
				details: 'response.headers must be a JSON array of single-key objects'
			})
		);
	let value: unknown;
	try {
		value = JSON.parse(raw);
	} catch {
		throw invalid();
	}
	if (!Array.isArray(value)) throw invalid();
	const headers: Record<string, string> = {};
	for (const item of value) {
		if (!isPlainObject(item)) throw invalid();
		for (const [name, v] of Object.entries(item)) {
			if (
				typeof v !== 'string' ||
				!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) ||
				/[\r\n]/.test(v)
			) {
				throw invalid();
			}
			headers[name] = v;
		}
	}
	return headers;
}

type Accept = { ok: true; singular: boolean; stripNulls: boolean } | { ok: false; raw: string };

function parseAccept(raw: string | undefined): Accept {
	if (!raw) return { ok: true, singular: false, stripNulls: false };
	const types = raw.split(',').map((part) => part.trim().toLowerCase());
	for (const type of types) {
		const [mediaType = '', ...params] = type.split(';').map((p) => p.trim());
		const stripNulls = params.includes('nulls=stripped');
		if (mediaType === OBJECT_TYPE) return { ok: true, singular: true, stripNulls };
		if (
			['application/vnd.pgrst.array+json', 'application/json', 'application/*', '*/*'].includes(
				mediaType
			)
		) {
			return { ok: true, singular: false, stripNulls };
		}
	}
	return { ok: false, raw };
}

function parsePrefer(raw: string | undefined): { count: boolean; minimal: boolean } {
	const prefs = (raw ?? '').split(',').map((p) => p.trim().toLowerCase());
	return {
		count: prefs.some(
			(p) => p === 'count=exact' || p === 'count=planned' || p === 'count=estimated'
		),
		minimal: prefs.includes('return=minimal')
	};
}
