import { describe, expect, it } from 'vitest';
import { UTF8_BOM } from './export-csv.ts';
import {
	buildTable,
	formatPercent,
	sheetName,
	tableToCsv,
	xlsxSheets,
	yearOverYear,
	type ColumnSpec
} from './export-sheets.ts';
import { reportTable, type FigureRow } from './export-report.ts';
import { writeXlsx } from './xlsx-writer.ts';

interface Row {
	name: string;
	count: number;
	rate: number | null;
}

const columns: ColumnSpec<Row>[] = [
	{ header: '单位', kind: 'text', value: (row) => row.name },
	{ header: '人次', kind: 'integer', value: (row) => row.count },
	{ header: '参与率', kind: 'percent', value: (row) => row.rate }
];

const table = buildTable('按单位', columns, [
	{ name: '内科分工会', count: 120, rate: 0.8532 },
	{ name: '=cmd|calc', count: 3, rate: null }
]);

function figures(overrides: Partial<FigureRow> = {}): FigureRow {
	return {
		key: 'u1',
		label: '内科分工会',
		depth: 1,
		attendances: 120,
		participants: 80,
		guestAttendances: 4,
		admitted: 100,
		showUpRate: 0.8,
		headcount: 100,
		participationRate: 0.8,
		activityCount: 3,
		previous: {
			attendances: 100,
			participants: 64,
			guestAttendances: 0,
			admitted: 90,
			showUpRate: 0.7,
			headcount: 98,
			participationRate: 0.653,
			activityCount: 2
		},
		...overrides
	};
}

describe('formatPercent and yearOverYear', () => {
	it('prints one decimal and a dash without a base', () => {
		expect(formatPercent(0.8532)).toBe('85.3%');
		expect(formatPercent(1)).toBe('100.0%');
		expect(formatPercent(null)).toBe('—');
		expect(yearOverYear(110, 100)).toBeCloseTo(0.1);
		expect(yearOverYear(5, 0)).toBeNull();
		expect(yearOverYear(5, null)).toBeNull();
	});
});

describe('tableToCsv', () => {
	it('writes headers, percentages as on screen, and neutralised text', () => {
		const csv = tableToCsv(table);
		expect(csv.startsWith(UTF8_BOM)).toBe(true);
		expect(csv.slice(1).split('\r\n')).toEqual([
			'单位,人次,参与率',
			'内科分工会,120,85.3%',
			"'=cmd|calc,3,",
			''
		]);
	});
});

describe('xlsxSheets', () => {
	it('makes one sheet per table with the Chinese header, widths and number formats', () => {
		const [sheet] = xlsxSheets([table]);
		expect(sheet?.name).toBe('按单位');
		expect(sheet?.header).toEqual(['单位', '人次', '参与率']);
		expect(sheet?.columns).toEqual([
			{ width: 24 },
			{ width: 12, format: '0' },
			{ width: 12, format: '0.0%' }
		]);
		// The table's rows as they are: the writer neutralises formula-like text when it writes it.
		expect(sheet?.rows).toBe(table.rows);
	});

	it('keeps sheet names unique, at most 31 characters and free of []:*?/\\', () => {
		const sheets = xlsxSheets([table, table, { ...table, name: 'a/b:c'.padEnd(40, 'x') }]);
		expect(sheets.map((s) => s.name)).toEqual(['按单位', '按单位(2)', 'a b c'.padEnd(31, 'x')]);
		expect(sheetName('[x]')).toBe('x');
	});

	it('builds the report sheets with every figure and last year', () => {
		const report = reportTable('unit', [
			figures(),
			figures({ key: 'u0', label: '工会', depth: 0 })
		]);
		expect(report.name).toBe('按单位');
		expect(report.headers).toEqual([
			'单位',
			'人次',
			'人数',
			'家属人次',
			'录取报名',
			'到场率',
			'在册人数',
			'参与率',
			'去年同期人次',
			'去年同期人数',
			'去年同期参与率',
			'人次同比',
			'人数同比'
		]);
		expect(report.rows[0]?.[0]).toBe('\u3000内科分工会');
		expect(report.rows[0]?.slice(1, 11)).toEqual([120, 80, 4, 100, 0.8, 100, 0.8, 100, 64, 0.653]);
		expect(report.rows[0]?.[11]).toBeCloseTo(0.2);
		expect(report.rows[0]?.[12]).toBeCloseTo(0.25);
		expect(report.rows[1]?.[0]).toBe('工会');
		const noPrevious = reportTable('month', [figures({ label: '2026-03', previous: null })]);
		expect(noPrevious.rows[0]?.slice(8)).toEqual([null, null, null, null, null]);
	});
});

describe('XLSX round trip', () => {
	it('writes a workbook read-excel-file reads back: sheets, headers, numbers, neutralised text', async () => {
		const { default: readXlsxFile } = await import('read-excel-file/node');
		const sheets = xlsxSheets([table, reportTable('month', [])]);
		const read = await readXlsxFile(Buffer.concat(writeXlsx(sheets)));
		expect(read.map((sheet) => sheet.sheet)).toEqual(['按单位', '按月份']);
		expect(read[0]?.data).toEqual([
			['单位', '人次', '参与率'],
			['内科分工会', 120, 0.8532],
			["'=cmd|calc", 3, null]
		]);
		expect(read[1]?.data[0]?.[0]).toBe('月份');
	});

	it('keeps the full-width indentation of the unit tree', async () => {
		const { default: readXlsxFile } = await import('read-excel-file/node');
		const report = reportTable('unit', [figures({ depth: 2 })]);
		const read = await readXlsxFile(Buffer.concat(writeXlsx(xlsxSheets([report]))), {
			trim: false
		});
		expect(read[0]?.data[1]?.[0]).toBe('\u3000\u3000内科分工会');
	});
});
