import { describe, expect, it } from 'vitest';
import { buildIcs, escapeText, foldLine, icsDateTime, icsFileName } from './ics.ts';

const event = {
	registrationId: '0b6f3c1e-0000-4000-8000-000000000001',
	title: '年度职工健康体检',
	startsAt: new Date('2027-05-10T23:30:00Z'),
	endsAt: new Date('2027-05-11T03:00:00Z'),
	place: '体检中心二楼',
	description: '场次：5月11日 07:30–11:00',
	url: 'https://union.example/tickets/0b6f3c1e-0000-4000-8000-000000000001',
	now: new Date('2027-05-01T02:03:04.567Z')
};

const octets = (line: string): number => new TextEncoder().encode(line).length;

describe('icsDateTime', () => {
	it('writes UTC without separators or milliseconds', () => {
		expect(icsDateTime(new Date('2027-05-10T23:30:00.999Z'))).toBe('20270510T233000Z');
	});
});

describe('escapeText', () => {
	it('escapes backslash, semicolon, comma and newlines', () => {
		expect(escapeText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
	});

	it('leaves colons and Chinese punctuation alone', () => {
		expect(escapeText('集合：医院正门，7:00')).toBe('集合：医院正门，7:00');
	});
});

describe('foldLine', () => {
	it('leaves short lines alone', () => {
		expect(foldLine('SUMMARY:短')).toBe('SUMMARY:短');
	});

	it('folds at 75 octets with a leading space, never inside a character', () => {
		const line = `DESCRIPTION:${'工会活动'.repeat(20)}`;
		const folded = foldLine(line);
		const parts = folded.split('\r\n');
		expect(parts.length).toBeGreaterThan(1);
		for (const [index, part] of parts.entries()) {
			expect(octets(part)).toBeLessThanOrEqual(75);
			if (index > 0) expect(part.startsWith(' ')).toBe(true);
		}
		// Unfolding (remove CRLF + one space) gives the line back.
		expect(folded.replace(/\r\n /g, '')).toBe(line);
		expect(folded).not.toContain('\uFFFD');
	});

	it('folds ASCII at exactly 75 octets', () => {
		const folded = foldLine('X'.repeat(150));
		expect(folded.split('\r\n').map(octets)).toEqual([75, 75, 2]);
	});
});

describe('buildIcs', () => {
	const ics = buildIcs(event);
	const lines = ics.split('\r\n');

	it('uses CRLF everywhere and ends with one', () => {
		expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
		expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
	});

	it('has the calendar frame and one event with UTC times', () => {
		expect(lines.slice(0, 2)).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0']);
		expect(lines).toContain('BEGIN:VEVENT');
		expect(lines).toContain('DTSTART:20270510T233000Z');
		expect(lines).toContain('DTEND:20270511T030000Z');
		expect(lines).toContain('DTSTAMP:20270501T020304Z');
		expect(lines).toContain('SUMMARY:年度职工健康体检');
		expect(lines).toContain('LOCATION:体检中心二楼');
		expect(lines.filter((line) => line === 'END:VEVENT')).toHaveLength(1);
	});

	it('gives a UID that depends only on the registration', () => {
		const again = buildIcs({ ...event, title: 'changed', now: new Date() });
		const uid = (text: string) => text.split('\r\n').find((line) => line.startsWith('UID:'));
		expect(uid(ics)).toBe('UID:registration-0b6f3c1e-0000-4000-8000-000000000001@union-activities');
		expect(uid(again)).toBe(uid(ics));
	});

	it('keeps every line within 75 octets', () => {
		const long = buildIcs({ ...event, description: '说明, 含逗号; 分号\n和换行'.repeat(10) });
		for (const line of long.split('\r\n')) expect(octets(line)).toBeLessThanOrEqual(75);
		const unfolded = long.replace(/\r\n /g, '');
		expect(unfolded).toContain('DESCRIPTION:说明\\, 含逗号\\; 分号\\n和换行说明');
	});

	it('escapes commas and semicolons in the place', () => {
		const withPunctuation = buildIcs({ ...event, place: 'Gate 1, Hall; East' });
		expect(withPunctuation).toContain('LOCATION:Gate 1\\, Hall\\; East');
	});

	it('leaves out an empty description and a missing URL', () => {
		const bare = buildIcs({ ...event, description: '', url: null });
		expect(bare).not.toContain('DESCRIPTION');
		expect(bare).not.toContain('URL:');
	});
});

describe('icsFileName', () => {
	it('replaces characters file systems refuse', () => {
		expect(icsFileName('“相约山水”秋季一日游')).toBe('“相约山水”秋季一日游.ics');
		expect(icsFileName('a/b: c')).toBe('a-b-c.ics');
		expect(icsFileName('  ')).toBe('activity.ics');
	});
});
