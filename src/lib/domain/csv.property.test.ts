// Property tests of the CSV export (abuse catalogue F1, F2): whatever text members type into
// their names, no cell of an export opens as a formula, and the file reads back as written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.ts';
import { csvField as csvCell, toCsv } from './export-csv.ts';

/** What the export neutralises: ASCII and full-width formula starts, tab, CR, NUL. */
const FORMULA_START = /^[=+\-@\t\r\0＝＋－＠]/u;

/** Text an attacker would type, mixed with ordinary and awkward characters. */
const nasty = fc.oneof(
	fc.string(),
	fc.constantFrom(
		'=HYPERLINK("http://evil.example","x")',
		'+cmd|" /C calc"!A0',
		'-2+3',
		'@SUM(A1:A9)',
		'\t=1+1',
		'\r=1+1',
		'"quoted", comma',
		'line\r\nbreak',
		' padded ',
		'张三'
	),
	fc
		.tuple(
			fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠'),
			fc.string()
		)
		.map(([first, rest]) => first + rest)
);

describe('CSV export (fast-check)', () => {
	it('F1 no cell starts with = + - @ tab or CR once written: a formula is shown as text', () => {
		fc.assert(
			fc.property(nasty, (text) => {
				const cell = csvCell(text);
				const unquoted = cell.startsWith('"') ? cell.slice(1) : cell;
				expect(unquoted).not.toMatch(FORMULA_START);
			}),
			{ numRuns: 1000 }
		);
	});

	it('F2 RFC 4180 round trip: commas, quotes and line breaks read back as written (with BOM)', () => {
		fc.assert(
			fc.property(
				// A row of one empty cell is an empty line: CSV cannot tell them apart.
				fc.array(
					fc
						.array(nasty, { minLength: 1, maxLength: 5 })
						.filter((row) => !(row.length === 1 && row[0] === '')),
					{ minLength: 1, maxLength: 8 }
				),
				(rows) => {
					const file = toCsv(rows);
					expect(file.startsWith('\uFEFF')).toBe(true);
					const parsed = parseCsv(file);
					const expected = rows.map((row) =>
						row.map((text) => (FORMULA_START.test(text) ? `'${text}` : text))
					);
					expect(parsed).toEqual(expected);
				}
			),
			{ numRuns: 500 }
		);
	});
});
