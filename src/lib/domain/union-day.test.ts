import { describe, expect, test } from 'vitest';
import { unionDay } from './union-day.ts';

describe('unionDay', () => {
	test('is the day in the union time zone, not in UTC, around midnight', () => {
		// 23:59:59 and 00:00:00 in Shanghai (UTC+8).
		expect(unionDay(new Date('2027-03-28T15:59:59Z'), 'Asia/Shanghai')).toBe('2027-03-28');
		expect(unionDay(new Date('2027-03-28T16:00:00Z'), 'Asia/Shanghai')).toBe('2027-03-29');
		expect(unionDay(new Date('2027-03-28T16:00:00Z'), 'UTC')).toBe('2027-03-28');
	});

	test('keeps a separate formatter per time zone', () => {
		const at = new Date('2027-01-01T02:00:00Z');
		expect(unionDay(at, 'Asia/Shanghai')).toBe('2027-01-01');
		expect(unionDay(at, 'America/New_York')).toBe('2026-12-31');
		expect(unionDay(at, 'Asia/Shanghai')).toBe('2027-01-01');
	});
});
