// The part of GoTrue (Supabase Auth) the app uses, as configured with "Confirm email" on: password
// sign-up confirmed by a mailed code, password sign-in, email OTP with a development mailbox,
// refresh-token rotation with a reuse interval, the user endpoint, logout, and rate limits.
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Backend, Tx } from './backend.ts';
import { signJwt, verifyJwt } from './keys.ts';
import type { Claims } from './keys.ts';
import { MAX_JSON_DEPTH, bearerToken, header, jsonReply, nestsDeeperThan } from './http.ts';
import type { Reply, StandInRequest } from './http.ts';
import { composeOtpMail } from './mailbox.ts';
import { WindowCounter, takeAll } from './rate-limit.ts';
import type { Taken } from './rate-limit.ts';

/**
 * The limits GoTrue applies per IP address ([auth.rate_limit]) and per address, as the stand-in
 * keeps them; 0 disables one. A "client" is the peer's IP address (on loopback: the machine).
 */
export type AuthLimits = {
	/** OTP checks per (address, client) in 5 minutes, the right code included. */
	verifyChecksPerAddressAndClient: number;
	/** Wrong OTP codes per address in 5 minutes, from all clients together. */
	verifyFailuresPerAddress: number;
	/** Wrong OTP codes per client in 5 minutes, over all addresses. */
	verifyFailuresPerClient: number;
	/** Code mails (OTP and sign-up confirmations) one client may cause per hour. */
	mailsPerClientPerHour: number;
	/** Addresses one client may create an account for (OTP or sign-up) per hour. */
	newAddressesPerClientPerHour: number;
};

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
	verifyChecksPerAddressAndClient: 30,
	verifyFailuresPerAddress: 100,
	verifyFailuresPerClient: 100,
	mailsPerClientPerHour: 100,
	newAddressesPerClientPerHour: 30
};

export type AuthContext = {
	backend: Backend;
	jwtSecret: string;
	/** The stand-in's base URL; tokens carry `<url>/auth/v1` as their issuer. */
	publicUrl: string;
	accessTokenTtlSeconds: number;
	otpTtlSeconds: number;
	/** Minimum seconds between two OTP mails to one address (0 disables the limit). */
	otpRateLimitSeconds: number;
	limits: AuthLimits;
	/** Seconds during which a just-rotated refresh token still answers with the current session. */
	refreshTokenReuseIntervalSeconds: number;
	log: (message: string, error?: unknown) => void;
};

const API_VERSION = '2024-01-01';
const MIN_PASSWORD_LENGTH = 6;
const BCRYPT_COST = 10;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const VERIFY_WINDOW_MS = 5 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const INSTANCE_ID = '00000000-0000-0000-0000-000000000000';

type Json = Record<string, unknown>;

/** An error reply chosen inside a transaction; `commit` keeps what the transaction did. */
class AuthFailure extends Error {
	status: number;
	code: string;
	extra: Json;
	retryAfterSeconds: number | undefined;
	constructor(status: number, code: string, message: string, extra: Json = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.extra = extra;
	}
}

/** A 429 naming when to try again, from a full counter. */
function tooMany(code: string, message: string, full: Taken): AuthFailure {
	const failure = new AuthFailure(429, code, message);
	if (!full.ok) failure.retryAfterSeconds = full.retryAfterSeconds;
	return failure;
}

/** The in-memory counters behind AuthLimits (the stand-in is one process). */
type Counters = {
	/** One mail per address per otpRateLimitSeconds. */
	mailPerAddress: WindowCounter;
	mailsPerClient: WindowCounter;
	newAddressesPerClient: WindowCounter;
	verifyPerAddressAndClient: WindowCounter;
	verifyFailuresPerAddress: WindowCounter;
	verifyFailuresPerClient: WindowCounter;
};

function createCounters(ctx: AuthContext): Counters {
	const { limits } = ctx;
	return {
		mailPerAddress: new WindowCounter(
			ctx.otpRateLimitSeconds > 0 ? 1 : 0,
			ctx.otpRateLimitSeconds * 1000
		),
		mailsPerClient: new WindowCounter(limits.mailsPerClientPerHour, HOUR_MS),
		newAddressesPerClient: new WindowCounter(limits.newAddressesPerClientPerHour, HOUR_MS),
		verifyPerAddressAndClient: new WindowCounter(
			limits.verifyChecksPerAddressAndClient,
			VERIFY_WINDOW_MS
		),
		verifyFailuresPerAddress: new WindowCounter(limits.verifyFailuresPerAddress, VERIFY_WINDOW_MS),
		verifyFailuresPerClient: new WindowCounter(limits.verifyFailuresPerClient, VERIFY_WINDOW_MS)
	};
}

