// The gateway: node:http in front of PostgREST-style RPC, GoTrue-style auth and the dev mailbox,
// with the apikey check and CORS that Supabase's API gateway adds. Development and tests only.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openBackend } from './backend.ts';
import type { Backend, BackendOptions } from './backend.ts';
import { createCatalog } from './catalog.ts';
import { DEFAULT_AUTH_LIMITS, createAuthService } from './gotrue.ts';
import type { AuthLimits } from './gotrue.ts';
import { jsonReply } from './http.ts';
import type { Reply, StandInRequest } from './http.ts';
import { DEFAULT_JWT_SECRET, apiKeys } from './keys.ts';
import { handleMailbox, mailboxRefusal } from './mailbox.ts';
import { migrate } from './migrate.ts';
import type { MigrateResult } from './migrate.ts';
import { handleRest } from './postgrest.ts';

export type StandInOptions = {
	backend: BackendOptions;
	/** Loopback only: the stand-in has development keys and must never face a network. */
	host?: '127.0.0.1' | 'localhost' | '::1';
	/** 54321 by default, like `supabase start`; 0 picks any free port. */
	port?: number;
	migrationsDir?: string;
	/** Run once, when no migration had been recorded before; null disables it. */
	seedFile?: string | null;
	jwtSecret?: string;
	accessTokenTtlSeconds?: number;
	otpTtlSeconds?: number;
	/** Minimum seconds between two OTP mails to one address (GoTrue's 60 by default); 0 disables it. */
	otpRateLimitSeconds?: number;
	/** Per-client and per-address auth limits (see DEFAULT_AUTH_LIMITS); 0 disables one. */
	authLimits?: Partial<AuthLimits>;
	/** How long a rotated refresh token may still be presented (GoTrue's 10 s by default). */
	refreshTokenReuseIntervalSeconds?: number;
	maxBodyBytes?: number;
	/** One line per request on stdout. Errors are always logged on stderr. */
	log?: boolean;
};

export type StandIn = {
	url: string;
	anonKey: string;
	serviceRoleKey: string;
	mailboxUrl: string;
	backend: Backend;
	migrations: MigrateResult;
	/** Re-reads the function catalogue, like PostgREST's `NOTIFY pgrst, 'reload schema'`. */
	reloadSchema(): Promise<void>;
	stop(): Promise<void>;
};

