import type { MessageKey, MessageParams } from '#lib/i18n/translate.ts';

// Every failure a screen can show, as a kind with a bilingual message. Raw SQL, PostgREST or
// GoTrue text never reaches the user: it only goes to the console for whoever debugs.

export type AppErrorKind =
	| 'otp_expired'
	| 'rate_limited'
	| 'email_rate_limited'
	| 'invalid_credentials'
	| 'signup_disabled'
	| 'unauthorized'
	| 'forbidden'
	| 'not_found'
	| 'network'
	| 'server'
	| 'bad_response'
	| 'unknown';

const MESSAGE_BY_KIND: Record<AppErrorKind, MessageKey> = {
	otp_expired: 'error.otpExpired',
	rate_limited: 'error.rateLimited',
	email_rate_limited: 'error.emailRateLimited',
	invalid_credentials: 'error.invalidCredentials',
	signup_disabled: 'error.signupDisabled',
	unauthorized: 'error.unauthorized',
	forbidden: 'error.forbidden',
	not_found: 'error.notFound',
	network: 'error.network',
	server: 'error.server',
	bad_response: 'error.badResponse',
	unknown: 'error.unknown'
};

/**
 * The business-rule refusals the server names in the error's `message` (see `private.api_error`
 * in the migrations). Each has the app's own words, `refusal.<code>`, in both languages; for a
 * code not listed here the server's own bilingual text is shown.
 */