export type AuthService = {
	handle(req: StandInRequest): Promise<Reply>;
};

export function createAuthService(ctx: AuthContext): AuthService {
	const counters = createCounters(ctx);

	const routes: Record<string, (req: StandInRequest) => Promise<Reply>> = {
		'POST /signup': (req) => signup(ctx, req, counters),
		'POST /token': (req) => token(ctx, req),
		'POST /otp': (req) => otp(ctx, req, counters),
		'POST /verify': (req) => verify(ctx, req, counters),
		'GET /user': (req) => getUser(ctx, req),
		'PUT /user': (req) => updateUser(ctx, req),
		'POST /logout': (req) => logout(ctx, req),
		'GET /settings': async () => jsonReply(200, settings()),
		'GET /health': async () =>
			jsonReply(200, { version: 'standin', name: 'GoTrue', description: 'Union stand-in auth' })
	};

	return {
		async handle(req) {
			const versioned = header(req.headers, 'x-supabase-api-version') !== undefined;
			const route = routes[`${req.method} ${req.path.replace(/\/+$/, '')}`];
			let reply: Reply;
			try {
				reply = route
					? await route(req)
					: authError(req, 404, 'not_found', 'Unsupported by the local stand-in: ' + req.path);
			} catch (error) {
				if (error instanceof AuthFailure) {
					reply = authError(req, error.status, error.code, error.message, error.extra);
					if (error.retryAfterSeconds !== undefined) {
						reply.headers['Retry-After'] = String(error.retryAfterSeconds);
					}
				} else {
					ctx.log(`auth ${req.method} ${req.path} failed`, error);
					reply = authError(req, 500, 'unexpected_failure', 'Database error handling the request');
				}
			}
			if (versioned) reply.headers['X-Supabase-Api-Version'] = API_VERSION;
			return reply;
		}
	};
}

/** GoTrue's two error shapes: with the API version header `{code, message}`, else the legacy one. */
function authError(
	req: StandInRequest,
	status: number,
	code: string,
	message: string,
	extra: Json = {}
): Reply {
	const versioned = header(req.headers, 'x-supabase-api-version') !== undefined;
	const body = versioned
		? { code, message, ...extra }
		: { code: status, error_code: code, msg: message, ...extra };
	return jsonReply(status, body);
}

function settings(): Json {
	return {
		external: {
			anonymous_users: false,
			email: true,
			phone: false,
			apple: false,
			azure: false,
			github: false,
			google: false
		},
		disable_signup: false,
		mailer_autoconfirm: false,
		phone_autoconfirm: false,
		sms_provider: '',
		saml_enabled: false
	};
}

function readBody(req: StandInRequest): Json {
	if (req.body.trim() === '') return {};
	let value: unknown;
	try {
		value = JSON.parse(req.body);
	} catch {
		throw new AuthFailure(400, 'bad_json', 'Could not parse request body as JSON');
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new AuthFailure(400, 'bad_json', 'The request body must be a JSON object');
	}
	if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
		throw new AuthFailure(400, 'bad_json', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
	}
	return value as Json;
}

function normaliseEmail(value: unknown): string {
	if (typeof value !== 'string' || value.trim() === '') {
		throw new AuthFailure(400, 'validation_failed', 'An email address is required');
	}
	const email = value.trim().toLowerCase();
	if (email.length > 255 || !EMAIL_PATTERN.test(email)) {
		throw new AuthFailure(
			400,
			'validation_failed',
			'Unable to validate email address: invalid format'
		);
	}
	return email;
}

function checkPassword(value: unknown): string {
	if (typeof value !== 'string' || value.length < MIN_PASSWORD_LENGTH) {
		throw new AuthFailure(
			422,
			'weak_password',
			`Password should be at least ${MIN_PASSWORD_LENGTH} characters.`,
			{
				weak_password: { reasons: ['length'] }
			}
		);
	}
	if (value.length > 72) {
		throw new AuthFailure(422, 'weak_password', 'Password cannot be longer than 72 characters', {
			weak_password: { reasons: ['length'] }
		});
	}
	return value;
}

function metadata(value: unknown): Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Json)
		: {};
}

