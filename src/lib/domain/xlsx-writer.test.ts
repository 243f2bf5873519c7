import fc from 'fast-check';
import { strFromU8, unzipSync } from 'fflate';
import readXlsxFile from 'read-excel-file/node';
import { describe, expect, it } from 'vitest';
import { neutralizeFormula } from './export-csv.ts';
import { sheetHead, writeXlsx, XlsxStream, type Level, type XlsxSheet } from './xlsx-writer.ts';
import { sheetName } from './export-sheets.ts';
import { columnLetters, MAX_CELL_TEXT, xmlEscape } from './xlsx-xml.ts';

function bytes(sheets: readonly XlsxSheet[], level?: Level): Buffer {
	return Buffer.concat(writeXlsx(sheets, level === undefined ? {} : { level }));
}

function parts(file: Buffer): Record<string, string> {
	return Object.fromEntries(
		Object.entries(unzipSync(file)).map(([path, data]) => [path, strFromU8(data)])
	);
}

async function read(file: Buffer) {
	return readXlsxFile(file, { trim: false });
}

/** What a text cell reads back as: forbidden characters dropped, formulas neutralised. */
function expected(text: string): string | null {
	const kept = text.replace(
		// eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids
		/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
		''
	);
	return text === '' ? null : neutralizeFormula(kept) || null;
}

const people: XlsxSheet = {
	name: '签到明细',
	header: ['工号', '姓名', '单位', '人次', '参与率', '备注'],
	columns: [
		{ width: 12 },
		{ width: 10 },
		{ width: 24 },
		{ width: 8, format: '0' },
		{ width: 10, format: '0.0%' },
		{ width: 30 }
	],
	rows: [
		['E100001', '张三', '\u3000内科分工会', 12, 0.8532, null],
		['E100002', '李四', '外科分工会', 0, null, '家属 & 朋友 <2> "同行" \'好\''],
		['E100003', '王五', '', Number.NaN, 1, '=HYPERLINK("http://x")'],
		['E100004', '赵六', '医技', -3.5, 0.05, '+1\t第二列\n第二行'],
		['E100005', '钱七', '工会', 1e21, 0, '@SUM(A1)'],
		['E100006', 'emoji 🎉', null, null, null, '－1 全角']
	]
};

describe('xmlEscape', () => {
	it('escapes markup and quotes, keeps tab and line feed, keeps CR as a reference', () => {
		expect(xmlEscape('a & b <c> "d" \'e\'')).toBe(
			'a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;'
		);
		expect(xmlEscape('一\t二\n三\r四')).toBe('一\t二\n三&#13;四');
		expect(xmlEscape('内科分工会')).toBe('内科分工会');
	});

	it('drops what XML 1.0 forbids: control characters, lone surrogates, U+FFFE/U+FFFF', () => {
		expect(xmlEscape('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\u007Fh')).toBe('abcdefg\u007Fh');
		expect(xmlEscape('x\uD800y\uDC00z\uFFFE\uFFFF')).toBe('xyz');
		expect(xmlEscape('🎉')).toBe('🎉');
	});

	it('escapes a literal _xHHHH_ so that Excel shows it as typed', () => {
		expect(xmlEscape('_x0041_')).toBe('_x005F_x0041_');
		expect(xmlEscape('my_xls_file')).toBe('my_xls_file');
	});
});

describe('columnLetters and sheetName', () => {
	it('names columns as Excel does', () => {
		expect([0, 25, 26, 51, 701, 702, 16383].map(columnLetters)).toEqual([
			'A',
			'Z',
			'AA',
			'AZ',
			'ZZ',
			'AAA',
			'XFD'
		]);
	});

	it('makes sheet names Excel accepts', () => {
		expect(sheetName("'a\u0001b'")).toBe('a b');
		expect(sheetName('   ')).toBe('Sheet');
		expect(sheetName('按单位', new Set(['按单位']))).toBe('按单位(2)');
	});
});