export const REFUSAL_REASONS = [
	'activity_not_found',
	'signup_not_open',
	'signup_closed',
	'activity_cancelled',
	'ineligible_gender',
	'ineligible_member_type',
	'ineligible_unit',
	'ineligible_not_member',
	'already_registered',
	'full',
	'session_required',
	'session_invalid',
	'too_many_guests',
	'guest_name_invalid',
	'answer_invalid',
	'series_limit_reached',
	'cancel_deadline_passed',
	'registration_not_found',
	'not_on_roster',
	'not_signed_in'
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export function isRefusalReason(reason: string | null): reason is RefusalReason {
	return reason !== null && (REFUSAL_REASONS as readonly string[]).includes(reason);
}

/** A message a database function wrote for people, in both languages (see `private.api_error`). */
export interface ServerMessage {
	zh: string;
	en: string;
}

export class AppError extends Error {
	readonly kind: AppErrorKind;
	/** Present when the server explained a business rule (e.g. "sign-up closed") itself. */
	readonly serverMessage: ServerMessage | null;
	/** The function's machine-readable reason, e.g. 'not_on_roster'; null for other errors. */
	readonly reason: string | null;
	/** The code of a fault the server did not mean (e.g. '42P01'), for people to quote; else null. */
	readonly code: string | null;

	constructor(
		kind: AppErrorKind,
		detail?: string,
		extra: { serverMessage?: ServerMessage; reason?: string; code?: string } = {}
	) {
		super(detail ?? kind);
		this.name = 'AppError';
		this.kind = kind;
		this.serverMessage = extra.serverMessage ?? null;
		this.reason = extra.reason ?? null;
		this.code = extra.code ?? null;
	}

	/** The app's own words: for the refusal when the server named a known one, else the kind. */
	get messageKey(): MessageKey {
		return isRefusalReason(this.reason) ? `refusal.${this.reason}` : MESSAGE_BY_KIND[this.kind];
	}
}

/** The parts of an auth-js AuthError the mapping needs; duck-typed so tests need no classes. */
export interface AuthErrorLike {
	name?: string;
	status?: number | undefined;
	code?: string | undefined;
	message?: string;
}

/** The parts of a PostgREST error answer plus the HTTP status of the response. */
export interface PostgrestErrorLike {
	code: string;
	message: string;
	details?: string | null;
	hint?: string | null;
}

function kindFromStatus(status: number): AppErrorKind {
	if (status === 0) return 'network';
	if (status === 401) return 'unauthorized';
	if (status === 403) return 'forbidden';
	if (status === 404) return 'not_found';
	if (status === 429) return 'rate_limited';
	if (status >= 500) return 'server';
	return 'unknown';
}

export function authErrorKind(error: AuthErrorLike): AppErrorKind {
	switch (error.code) {
		case 'otp_expired':
			return 'otp_expired';
		case 'over_email_send_rate_limit':
			return 'email_rate_limited';
		case 'over_request_rate_limit':
			return 'rate_limited';
		case 'invalid_credentials':
			return 'invalid_credentials';
		case 'otp_disabled':
		case 'signup_disabled':
		case 'email_address_not_authorized':
		case 'user_banned':
			return 'signup_disabled';
		case 'session_not_found':
		case 'session_expired':
		case 'refresh_token_not_found':
		case 'refresh_token_already_used':
		case 'bad_jwt':
			return 'unauthorized';
	}
	// auth-js wraps a failed fetch in AuthRetryableFetchError without a status.
	if (error.name === 'AuthRetryableFetchError' || error.status === undefined) return 'network';
	return kindFromStatus(error.status);
}

/** "No such function": PostgREST's for an unknown rpc, PostgreSQL's for a call to a missing one. */
const MISSING_FUNCTION_CODES = new Set(['PGRST202', '42883']);

/**
 * PostgREST codes first (a function may raise `PT401` for "sign in again"), then the HTTP status.
 * postgrest-js reports a network failure as status 0. Any other coded error is a fault on the
 * server's side (PostgREST answers 404 for 42P01 too, which is no missing function): kind server.
 */
export function postgrestErrorKind(error: PostgrestErrorLike, status: number): AppErrorKind {
	const customStatus = /^PT(\d{3})$/.exec(error.code)?.[1];
	if (customStatus !== undefined) return kindFromStatus(Number(customStatus));
	if (error.code === 'PGRST301' || error.code === 'PGRST302' || error.code === 'PGRST303') {
		return 'unauthorized';
	}
	if (MISSING_FUNCTION_CODES.has(error.code)) return 'not_found';
	if (status === 0 || status === 401 || status === 403 || status === 429) {
		return kindFromStatus(status);
	}
	return error.code === '' ? kindFromStatus(status) : 'server';
}

export function fromAuthError(error: AuthErrorLike): AppError {
	return new AppError(authErrorKind(error), `${error.code ?? ''} ${error.message ?? ''}`.trim());
}

/**
 * Only errors a function raised on purpose (`PTxyz`, from `private.api_error`) carry text meant
 * for people: English in `details`, Chinese in `hint`. Everything else (SQL errors, PostgREST's
 * own) is reduced to its kind, so no SQL text ever reaches the screen.
 */
export function fromPostgrestError(error: PostgrestErrorLike, status: number): AppError {
	const kind = postgrestErrorKind(error, status);
	const detail = `${error.code} ${error.message}`.trim();
	if (!/^PT\d{3}$/.test(error.code)) {
		return new AppError(
			kind,
			detail,
			kind === 'server' && error.code !== '' ? { code: error.code } : {}
		);
	}
	const serverMessage =
		typeof error.details === 'string' &&
		error.details !== '' &&
		typeof error.hint === 'string' &&
		error.hint !== ''
			? { en: error.details, zh: error.hint }
			: undefined;
	return new AppError(kind, detail, { serverMessage, reason: error.message });
}

/** The parts of an error its message needs (an AppError, or a look-alike from elsewhere). */
export interface MessageSource {
	messageKey: MessageKey;
	code?: string | null;
}

/**
 * The message key and its parameters: an unexpected server fault says so and gives its code
 * ("服务器出错（代码 42P01）…"), so nobody is told a misleading reason and support can look it up.
 */
export function errorMessage(error: MessageSource): { key: MessageKey; params?: MessageParams } {
	if (error.code !== undefined && error.code !== null && error.code !== '') {
		return { key: 'error.serverCode', params: { code: error.code } };
	}
	return { key: error.messageKey, params: undefined };
}

/** Anything caught in a `catch` becomes an AppError; a thrown TypeError is a failed fetch. */
export function toAppError(error: unknown): AppError {
	if (error instanceof AppError) return error;
	if (error instanceof TypeError) return new AppError('network', error.message);
	return new AppError('unknown', error instanceof Error ? error.message : String(error));
}
