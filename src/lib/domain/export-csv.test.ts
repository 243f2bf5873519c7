import { describe, expect, it } from 'vitest';
import { csvField, neutralizeFormula, toCsv, UTF8_BOM } from './export-csv.ts';

describe('toCsv', () => {
	it('starts with a UTF-8 byte-order mark and ends every record with CRLF', () => {
		const csv = toCsv([
			['工号', '姓名'],
			['10001', '张三']
		]);
		expect(csv.startsWith(UTF8_BOM)).toBe(true);
		expect(csv.slice(1)).toBe('工号,姓名\r\n10001,张三\r\n');
		expect(new TextEncoder().encode(csv).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
	});

	it('quotes fields with comma, quote, CR or LF and doubles quotes (RFC 4180)', () => {
		expect(csvField('a,b')).toBe('"a,b"');
		expect(csvField('say "hi"')).toBe('"say ""hi"""');
		expect(csvField('line1\nline2')).toBe('"line1\nline2"');
		expect(csvField('x\ry')).toBe('"x\ry"');
		expect(csvField('plain')).toBe('plain');
		expect(csvField('')).toBe('');
		expect(csvField(null)).toBe('');
	});

	it('writes numbers as numbers, negative ones included, and drops NaN', () => {
		expect(csvField(855)).toBe('855');
		expect(csvField(-3)).toBe('-3');
		expect(csvField(0.853)).toBe('0.853');
		expect(csvField(Number.NaN)).toBe('');
	});
});

describe('formula neutralisation', () => {
	it.each([
		['=HYPERLINK("http://x","点我")', `'=HYPERLINK("http://x","点我")`],
		['+1+1', "'+1+1"],
		['-2+3', "'-2+3"],
		['@SUM(A1)', "'@SUM(A1)"],
		['\tcmd', "'\tcmd"],
		['\rcmd', "'\rcmd"],
		['\0cmd', "'\0cmd"],
		['＝1+1', "'＝1+1"],
		['＋1', "'＋1"],
		['－1', "'－1"],
		['＠x', "'＠x"]
	])('prefixes %j with an apostrophe', (input, expected) => {
		expect(neutralizeFormula(input)).toBe(expected);
	});

	it('leaves ordinary text alone, including a formula character later on', () => {
		expect(neutralizeFormula('张三')).toBe('张三');
		expect(neutralizeFormula('a=b')).toBe('a=b');
		expect(neutralizeFormula("'=already")).toBe("'=already");
	});

	it('neutralises before quoting, so the quoted field starts with the apostrophe', () => {
		expect(csvField('=HYPERLINK("http://x","点我")')).toBe(`"'=HYPERLINK(""http://x"",""点我"")"`);
		expect(toCsv([['=1+1', 5]])).toBe(`${UTF8_BOM}'=1+1,5\r\n`);
	});
});
