import { describe, expect, it } from 'vitest';
import { fill } from '#lib/i18n/translate.ts';
import {
	AppError,
	authErrorKind,
	errorMessage,
	fromPostgrestError,
	postgrestErrorKind,
	toAppError
} from './errors.ts';

describe('authErrorKind', () => {
	it.each([
		[{ status: 403, code: 'otp_expired' }, 'otp_expired'],
		[{ status: 429, code: 'over_email_send_rate_limit' }, 'email_rate_limited'],
		[{ status: 429, code: 'over_request_rate_limit' }, 'rate_limited'],
		[{ status: 429 }, 'rate_limited'],
		[{ status: 400, code: 'invalid_credentials' }, 'invalid_credentials'],
		[{ status: 422, code: 'otp_disabled' }, 'signup_disabled'],
		[{ status: 400, code: 'refresh_token_already_used' }, 'unauthorized'],
		[{ name: 'AuthRetryableFetchError', status: 0 }, 'network'],
		[{ name: 'AuthRetryableFetchError', status: 503 }, 'network'],
		[{ status: 500, code: 'unexpected_failure' }, 'server'],
		[{ status: 400, code: 'something_new' }, 'unknown']
	] as const)('maps %j to %s', (error, kind) => {
		expect(authErrorKind(error)).toBe(kind);
	});
});

describe('postgrestErrorKind', () => {
	it('honours PTxyz codes raised by functions', () => {
		expect(postgrestErrorKind({ code: 'PT401', message: 'sign in' }, 401)).toBe('unauthorized');
		expect(postgrestErrorKind({ code: 'PT403', message: 'not yours' }, 403)).toBe('forbidden');
	});

	it('treats expired and invalid JWTs as unauthorized', () => {
		expect(postgrestErrorKind({ code: 'PGRST303', message: 'JWT expired' }, 401)).toBe(
			'unauthorized'
		);
		expect(postgrestErrorKind({ code: 'PGRST301', message: 'bad JWT' }, 401)).toBe('unauthorized');
	});

	it('maps by status otherwise', () => {
		expect(postgrestErrorKind({ code: '42501', message: 'permission denied' }, 401)).toBe(
			'unauthorized'
		);
		expect(postgrestErrorKind({ code: '42501', message: 'permission denied' }, 403)).toBe(
			'forbidden'
		);
		expect(postgrestErrorKind({ code: 'PGRST202', message: 'no function' }, 404)).toBe('not_found');
		expect(postgrestErrorKind({ code: '', message: 'TypeError: fetch failed' }, 0)).toBe('network');
		expect(postgrestErrorKind({ code: 'XX000', message: 'boom' }, 500)).toBe('server');
	});
});

describe('toAppError', () => {
	it('keeps AppErrors and turns TypeErrors into network errors', () => {
		const original = new AppError('forbidden');
		expect(toAppError(original)).toBe(original);
		expect(toAppError(new TypeError('Failed to fetch')).kind).toBe('network');
		expect(toAppError('weird').kind).toBe('unknown');
	});

	it('gives a message key for every kind', () => {
		expect(new AppError('otp_expired').messageKey).toBe('error.otpExpired');
	});
});

describe('fromPostgrestError', () => {
	it('keeps the bilingual text of an error a function raised on purpose', () => {
		const error = fromPostgrestError(
			{
				code: 'PT403',
				message: 'not_on_roster',
				details: 'Your email is not on the union roster.',
				hint: '您的邮箱不在工会名册中。'
			},
			403
		);
		expect(error.kind).toBe('forbidden');
		expect(error.reason).toBe('not_on_roster');
		expect(error.serverMessage).toEqual({
			en: 'Your email is not on the union roster.',
			zh: '您的邮箱不在工会名册中。'
		});
	});

	it("gives a known refusal the app's own message key, and others the kind's", () => {
		const full = fromPostgrestError(
			{ code: 'PT409', message: 'full', details: 'This activity is full.', hint: '名额已满。' },
			409
		);
		expect(full.reason).toBe('full');
		expect(full.messageKey).toBe('refusal.full');
		const novel = fromPostgrestError(
			{ code: 'PT409', message: 'brand_new_rule', details: 'New rule.', hint: '新规则。' },
			409
		);
		expect(novel.messageKey).toBe('error.unknown');
		expect(novel.serverMessage).toEqual({ en: 'New rule.', zh: '新规则。' });
	});

	it('never keeps text from SQL errors', () => {
		const error = fromPostgrestError(
			{
				code: '42P01',
				message: 'relation "private.members" does not exist',
				details: null,
				hint: 'Perhaps you meant'
			},
			404
		);
		expect(error.serverMessage).toBeNull();
		expect(error.reason).toBeNull();
	});
});

describe('R16 unexpected server errors', () => {
	it('R16 only a missing function reads as one; any other code reads as a server error with the code', () => {
		expect(postgrestErrorKind({ code: 'PGRST202', message: 'no function' }, 404)).toBe('not_found');
		expect(postgrestErrorKind({ code: '42883', message: 'function does not exist' }, 404)).toBe(
			'not_found'
		);
		const missingTable = fromPostgrestError(
			{ code: '42P01', message: 'missing FROM-clause entry for table "import_units"' },
			404
		);
		expect(missingTable.kind).toBe('server');
		expect(missingTable.code).toBe('42P01');
		const text = errorMessage(missingTable);
		expect(fill('zh-CN', text.key, text.params)).toBe(
			'服务器出错（代码 42P01），请截图或把代码告诉管理员。'
		);
		for (const [code, status] of [
			['22P02', 400],
			['23505', 409],
			['PGRST116', 406],
			['XX000', 500],
			['57014', 500]
		] as const) {
			const error = fromPostgrestError({ code, message: 'boom' }, status);
			expect([error.kind, error.code, errorMessage(error)]).toEqual([
				'server',
				code,
				{ key: 'error.serverCode', params: { code } }
			]);
		}
		// Codes that do mean something keep their meaning, without a code to quote.
		const missingFunction = fromPostgrestError({ code: 'PGRST202', message: 'x' }, 404);
		expect(errorMessage(missingFunction)).toEqual({ key: 'error.notFound', params: undefined });
		expect(fromPostgrestError({ code: '42501', message: 'denied' }, 403).kind).toBe('forbidden');
		expect(fromPostgrestError({ code: 'PGRST303', message: 'JWT expired' }, 401).kind).toBe(
			'unauthorized'
		);
		const refusal = fromPostgrestError(
			{ code: 'PT409', message: 'full', details: 'Full.', hint: '名额已满。' },
			409
		);
		expect([refusal.code, errorMessage(refusal).key]).toEqual([null, 'refusal.full']);
		// No code at all (a proxy's page): the status decides, as before.
		expect(fromPostgrestError({ code: '', message: '' }, 502).code).toBeNull();
	});
});