const SUPABASE_DIR = join(import.meta.dirname, '..');
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const CORS_ALLOW_HEADERS = [
	'authorization',
	'apikey',
	'content-type',
	'x-client-info',
	'x-supabase-api-version',
	'prefer',
	'accept',
	'accept-profile',
	'content-profile',
	'x-retry-count',
	'range'
];
const CORS_HEADERS: Record<string, string> = {
	'Access-Control-Allow-Origin': '*',
	'Access-Control-Expose-Headers':
		'Content-Range, Content-Location, Preference-Applied, X-Supabase-Api-Version, Range-Unit, Retry-After'
};

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
	const host = options.host ?? '127.0.0.1';
	if (!LOOPBACK_HOSTS.has(host)) {
		throw new Error(`The stand-in binds to loopback only; refusing host "${host}"`);
	}
	const verbose = options.log ?? false;
	const logError = (message: string, error?: unknown) => {
		console.error(
			`[standin] ${message}`,
			error instanceof Error ? (error.stack ?? error.message) : (error ?? '')
		);
	};
	const logInfo = (message: string) => {
		if (verbose) console.log(`[standin] ${message}`);
	};
	const jwtSecret = options.jwtSecret ?? DEFAULT_JWT_SECRET;
	if (jwtSecret.length < 32) throw new Error('The JWT secret must have at least 32 characters');
	const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
	const { anonKey, serviceRoleKey } = await apiKeys(jwtSecret);
	const validKeys = new Set([anonKey, serviceRoleKey]);

	const backend = await openBackend(options.backend);
	const catalog = createCatalog(backend);
	let migrations: MigrateResult;
	try {
		migrations = await migrate(backend, {
			migrationsDir: options.migrationsDir ?? join(SUPABASE_DIR, 'migrations'),
			seedFile:
				options.seedFile === null
					? undefined
					: (options.seedFile ?? join(SUPABASE_DIR, 'seed.sql')),
			jwtSecret,
			log: logInfo
		});
		await catalog.refresh();
		// `supabase db push` against the same server ends with this notification, as PostgREST expects.
		await backend.listen('pgrst', (payload) => {
			if (payload === '' || payload === 'reload schema') {
				catalog.refresh().catch((error: unknown) => logError('schema reload failed', error));
			}
		});
	} catch (error) {
		await backend.close().catch(() => undefined);
		throw error;
	}

	const authContext = {
		backend,
		jwtSecret,
		publicUrl: '',
		accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
		otpTtlSeconds: options.otpTtlSeconds ?? 3600,
		otpRateLimitSeconds: options.otpRateLimitSeconds ?? 60,
		limits: { ...DEFAULT_AUTH_LIMITS, ...options.authLimits },
		refreshTokenReuseIntervalSeconds: options.refreshTokenReuseIntervalSeconds ?? 10,
		log: logError
	};
	const auth = createAuthService(authContext);
	const restContext = {
		backend,
		catalog,
		jwtSecret,
		log: logError,
		setsResponseGucs: new Set<string>()
	};

	const dispatch = async (
		req: IncomingMessage,
		pathname: string,
		request: StandInRequest
	): Promise<Reply> => {
		const mailbox = /^\/mailbox(\/.*)?$/.exec(pathname);
		if (mailbox) {
			return (
				mailboxRefusal(request) ?? handleMailbox({ ...request, path: mailbox[1] ?? '' }, backend)
			);
		}
		if (request.method === 'OPTIONS') {
			return {
				status: 204,
				headers: {
					'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
					'Access-Control-Allow-Headers': allowedHeaders(
						req.headers['access-control-request-headers']
					),
					'Access-Control-Max-Age': '3600'
				}
			};
		}
		const service = /^\/(rest|auth)\/v1(\/.*)?$/.exec(pathname);
		if (service) {
			const keyProblem = checkApiKey(request, validKeys);
			if (keyProblem) return keyProblem;
			const scoped = { ...request, path: service[2] ?? '/' };
			return service[1] === 'rest' ? handleRest(scoped, restContext) : auth.handle(scoped);
		}
		if (pathname === '/') {
			return jsonReply(200, {
				name: 'union-standin',
				rest: '/rest/v1/rpc/<function>',
				auth: '/auth/v1',
				mailbox: '/mailbox'
			});
		}
		return jsonReply(404, { message: 'no Route matched with those values' });
	};

	const server = createServer((req, res) => {
		const started = Date.now();
		handleRequest(req, res, dispatch, maxBodyBytes, logError).then(
			(status) => logInfo(`${req.method} ${req.url} ${status} ${Date.now() - started}ms`),
			(error: unknown) => logError(`${req.method} ${req.url} crashed`, error)
		);
	});
	server.requestTimeout = 60_000;
	server.headersTimeout = 30_000;

	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(options.port ?? 54321, host, () => {
				server.off('error', reject);
				resolve();
			});
		});
	} catch (error) {
		await backend.close().catch(() => undefined);
		throw error;
	}
	const port = (server.address() as AddressInfo).port;
	const url = `http://${host === '::1' ? '[::1]' : host}:${port}`;
	authContext.publicUrl = url;

	let stopping: Promise<void> | undefined;
	return {
		url,
		anonKey,
		serviceRoleKey,
		mailboxUrl: `${url}/mailbox`,
		backend,
		migrations,
		reloadSchema: () => catalog.refresh(),
		stop() {
			stopping ??= (async () => {
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeIdleConnections();
					setTimeout(() => server.closeAllConnections(), 2000).unref();
				});
				await backend.close();
			})();
			return stopping;
		}
	};
}

function allowedHeaders(requested: string | undefined): string {
	const extra = (requested ?? '')
		.split(',')
		.map((h) => h.trim().toLowerCase())
		.filter((h) => /^[a-z0-9-]+$/.test(h) && !CORS_ALLOW_HEADERS.includes(h));
	return [...CORS_ALLOW_HEADERS, ...extra].join(', ');
}

