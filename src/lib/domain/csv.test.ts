import { describe, expect, test } from 'vitest';
import { decodeText, parseCsv } from './csv.ts';

describe('parseCsv', () => {
	test('reads RFC 4180: quotes, doubled quotes, commas and line breaks inside quotes, CRLF', () => {
		expect(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",z\r\n')).toEqual([
			['a', 'b'],
			['x, y', 'say "hi"'],
			['multi\nline', 'z']
		]);
	});
	test('LF, CR, a BOM, a missing last line end and empty fields', () => {
		expect(parseCsv('\uFEFFa,,c\nd,e,\rf')).toEqual([['a', '', 'c'], ['d', 'e', ''], ['f']]);
	});
});

describe('decodeText', () => {
	test('UTF-8 with BOM, UTF-8 without, and GBK', () => {
		const utf8 = new TextEncoder().encode('\uFEFF工号,姓名');
		expect(decodeText(utf8)).toBe('工号,姓名');
		expect(decodeText(new TextEncoder().encode('工号'))).toBe('工号');
		// 工号 in GBK.
		expect(decodeText(new Uint8Array([0xb9, 0xa4, 0xba, 0xc5]))).toBe('工号');
	});
});