describe('writeXlsx read back with read-excel-file', () => {
	it('reads back Chinese text, numbers, empty cells and neutralised formulas', async () => {
		const [sheet] = await read(bytes([people]));
		expect(sheet?.sheet).toBe('签到明细');
		expect(sheet?.data).toEqual([
			['工号', '姓名', '单位', '人次', '参与率', '备注'],
			['E100001', '张三', '\u3000内科分工会', 12, 0.8532, null],
			['E100002', '李四', '外科分工会', 0, null, '家属 & 朋友 <2> "同行" \'好\''],
			['E100003', '王五', null, null, 1, '\'=HYPERLINK("http://x")'],
			['E100004', '赵六', '医技', -3.5, 0.05, "'+1\t第二列\n第二行"],
			['E100005', '钱七', '工会', 1e21, 0, "'@SUM(A1)"],
			['E100006', 'emoji 🎉', null, null, null, "'－1 全角"]
		]);
	});

	it('writes several sheets with unique legal names, in order', async () => {
		const empty: XlsxSheet = { name: '按类别', header: ['类别'], columns: [], rows: [] };
		const sheets = await read(
			bytes([people, empty, { ...people, name: '签到明细' }, { ...empty, name: 'a/b' }])
		);
		expect(sheets.map((s) => s.sheet)).toEqual(['签到明细', '按类别', '签到明细(2)', 'a b']);
		expect(sheets[1]?.data).toEqual([['类别']]);
		expect(sheets[2]?.data).toEqual(sheets[0]?.data);
		// No sheets at all still makes a workbook Excel opens.
		expect((await read(bytes([]))).map((s) => s.sheet)).toEqual(['Sheet1']);
	});

	it('writes large sheets in pieces, at every compression level', async () => {
		const rows = Array.from({ length: 2_000 }, (_, i) => [`第${i}行`, i, i / 2_000]);
		const sheet: XlsxSheet = {
			name: '大表',
			header: ['名称', '序号', '比例'],
			columns: [{ width: 20 }, { width: 8, format: '0' }, { width: 8, format: '0.0%' }],
			rows
		};
		for (const level of [1, 9] as const) {
			const [back] = await read(bytes([sheet], level));
			expect(back?.data).toHaveLength(2_001);
			expect(back?.data[2_000]).toEqual(['第1999行', 1999, 0.9995]);
		}
	});

	it('keeps what it can of any text, and never a formula', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 8 }),
				async (texts) => {
					const [sheet] = await read(
						bytes([{ name: 'x', header: [], columns: [], rows: texts.map((text) => [text]) }])
					);
					const got = texts.map((_, i) => sheet?.data[i]?.[0] ?? null);
					// read-excel-file drops trailing empty rows.
					expect(got).toEqual(texts.map(expected));
				}
			),
			{ numRuns: 150 }
		);
	});

	it('cuts text at the 32,767 characters a cell holds', async () => {
		const long = '长'.repeat(MAX_CELL_TEXT + 10);
		const [sheet] = await read(bytes([{ name: 'x', header: [], columns: [], rows: [[long]] }]));
		expect(sheet?.data[0]?.[0]).toBe('长'.repeat(MAX_CELL_TEXT));
	});
});