/** Supabase's gateway (Kong key-auth): an `apikey` header or query parameter naming a known key. */
function checkApiKey(request: StandInRequest, validKeys: Set<string>): Reply | undefined {
	const raw = request.headers.apikey;
	const key = (Array.isArray(raw) ? raw[0] : raw) ?? request.query.get('apikey') ?? undefined;
	if (!key) {
		return jsonReply(401, {
			message: 'No API key found in request',
			hint: 'No `apikey` request header or url param was found.'
		});
	}
	if (!validKeys.has(key)) {
		return jsonReply(401, {
			message: 'Invalid API key',
			hint: 'Double check your Supabase `anon` or `service_role` API key.'
		});
	}
	return undefined;
}

type Dispatch = (req: IncomingMessage, pathname: string, request: StandInRequest) => Promise<Reply>;

/** Reads the body within the size limit, dispatches, and always answers exactly once. */
async function handleRequest(
	req: IncomingMessage,
	res: ServerResponse,
	dispatch: Dispatch,
	maxBodyBytes: number,
	logError: (message: string, error?: unknown) => void
): Promise<number> {
	let reply: Reply;
	// The mailbox is for the stand-in's own pages: no CORS headers at all (see mailboxRefusal).
	const corsHeaders = /^\/mailbox(?:[/?#]|$)/.test(req.url ?? '') ? {} : CORS_HEADERS;
	try {
		const url = new URL(req.url ?? '/', 'http://standin.local');
		const body = await readBody(req, maxBodyBytes);
		if (body === undefined) {
			reply = jsonReply(413, {
				code: 'PGRST413',
				details: null,
				hint: null,
				message: `Request body larger than ${maxBodyBytes} bytes`
			});
			keepDrainingAWhile(req);
		} else {
			reply = await dispatch(req, url.pathname, {
				method: (req.method ?? 'GET').toUpperCase(),
				path: url.pathname,
				query: url.searchParams,
				headers: req.headers,
				body,
				client: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
			});
		}
	} catch (error) {
		logError(`${req.method} ${req.url} failed`, error);
		reply = jsonReply(500, {
			code: 'PGRSTX00',
			details: null,
			hint: null,
			message: 'Internal error in the local stand-in'
		});
	}
	try {
		const headers = { ...corsHeaders, ...reply.headers };
		const payload =
			reply.body !== undefined && req.method !== 'HEAD' && reply.status !== 204
				? reply.body
				: undefined;
		if (reply.body !== undefined && reply.status !== 204) {
			headers['Content-Length'] = String(Buffer.byteLength(reply.body));
		}
		res.writeHead(reply.status, headers);
		res.end(payload);
	} catch (error) {
		// Invalid header values set by a database function end up here.
		logError('could not write the reply', error);
		if (!res.headersSent) {
			res.writeHead(500, { ...corsHeaders, 'Content-Type': 'application/json; charset=utf-8' });
			res.end(
				JSON.stringify({
					code: 'PGRSTX00',
					details: null,
					hint: null,
					message: 'Invalid response headers'
				})
			);
		} else {
			res.destroy();
		}
		return 500;
	}
	return reply.status;
}

/**
 * The body as text, or undefined as soon as it exceeds the limit, declared or not (chunked): the
 * answer need not wait for the rest, which is read and dropped.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
	return new Promise((resolve, reject) => {
		const declared = Number(req.headers['content-length'] ?? 0);
		if (declared > limit) {
			req.resume();
			resolve(undefined);
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		const collect = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				req.off('data', collect);
				chunks.length = 0;
				req.resume();
				resolve(undefined);
				return;
			}
			chunks.push(chunk);
		};
		req.on('data', collect);
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

/** Seconds a refused body may go on arriving before its connection is cut. */
const DRAIN_SECONDS = 5;

/**
 * After a 413 the client may still be sending. Closing now would make the kernel answer its data
 * with a reset, which can destroy the 413 before the client reads it; so the connection stays
 * open (keep-alive) while the rest is dropped, and is cut only if it goes on for too long.
 */
function keepDrainingAWhile(req: IncomingMessage): void {
	if (req.complete) return;
	const timer = setTimeout(() => req.socket.destroy(), DRAIN_SECONDS * 1000);
	timer.unref();
	req.once('end', () => clearTimeout(timer));
	req.once('close', () => clearTimeout(timer));
}