/** Runs in UTC so timestamps in user objects read the same on every back end. */
function authTransaction<T>(ctx: AuthContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
	return ctx.backend.transaction(async (tx) => {
		await tx.query(`select set_config('timezone', 'UTC', true)`);
		return fn(tx);
	});
}

const USER_JSON = `
select json_build_object(
	'id', u.id,
	'aud', coalesce(u.aud, ''),
	'role', coalesce(u.role, ''),
	'email', coalesce(u.email, ''),
	'email_confirmed_at', u.email_confirmed_at,
	'phone', coalesce(u.phone, ''),
	'confirmation_sent_at', u.confirmation_sent_at,
	'confirmed_at', u.confirmed_at,
	'recovery_sent_at', u.recovery_sent_at,
	'last_sign_in_at', u.last_sign_in_at,
	'app_metadata', coalesce(u.raw_app_meta_data, '{}'::jsonb),
	'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb),
	'identities', coalesce((
		select json_agg(json_build_object(
			'identity_id', i.id,
			'id', i.provider_id,
			'user_id', i.user_id,
			'identity_data', i.identity_data,
			'provider', i.provider,
			'last_sign_in_at', i.last_sign_in_at,
			'created_at', i.created_at,
			'updated_at', i.updated_at,
			'email', i.email
		) order by i.created_at)
		from auth.identities i where i.user_id = u.id
	), '[]'::json),
	'created_at', u.created_at,
	'updated_at', u.updated_at,
	'is_anonymous', u.is_anonymous
)::text as user_json,
u.banned_until > now() as banned
from auth.users u where u.id = $1::uuid and u.deleted_at is null`;

type UserJson = Json & {
	id: string;
	email: string;
	phone: string;
	role: string;
	app_metadata: Json;
	user_metadata: Json;
	is_anonymous: boolean;
};

async function loadUser(
	tx: Tx,
	userId: string
): Promise<{ user: UserJson; banned: boolean } | undefined> {
	const [row] = await tx.query<{ user_json: string; banned: boolean | null }>(USER_JSON, [userId]);
	return row
		? { user: JSON.parse(row.user_json) as UserJson, banned: row.banned === true }
		: undefined;
}

async function findUserId(tx: Tx, email: string): Promise<string | undefined> {
	const [row] = await tx.query<{ id: string }>(
		`select id::text from auth.users where lower(email) = $1::text and deleted_at is null
		 order by created_at limit 1 for update`,
		[email]
	);
	return row?.id;
}

async function createUser(
	tx: Tx,
	input: { email: string; password?: string; data: Json; confirmed: boolean }
): Promise<string> {
	const [row] = await tx.query<{ id: string }>(
		`insert into auth.users (
			instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
			confirmation_token, recovery_token, email_change_token_new, email_change,
			raw_app_meta_data, raw_user_meta_data, created_at, updated_at
		) values (
			$1::uuid, gen_random_uuid(), 'authenticated', 'authenticated', $2::text,
			case when $3::text is null then '' else extensions.crypt($3::text, extensions.gen_salt('bf', ${BCRYPT_COST})) end,
			case when $4::boolean then now() end,
			'', '', '', '',
			'{"provider":"email","providers":["email"]}'::jsonb, $5::text::jsonb, now(), now()
		) returning id::text`,
		[
			INSTANCE_ID,
			input.email,
			input.password ?? null,
			String(input.confirmed),
			JSON.stringify(input.data)
		]
	);
	if (!row) throw new Error('insert into auth.users returned nothing');
	await tx.query(
		`insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
		 values ($1::text, $1::uuid, jsonb_build_object('sub', $1::text, 'email', $2::text,
		   'email_verified', $3::boolean, 'phone_verified', false), 'email', now(), now(), now())`,
		[row.id, input.email, String(input.confirmed)]
	);
	return row.id;
}

type SessionBody = {
	access_token: string;
	token_type: 'bearer';
	expires_in: number;
	expires_at: number;
	refresh_token: string;
	user: UserJson;
};

function newRefreshToken(): string {
	return randomBytes(24).toString('base64url');
}

