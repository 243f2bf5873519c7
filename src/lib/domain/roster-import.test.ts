import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseCsv } from './csv.ts';
import {
	normaliseDate,
	normaliseRow,
	parseRosterCsv,
	rowsFromTable,
	validateRoster,
	type RosterReason
} from './roster-import.ts';

const root = join(import.meta.dirname, '../../..');
const fixture = (name: string) => new Uint8Array(readFileSync(join(root, 'tests/fixtures', name)));
const unitCodes = new Set(
	parseCsv(readFileSync(join(root, 'supabase/seed/units.csv'), 'utf8'))
		.slice(1)
		.map(([code]) => (code ?? '').toUpperCase())
);

/**
 * What each line of roster-bad.csv must get, from tests/fixtures/roster-bad.expected.json
 * ("expect" in words there): null = accepted, else the reason code it is rejected with.
 */
const EXPECTED: Record<number, RosterReason | null> = {
	2: null, // ok after trimming spaces
	3: null, // ok: email and join date optional
	4: 'duplicate_in_file',
	5: 'employee_no_missing',
	6: 'name_missing',
	7: 'gender_invalid',
	8: 'member_type_invalid',
	9: 'unit_unknown',
	10: 'phone_invalid',
	11: null, // formula text in name: stored as plain text
	12: null, // full-width digits normalised
	13: 'email_invalid',
	14: 'joined_on_future'
};

describe('roster-bad.csv', () => {
	const { rows, missingFields } = parseRosterCsv(fixture('roster-bad.csv'));
	const results = validateRoster(rows.map(normaliseRow), { unitCodes, today: '2027-06-01' });
	const expected = JSON.parse(
		readFileSync(join(root, 'tests/fixtures/roster-bad.expected.json'), 'utf8')
	) as { line: number; employee_no: string; expect: string }[];

	test('every line of the specification has its outcome here', () => {
		expect(missingFields).toEqual([]);
		expect(expected.map((e) => e.line).sort((a, b) => a - b)).toEqual(
			Object.keys(EXPECTED).map(Number)
		);
		expect(results.map((r) => r.line)).toEqual(expected.map((e) => e.line));
	});

	test.each(Object.entries(EXPECTED))('line %s', (line, reason) => {
		const result = results.find((r) => r.line === Number(line));
		expect(result?.reason ?? null).toBe(reason);
		expect(result?.ok).toBe(reason === null);
		if (reason) expect(result?.message_zh).toBeTruthy();
	});

	test('normalisation: trimmed, full-width digits, formula kept as text, optional fields', () => {
		const byLine = new Map(results.map((r) => [r.line, r.row]));
		expect(byLine.get(2)).toMatchObject({
			employee_no: '10001',
			name: '张三',
			gender: 'male',
			member_type: 'staff',
			email: 'a@example.org',
			joined_on: '2020-01-01'
		});
		expect(byLine.get(3)).toMatchObject({ employee_no: '10002', email: '', joined_on: '' });
		expect(byLine.get(11)?.name).toBe('=HYPERLINK("http://x","点我")');
		expect(byLine.get(12)).toMatchObject({ employee_no: '10011', phone: '13800000011' });
		expect(byLine.get(13)?.member_type).toBe('contract');
		expect(byLine.get(14)?.member_type).toBe('retired');
	});
});

describe('roster-gbk.csv', () => {
	test('GBK with CRLF reads as the same 50 people as the first 50 of the UTF-8 roster', () => {
		const gbk = parseRosterCsv(fixture('roster-gbk.csv')).rows.map(normaliseRow);
		const utf8 = parseRosterCsv(
			new Uint8Array(readFileSync(join(root, 'supabase/seed/roster.csv')))
		)
			.rows.slice(0, 50)
			.map(normaliseRow);
		expect(gbk).toHaveLength(50);
		expect(gbk).toEqual(utf8);
		expect(gbk[0]?.name).toMatch(/^[\u4e00-\u9fff]{2,4}$/);
		const results = validateRoster(gbk, { unitCodes, today: '2027-06-01' });
		expect(results.filter((r) => !r.ok)).toEqual([]);
	});
});

describe('rows from a spreadsheet', () => {
	test('headers with spaces or full-width letters, dates and numbers as cells', () => {
		const { rows, missingFields } = rowsFromTable([
			[' 工 号 ', '姓名', '性别', '人员类别', '单位编码', '手机', '邮箱', '入会日期'],
			[
				10001,
				'张三',
				'男',
				'聘用',
				'Ｕ０１０１',
				13800000001,
				'A@Example.ORG',
				new Date(Date.UTC(2010, 6, 1))
			],
			[10002, '李四', '女', '在职', 'u0102', null, null, 40360],
			[null, null, null, null, null, null, null, null]
		]);
		expect(missingFields).toEqual([]);
		expect(rows.map(normaliseRow)).toEqual([
			{
				line: 2,
				employee_no: '10001',
				name: '张三',
				gender: 'male',
				member_type: 'contract',
				unit_code: 'U0101',
				phone: '13800000001',
				email: 'a@example.org',
				joined_on: '2010-07-01'
			},
			{
				line: 3,
				employee_no: '10002',
				name: '李四',
				gender: 'female',
				member_type: 'staff',
				unit_code: 'U0102',
				phone: '',
				email: '',
				joined_on: '2010-07-01'
			}
		]);
	});
	test('a missing required column is reported', () => {
		expect(rowsFromTable([['工号', '姓名']]).missingFields).toEqual([
			'gender',
			'member_type',
			'unit_code'
		]);
	});
	test('dates as written in roster files', () => {
		expect(normaliseDate('2010/7/1')).toBe('2010-07-01');
		expect(normaliseDate('2010.07.01')).toBe('2010-07-01');
		expect(normaliseDate('2010年7月1日')).toBe('2010-07-01');
		expect(normaliseDate('20100701')).toBe('2010-07-01');
		expect(normaliseDate('2010-02-30')).toBeNull();
		expect(normaliseDate('July 1')).toBeNull();
	});
	test('a repeated email: the first line keeps it; one in use by another member is refused', () => {
		const row = (line: number, employee_no: string, email: string) => ({
			line,
			employee_no,
			name: '某',
			gender: 'male',
			member_type: 'staff',
			unit_code: 'U0101',
			phone: '',
			email,
			joined_on: ''
		});
		const results = validateRoster(
			[row(2, 'A1', 'x@y.cn'), row(3, 'A2', 'x@y.cn'), row(4, 'A3', 'z@y.cn')],
			{
				unitCodes,
				today: '2027-01-01',
				emailsInUse: new Map([['z@y.cn', 'B9']])
			}
		);
		expect(results.map((r) => r.reason)).toEqual([null, 'email_duplicate_in_file', 'email_taken']);
	});
});
