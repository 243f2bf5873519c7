import { describe, expect, it } from 'vitest';
import { toCsv } from './export-csv.ts';
import { paginate, signInLines, signInRows } from './export-signin.ts';

const people = [
	{ name: '王五', employeeNo: '10003', unitName: '内科', guestNames: [] },
	{
		name: '=HYPERLINK("x")',
		employeeNo: '10002',
		unitName: '外科',
		guestNames: ['王小明', '王小红']
	},
	{ name: '张三', employeeNo: '10001', unitName: '内科', guestNames: [] }
];

describe('sign-in sheet', () => {
	it('numbers people by unit then employee number, guests joined', () => {
		const lines = signInLines(people);
		expect(lines.map((line) => [line.number, line.employeeNo])).toEqual([
			[1, '10001'],
			[2, '10003'],
			[3, '10002']
		]);
		expect(lines[2]?.guests).toBe('王小明、王小红');
	});

	it('has the six columns and neutralises formula names in CSV', () => {
		const rows = signInRows(signInLines(people));
		expect(rows[0]).toEqual(['序号', '姓名', '工号', '单位', '家属', '签名']);
		expect(toCsv(rows)).toContain(`3,"'=HYPERLINK(""x"")",10002,外科,王小明、王小红,\r\n`);
	});

	it('splits into pages, one empty page for nobody', () => {
		expect(paginate([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
		expect(paginate([], 20)).toEqual([[]]);
	});
});