/** Opens a session (GoTrue's sessions + refresh_tokens rows) and signs its first access token. */
async function openSession(
	ctx: AuthContext,
	tx: Tx,
	userId: string,
	method: 'password' | 'otp'
): Promise<SessionBody> {
	const [session] = await tx.query<{ id: string }>(
		`insert into auth.sessions (id, user_id, created_at, updated_at, aal)
		 values (gen_random_uuid(), $1::uuid, now(), now(), 'aal1') returning id::text`,
		[userId]
	);
	if (!session) throw new Error('insert into auth.sessions returned nothing');
	await tx.query(
		`insert into auth.standin_session_amr (session_id, method) values ($1::uuid, $2::text)`,
		[session.id, method]
	);
	const refreshToken = newRefreshToken();
	await tx.query(
		`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
		 values ($1::uuid, $2::text, $3::text, false, now(), now(), $4::uuid)`,
		[INSTANCE_ID, refreshToken, userId, session.id]
	);
	await tx.query(`update auth.users set last_sign_in_at = now() where id = $1::uuid;`, [userId]);
	await tx.query(
		`update auth.identities set last_sign_in_at = now() where user_id = $1::uuid and provider = 'email'`,
		[userId]
	);
	return sessionBody(ctx, tx, userId, session.id, refreshToken);
}

async function sessionBody(
	ctx: AuthContext,
	tx: Tx,
	userId: string,
	sessionId: string,
	refreshToken: string
): Promise<SessionBody> {
	const loaded = await loadUser(tx, userId);
	if (!loaded)
		throw new AuthFailure(403, 'user_not_found', 'User from sub claim in JWT does not exist');
	if (loaded.banned) throw new AuthFailure(400, 'user_banned', 'User is banned');
	const user = loaded.user;
	const [amr] = await tx.query<{ method: string; at: string }>(
		`select method, extract(epoch from created_at)::bigint::text as at
		 from auth.standin_session_amr where session_id = $1::uuid`,
		[sessionId]
	);
	const now = Math.floor(Date.now() / 1000);
	const exp = now + ctx.accessTokenTtlSeconds;
	const claims: Claims = {
		iss: `${ctx.publicUrl}/auth/v1`,
		sub: user.id,
		aud: 'authenticated',
		exp,
		iat: now,
		email: user.email,
		phone: user.phone,
		app_metadata: user.app_metadata,
		user_metadata: user.user_metadata,
		role: user.role || 'authenticated',
		aal: 'aal1',
		amr: [{ method: amr?.method ?? 'password', timestamp: Number(amr?.at ?? now) }],
		session_id: sessionId,
		is_anonymous: user.is_anonymous
	};
	return {
		access_token: await signJwt(claims, ctx.jwtSecret),
		token_type: 'bearer',
		expires_in: ctx.accessTokenTtlSeconds,
		expires_at: exp,
		refresh_token: refreshToken,
		user
	};
}

// --- /signup ----------------------------------------------------------------------------------

/**
 * With "Confirm email" on: no session. A new address gets an unconfirmed account and a mailed
 * code (verify type 'signup'); an unconfirmed one gets a new code and is otherwise left alone (its
 * owner is unproven); a confirmed one gets a made-up user, as GoTrue answers, so nobody learns
 * which addresses have accounts.
 */
async function signup(ctx: AuthContext, req: StandInRequest, counters: Counters): Promise<Reply> {
	const body = readBody(req);
	if (body.phone !== undefined && body.email === undefined) {
		throw new AuthFailure(400, 'phone_provider_disabled', 'Phone signups are disabled');
	}
	const email = normaliseEmail(body.email);
	const password = checkPassword(body.password);
	const data = metadata(body.data);
	const user = await withSendLimits(counters, email, req.client, (limits) =>
		authTransaction(ctx, async (tx) => {
			const existing = await findUserId(tx, email);
			if (existing === undefined) {
				limits.mail();
				limits.newAddress();
				const userId = await createUser(tx, { email, password, data, confirmed: false });
				await mailCode(ctx, tx, userId, email, { keepsPassword: true });
				return (await loadUser(tx, userId))?.user;
			}
			if (await isConfirmed(tx, existing)) return madeUpUser(email, data);
			// The password on this account was set by whoever signed up first: the new code does not
			// vouch for it, so confirming with it clears that password (see verify).
			limits.mail();
			await mailCode(ctx, tx, existing, email, { keepsPassword: false });
			return (await loadUser(tx, existing))?.user;
		})
	);
	return jsonReply(200, user);
}

async function isConfirmed(tx: Tx, userId: string): Promise<boolean> {
	const [row] = await tx.query<{ confirmed: boolean }>(
		`select email_confirmed_at is not null as confirmed from auth.users where id = $1::uuid`,
		[userId]
	);
	return row?.confirmed === true;
}

