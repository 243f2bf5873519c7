import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTextWithEncoding } from '#lib/domain/csv.ts';
import { readImportFile } from './roster-file.ts';

describe('roster file', () => {
	it('decodes GBK when the bytes are not UTF-8', () => {
		const bytes = readFileSync('tests/fixtures/roster-gbk.csv');
		const { text, encoding } = decodeTextWithEncoding(new Uint8Array(bytes));
		expect(encoding).toBe('gbk');
		expect(text.startsWith('工号,姓名')).toBe(true);
	});

	it('keys rows by column, with line numbers and full-width digits folded', async () => {
		const bytes = readFileSync('tests/fixtures/roster-bad.csv');
		const file = new File([bytes], 'roster-bad.csv');
		const parsed = await readImportFile('roster', file);
		expect(parsed.encoding).toBe('utf-8');
		expect(parsed.rows[0]).toMatchObject({ line: 2, employee_no: '10001', name: '张三' });
		expect(parsed.rows.find((row) => row.line === 11)?.name).toBe('=HYPERLINK("http://x","点我")');
		expect(parsed.rows.find((row) => row.line === 12)).toMatchObject({
			employee_no: '10011',
			phone: '13800000011'
		});
	});
});