describe('XlsxStream', () => {
	it('writes rows as they arrive, sheet after sheet, to the same file as writeXlsx', () => {
		const second: XlsxSheet = { ...people, name: '第二页' };
		const stream = new XlsxStream([sheetHead(people), sheetHead(second)]);
		stream.rows(0, people.rows.slice(0, 2));
		stream.rows(0, []);
		stream.rows(0, people.rows.slice(2));
		stream.rows(1, second.rows.slice(0, 5));
		stream.rows(1, second.rows.slice(5));
		expect(parts(Buffer.concat(stream.finish()))).toEqual(parts(bytes([people, second])));
	});

	it('refuses rows out of order or beyond a sheet, and sheets left short', () => {
		const twoRows: XlsxSheet = { name: 'a', header: ['x'], columns: [], rows: [['1'], ['2']] };
		const head = sheetHead(twoRows);
		expect(head).toEqual({ name: 'a', header: ['x'], columns: [], rowCount: 2, width: 1 });
		const stream = new XlsxStream([sheetHead({ ...twoRows, rows: [] }), head]);
		stream.rows(1, [['1']]);
		expect(() => {
			stream.rows(0, []);
		}).toThrow(RangeError);
		const full = new XlsxStream([head]);
		expect(() => {
			full.rows(0, [['1'], ['2'], ['3']]);
		}).toThrow(RangeError);
		const short = new XlsxStream([head]);
		short.rows(0, [['1']]);
		expect(() => short.finish()).toThrow('sheet 1 got 1 of its 2 rows');
	});

	it('writes rows wider than the header', async () => {
		const wide: XlsxSheet = { name: 'w', header: ['a'], columns: [], rows: [['x', 'y', 3]] };
		const file = bytes([wide]);
		expect(parts(file)['xl/worksheets/sheet1.xml']).toContain('<dimension ref="A1:C2"/>');
		expect((await read(file))[0]?.data).toEqual([
			['a', null, null],
			['x', 'y', 3]
		]);
	});
});

describe('writeXlsx package parts', () => {
	const file = parts(bytes([people, { ...people, name: '第二页', header: [] }]));
	const sheet1 = file['xl/worksheets/sheet1.xml']!;
	const styles = file['xl/styles.xml']!;

	it('has the parts Excel needs, declared in [Content_Types].xml', () => {
		expect(Object.keys(file).sort()).toEqual([
			'[Content_Types].xml',
			'_rels/.rels',
			'xl/_rels/workbook.xml.rels',
			'xl/styles.xml',
			'xl/workbook.xml',
			'xl/worksheets/sheet1.xml',
			'xl/worksheets/sheet2.xml'
		]);
		for (const part of ['/xl/workbook.xml', '/xl/styles.xml', '/xl/worksheets/sheet2.xml']) {
			expect(file['[Content_Types].xml']).toContain(`PartName="${part}"`);
		}
	});

	it('freezes the header row of a sheet with a header, and only there', () => {
		expect(sheet1).toContain(
			'<sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
		);
		expect(file['xl/worksheets/sheet2.xml']).not.toContain('<pane');
		expect(sheet1).toContain('<dimension ref="A1:F7"/>');
	});

	it('sets the column widths', () => {
		expect(sheet1).toContain(
			'<cols><col min="1" max="1" width="12" customWidth="1"/><col min="2" max="2" width="10" customWidth="1"/>'
		);
	});

	it('makes the header bold and gives numbers their formats', () => {
		// cellXfs: 0 default, 1 bold (font 1 is <b/>), 2 = "0" (built-in 1), 3 = "0.0%" (custom 164).
		expect(styles).toContain('<font><b/>');
		expect(styles).toContain(
			'<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
		);
		expect(styles).toContain(
			'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="1" fontId="0"'
		);
		expect(styles).toContain('<xf numFmtId="164" fontId="0"');
		expect(sheet1).toContain('<c r="A1" s="1" t="inlineStr"><is><t>工号</t></is></c>');
		expect(sheet1).toContain('<c r="D2" s="2"><v>12</v></c><c r="E2" s="3"><v>0.8532</v></c>');
		// Empty cells are left out; text is an inline string, never a formula.
		expect(sheet1).toContain('<row r="4"><c r="A4" t="inlineStr"><is><t>E100003</t></is></c>');
		expect(sheet1).not.toContain('<f>');
		expect(sheet1).toContain('<t xml:space="preserve">\u3000内科分工会</t>');
	});

	it('writes only characters XML 1.0 allows', () => {
		const nasty: XlsxSheet = {
			name: 'x\u0001',
			header: ['a\u0000'],
			columns: [{ width: 5, format: '0.0"<&>"' }],
			rows: [['\u0002\u0003\uD800'], [1]]
		};
		for (const text of Object.values(parts(bytes([nasty])))) {
			// eslint-disable-next-line no-control-regex -- what must not appear
			expect(text).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uFFFD]/);
		}
	});
});