/** GoTrue's answer to a sign-up for a confirmed address: a user that does not exist. */
function madeUpUser(email: string, data: Json): Json {
	const now = new Date().toISOString();
	return {
		id: randomUUID(),
		aud: 'authenticated',
		role: 'authenticated',
		email,
		phone: '',
		confirmation_sent_at: now,
		app_metadata: { provider: 'email', providers: ['email'] },
		user_metadata: data,
		identities: [],
		created_at: now,
		updated_at: now,
		is_anonymous: false
	};
}

type SendLimits = {
	/** Takes this address's mail interval and the client's hourly mails (before mailing). */
	mail(): void;
	/** Takes one of the client's hourly new addresses (before creating an account). */
	newAddress(): void;
};

/**
 * Runs `send` under the send limits. Each take checks and counts in one synchronous step, so
 * requests running at once are all counted; whatever `send` took is given back if it fails.
 */
async function withSendLimits<T>(
	counters: Counters,
	email: string,
	client: string,
	send: (limits: SendLimits) => Promise<T>
): Promise<T> {
	const taken: Array<[WindowCounter, string]> = [];
	const limits: SendLimits = {
		mail() {
			const perAddress = counters.mailPerAddress.take(email);
			if (!perAddress.ok) {
				throw tooMany(
					'over_email_send_rate_limit',
					`For security purposes, you can only request this after ${perAddress.retryAfterSeconds} seconds.`,
					perAddress
				);
			}
			taken.push([counters.mailPerAddress, email]);
			const perClient = counters.mailsPerClient.take(client);
			if (!perClient.ok) {
				throw tooMany('over_email_send_rate_limit', 'Email rate limit exceeded', perClient);
			}
			taken.push([counters.mailsPerClient, client]);
		},
		newAddress() {
			const perClient = counters.newAddressesPerClient.take(client);
			if (!perClient.ok) {
				throw tooMany('over_request_rate_limit', 'Request rate limit reached', perClient);
			}
			taken.push([counters.newAddressesPerClient, client]);
		}
	};
	try {
		return await send(limits);
	} catch (error) {
		for (const [counter, key] of taken) counter.release(key);
		throw error;
	}
}

/**
 * Mails a fresh code for `userId`: 'signup' while the address is unconfirmed, 'magiclink' after.
 * `keepsPassword`: confirming the address with this code keeps the account's password (only the
 * code mailed by the sign-up that set it).
 */
async function mailCode(
	ctx: AuthContext,
	tx: Tx,
	userId: string,
	email: string,
	options: { keepsPassword: boolean }
): Promise<void> {
	const kind = (await isConfirmed(tx, userId)) ? 'magiclink' : 'signup';
	const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
	// One live code per kind, as GoTrue keeps one token per type.
	await tx.query(
		`update auth.standin_otp_codes set used_at = now()
		 where user_id = $1::uuid and kind = $2::text and used_at is null`,
		[userId, kind]
	);
	await tx.query(
		`insert into auth.standin_otp_codes (user_id, email, kind, code_hash, expires_at, keeps_password)
		 values ($1::uuid, $2::text, $3::text, $4::text, now() + make_interval(secs => $5::int), $6::boolean)`,
		[
			userId,
			email,
			kind,
			codeHash(email, code),
			String(ctx.otpTtlSeconds),
			String(options.keepsPassword)
		]
	);
	await tx.query(
		kind === 'signup'
			? `update auth.users set confirmation_sent_at = now() where id = $1::uuid`
			: `update auth.users set recovery_sent_at = now() where id = $1::uuid`,
		[userId]
	);
	const mail = composeOtpMail({ code, kind, validMinutes: Math.round(ctx.otpTtlSeconds / 60) });
	await tx.query(
		`insert into auth.standin_mailbox (to_email, subject, body, code) values ($1::text, $2::text, $3::text, $4::text)`,
		[email, mail.subject, mail.body, code]
	);
}

// --- /token -----------------------------------------------------------------------------------

async function token(ctx: AuthContext, req: StandInRequest): Promise<Reply> {
	const grant = req.query.get('grant_type');
	const body = readBody(req);
	if (grant === 'password') return jsonReply(200, await passwordGrant(ctx, body));
	if (grant === 'refresh_token') return refreshGrant(ctx, req, body);
	throw new AuthFailure(400, 'validation_failed', 'unsupported_grant_type');
}

