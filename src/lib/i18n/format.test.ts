import { describe, expect, it } from 'vitest';
import { formatDateRange, formatDateTime, isKnownTimeZone } from './format.ts';

const NOW = new Date('2027-01-01T00:00:00Z');
const zh = { locale: 'zh-CN', timeZone: 'Asia/Shanghai', now: NOW } as const;
const en = { locale: 'en', timeZone: 'Asia/Shanghai', now: NOW } as const;

describe('formatDateRange', () => {
	it('prints one day and two times for a same-day activity, in the union time zone', () => {
		// 06:00Z is 14:00 in Shanghai.
		const start = new Date('2027-03-20T06:00:00Z');
		const end = new Date('2027-03-20T09:30:00Z');
		expect(formatDateRange(start, end, zh)).toBe('3月20日周六 14:00–17:30');
		expect(formatDateRange(start, end, en)).toBe('Sat, Mar 20 14:00–17:30');
	});

	it('uses the union day even when the UTC day differs', () => {
		// 2027-03-19T23:00Z is already 20 March 07:00 in Shanghai.
		const start = new Date('2027-03-19T23:00:00Z');
		const end = new Date('2027-03-20T01:00:00Z');
		expect(formatDateRange(start, end, zh)).toBe('3月20日周六 07:00–09:00');
	});

	it('prints both days for a multi-day activity', () => {
		const start = new Date('2027-04-12T00:00:00Z');
		const end = new Date('2027-04-16T03:00:00Z');
		expect(formatDateRange(start, end, zh)).toBe('4月12日周一 08:00 – 4月16日周五 11:00');
	});

	it('adds the year when it is not the current year', () => {
		const start = new Date('2028-01-10T01:00:00Z');
		expect(formatDateTime(start, zh)).toBe('2028年1月10日周一 09:00');
	});
});

describe('isKnownTimeZone', () => {
	it('knows IANA zones and rejects garbage', () => {
		expect(isKnownTimeZone('Asia/Shanghai')).toBe(true);
		expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
	});
});
