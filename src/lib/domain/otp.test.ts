import { describe, expect, it } from 'vitest';
import { isValidOtp, normalizeOtp } from './otp.ts';

describe('normalizeOtp', () => {
	it('keeps digits only, so pasted codes with spaces or dashes work', () => {
		expect(normalizeOtp(' 123 456 ')).toBe('123456');
		expect(normalizeOtp('123-456')).toBe('123456');
	});

	it('folds full-width digits', () => {
		expect(normalizeOtp('１２３４５６')).toBe('123456');
	});

	it('cuts at six digits', () => {
		expect(normalizeOtp('12345678')).toBe('123456');
	});
});

describe('isValidOtp', () => {
	it('accepts exactly six digits', () => {
		expect(isValidOtp('012345')).toBe(true);
	});

	it.each(['', '12345', '1234567', '12a456', '12 456'])('rejects %j', (code) => {
		expect(isValidOtp(code)).toBe(false);
	});
});