async function passwordGrant(ctx: AuthContext, body: Json): Promise<SessionBody> {
	if (typeof body.email !== 'string' || typeof body.password !== 'string') {
		throw new AuthFailure(400, 'invalid_credentials', 'missing email or phone');
	}
	const email = body.email.trim().toLowerCase();
	const password = body.password;
	return authTransaction(ctx, async (tx) => {
		const [row] = await tx.query<{ id: string; confirmed: boolean }>(
			`select id::text, email_confirmed_at is not null as confirmed from auth.users
			 where lower(email) = $1::text and deleted_at is null
			   and case when coalesce(encrypted_password, '') like '$2%'
			            then encrypted_password = extensions.crypt($2::text, encrypted_password)
			            else false end
			 limit 1`,
			[email, password]
		);
		if (!row) throw new AuthFailure(400, 'invalid_credentials', 'Invalid login credentials');
		if (!row.confirmed) throw new AuthFailure(400, 'email_not_confirmed', 'Email not confirmed');
		return openSession(ctx, tx, row.id, 'password');
	});
}

type RefreshOutcome = { ok: true; session: SessionBody } | { ok: false; failure: AuthFailure };

/**
 * Rotation: the old token is revoked, a child is issued. A revoked token presented again within
 * the reuse interval of its rotation (an answer lost on the way, two tabs refreshing at once) gets
 * the session's current token back, as GoTrue's REFRESH_TOKEN_REUSE_INTERVAL allows; later, it is
 * taken for a stolen one and ends the session.
 */
async function refreshGrant(ctx: AuthContext, req: StandInRequest, body: Json): Promise<Reply> {
	const presented = body.refresh_token;
	if (typeof presented !== 'string' || presented === '') {
		throw new AuthFailure(400, 'validation_failed', 'Refresh Token is required');
	}
	// A detected reuse must commit the revocation, so it is returned rather than thrown.
	const outcome = await authTransaction<RefreshOutcome>(ctx, async (tx) => {
		const [row] = await tx.query<{
			user_id: string;
			session_id: string | null;
			revoked: boolean;
			reusable: boolean;
		}>(
			`select user_id, session_id::text, coalesce(revoked, false) as revoked,
			        coalesce(updated_at > now() - make_interval(secs => $2::int), false) as reusable
			 from auth.refresh_tokens where token = $1::text for update`,
			[presented, String(ctx.refreshTokenReuseIntervalSeconds)]
		);
		if (!row) {
			return {
				ok: false,
				failure: new AuthFailure(
					400,
					'refresh_token_not_found',
					'Invalid Refresh Token: Refresh Token Not Found'
				)
			};
		}
		if (row.revoked && row.reusable && row.session_id) {
			const [current] = await tx.query<{ token: string }>(
				`select r.token from auth.refresh_tokens r
				 join auth.sessions s on s.id = r.session_id
				 where r.session_id = $1::uuid and not coalesce(r.revoked, false)
				 order by r.id desc limit 1 for update of s`,
				[row.session_id]
			);
			if (current) {
				return {
					ok: true,
					session: await sessionBody(ctx, tx, row.user_id, row.session_id, current.token)
				};
			}
		}
		if (row.revoked) {
			if (row.session_id)
				await tx.query(`delete from auth.sessions where id = $1::uuid`, [row.session_id]);
			return {
				ok: false,
				failure: new AuthFailure(
					400,
					'refresh_token_already_used',
					'Invalid Refresh Token: Already Used'
				)
			};
		}
		const [session] = row.session_id
			? await tx.query<{ id: string }>(
					`select id::text from auth.sessions where id = $1::uuid for update`,
					[row.session_id]
				)
			: [];
		if (!session) {
			return { ok: false, failure: new AuthFailure(403, 'session_not_found', 'Session not found') };
		}
		await tx.query(
			`update auth.refresh_tokens set revoked = true, updated_at = now() where token = $1::text`,
			[presented]
		);
		const next = newRefreshToken();
		await tx.query(
			`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
			 values ($1::uuid, $2::text, $3::text, false, now(), now(), $4::text, $5::uuid)`,
			[INSTANCE_ID, next, row.user_id, presented, session.id]
		);
		await tx.query(
			`update auth.sessions set updated_at = now(), refreshed_at = now() where id = $1::uuid`,
			[session.id]
		);
		return { ok: true, session: await sessionBody(ctx, tx, row.user_id, session.id, next) };
	});
	if (!outcome.ok) throw outcome.failure;
	return jsonReply(200, outcome.session);
}

// --- /otp and /verify --------------------------------------------------------------------------

function codeHash(email: string, code: string): string {
	return createHash('sha256').update(`${email}:${code}`).digest('hex');
}

async function otp(ctx: AuthContext, req: StandInRequest, counters: Counters): Promise<Reply> {
	const body = readBody(req);
	if (body.phone !== undefined && body.email === undefined) {
		throw new AuthFailure(400, 'phone_provider_disabled', 'Unsupported phone provider');
	}
	const email = normaliseEmail(body.email);
	const createIfMissing = body.create_user !== false;
	await withSendLimits(counters, email, req.client, (limits) =>
		authTransaction(ctx, async (tx) => {
			// Taken before the first await: parallel requests for one new address cannot all pass.
			limits.mail();
			let userId = await findUserId(tx, email);
			if (!userId) {
				if (!createIfMissing)
					throw new AuthFailure(422, 'otp_disabled', 'Signups not allowed for otp');
				limits.newAddress();
				userId = await createUser(tx, { email, data: metadata(body.data), confirmed: false });
			}
			await mailCode(ctx, tx, userId, email, { keepsPassword: false });
		})
	);
	return jsonReply(200, {});
}

const VERIFY_KINDS: Record<string, string[]> = {
	email: ['signup', 'magiclink'],
	magiclink: ['magiclink'],
	signup: ['signup']
};

async function verify(ctx: AuthContext, req: StandInRequest, counters: Counters): Promise<Reply> {
	const body = readBody(req);
	const kinds = typeof body.type === 'string' ? VERIFY_KINDS[body.type] : undefined;
	if (!kinds)
		throw new AuthFailure(400, 'validation_failed', 'Verify requires a verification type');
	if (typeof body.token !== 'string' || body.token === '') {
		throw new AuthFailure(
			400,
			'validation_failed',
			'Verify requires either a token or a token hash'
		);
	}
	const email = normaliseEmail(body.email);
	// Counted before the check, in one synchronous step: parallel guesses cannot outrun the limit.
	// Per (address, client) so that one client's wrong codes do not lock the owner out elsewhere;
	// per address and per client, higher, against guesses spread over clients or addresses.
	const slots: Array<[WindowCounter, string]> = [
		[counters.verifyPerAddressAndClient, `${email} ${req.client}`],
		[counters.verifyFailuresPerAddress, email],
		[counters.verifyFailuresPerClient, req.client]
	];
	const taken = takeAll(slots);
	if (!taken.ok) throw tooMany('over_request_rate_limit', 'Request rate limit reached', taken);
	const code = body.token.trim();
	let session: SessionBody | undefined;
	try {
		session = await authTransaction(ctx, async (tx) => {
			const [row] = await tx.query<{ id: string; user_id: string; keeps_password: boolean }>(
				`select id::text, user_id::text, keeps_password from auth.standin_otp_codes
				 where email = $1::text and code_hash = $2::text and used_at is null and expires_at > now()
				   and kind = any(string_to_array($3::text, ','))
				 order by created_at desc limit 1 for update`,
				[email, codeHash(email, code), kinds.join(',')]
			);
			if (!row) return undefined;
			await tx.query(`update auth.standin_otp_codes set used_at = now() where id = $1::bigint`, [
				row.id
			]);
			// Pre-account takeover: a password set before the address was confirmed came from
			// whoever signed up first. A code that does not vouch for it (an OTP sign-in) proves the
			// owner, and that password goes with the confirmation.
			await tx.query(
				`update auth.users set
					encrypted_password = case when email_confirmed_at is null and not $2::boolean
						then '' else encrypted_password end,
					email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
				 where id = $1::uuid`,
				[row.user_id, String(row.keeps_password)]
			);
			await tx.query(
				`update auth.identities set identity_data = identity_data || '{"email_verified": true}'::jsonb
				 where user_id = $1::uuid and provider = 'email'`,
				[row.user_id]
			);
			return openSession(ctx, tx, row.user_id, 'otp');
		});
	} catch (error) {
		for (const [counter, key] of slots) counter.release(key);
		throw error;
	}
	if (!session) throw new AuthFailure(403, 'otp_expired', 'Token has expired or is invalid');
	// The right code is no failure for the address or the client (it still counts for the pair).
	counters.verifyFailuresPerAddress.release(email);
	counters.verifyFailuresPerClient.release(req.client);
	return jsonReply(200, session);
}

// --- /user and /logout -------------------------------------------------------------------------

type Caller = { userId: string; sessionId: string | undefined };

/** The user's own access token, checked like GoTrue: signature, sub, and a still-open session. */
async function authenticate(ctx: AuthContext, req: StandInRequest, tx: Tx): Promise<Caller> {
	const jwt = bearerToken(req.headers, undefined);
	if (!jwt)
		throw new AuthFailure(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
	const verified = await verifyJwt(jwt, ctx.jwtSecret);
	if (!verified.ok) {
		throw new AuthFailure(
			403,
			'bad_jwt',
			`invalid JWT: unable to parse or verify signature, ${verified.failure.message}`
		);
	}
	const { sub, session_id: sessionId } = verified.claims;
	if (typeof sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(sub)) {
		throw new AuthFailure(403, 'bad_jwt', 'invalid claim: missing sub claim');
	}
	if (typeof sessionId === 'string') {
		const [session] = await tx.query(
			`select 1 from auth.sessions where id = $1::uuid and user_id = $2::uuid`,
			[/^[0-9a-f-]{36}$/i.test(sessionId) ? sessionId : '00000000-0000-0000-0000-000000000000', sub]
		);
		if (!session) {
			throw new AuthFailure(
				403,
				'session_not_found',
				'Session from session_id claim in JWT does not exist'
			);
		}
	}
	return { userId: sub, sessionId: typeof sessionId === 'string' ? sessionId : undefined };
}

async function getUser(ctx: AuthContext, req: StandInRequest): Promise<Reply> {
	const user = await authTransaction(ctx, async (tx) => {
		const caller = await authenticate(ctx, req, tx);
		const loaded = await loadUser(tx, caller.userId);
		if (!loaded)
			throw new AuthFailure(403, 'user_not_found', 'User from sub claim in JWT does not exist');
		return loaded.user;
	});
	return jsonReply(200, user);
}

/** updateUser: user_metadata (merged; a null value removes a key) and the password. Never app_metadata. */
async function updateUser(ctx: AuthContext, req: StandInRequest): Promise<Reply> {
	const body = readBody(req);
	if (body.email !== undefined || body.phone !== undefined) {
		throw new AuthFailure(
			422,
			'validation_failed',
			'Changing the email or phone is not supported by the local stand-in'
		);
	}
	const password = body.password === undefined ? undefined : checkPassword(body.password);
	const user = await authTransaction(ctx, async (tx) => {
		const caller = await authenticate(ctx, req, tx);
		const loaded = await loadUser(tx, caller.userId);
		if (!loaded)
			throw new AuthFailure(403, 'user_not_found', 'User from sub claim in JWT does not exist');
		if (body.data !== undefined) {
			// A null value removes the key, as GoTrue does.
			const merged: Json = Object.fromEntries(
				Object.entries({ ...loaded.user.user_metadata, ...metadata(body.data) }).filter(
					([, value]) => value !== null
				)
			);
			await tx.query(
				`update auth.users set raw_user_meta_data = $2::text::jsonb, updated_at = now() where id = $1::uuid`,
				[caller.userId, JSON.stringify(merged)]
			);
		}
		if (password !== undefined) {
			await tx.query(
				`update auth.users set encrypted_password = extensions.crypt($2::text, extensions.gen_salt('bf', ${BCRYPT_COST})),
				 updated_at = now() where id = $1::uuid`,
				[caller.userId, password]
			);
		}
		const updated = await loadUser(tx, caller.userId);
		return updated?.user;
	});
	return jsonReply(200, user);
}

async function logout(ctx: AuthContext, req: StandInRequest): Promise<Reply> {
	const scope = req.query.get('scope') ?? 'global';
	if (!['global', 'local', 'others'].includes(scope)) {
		throw new AuthFailure(400, 'validation_failed', `Unsupported logout scope "${scope}"`);
	}
	await authTransaction(ctx, async (tx) => {
		const caller = await authenticate(ctx, req, tx);
		if (scope === 'global' || !caller.sessionId) {
			if (scope !== 'others') {
				await tx.query(`delete from auth.sessions where user_id = $1::uuid`, [caller.userId]);
			}
		} else if (scope === 'local') {
			await tx.query(`delete from auth.sessions where id = $1::uuid`, [caller.sessionId]);
		} else {
			await tx.query(`delete from auth.sessions where user_id = $1::uuid and id <> $2::uuid`, [
				caller.userId,
				caller.sessionId
			]);
		}
	});
	return { status: 204, headers: {} };
}
