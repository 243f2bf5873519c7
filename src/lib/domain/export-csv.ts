// CSV as the union office's spreadsheets open it: UTF-8 with a byte-order mark (so Excel on a
// Chinese Windows reads UTF-8, not GBK), RFC 4180 quoting, CRLF line ends, and no formulas: a
// text cell that a spreadsheet would evaluate (=, +, -, @, tab, CR, NUL, and full-width forms,
// which some spreadsheets fold to ASCII) gets a leading apostrophe (OWASP "CSV injection").

export type CellValue = string | number | null;

export const UTF8_BOM = '\uFEFF';

/** The first characters that make a spreadsheet read a cell as a formula (or a DDE call). */
const FORMULA_TRIGGER = /^[=+\-@\t\r\0＝＋－＠]/u;

/** Text safe to put in a spreadsheet cell: formula-like text is prefixed with `'`. */
export function neutralizeFormula(text: string): string {
	return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/** One field: numbers as they are, text neutralised and quoted when it holds , " CR or LF. */
export function csvField(value: CellValue): string {
	if (value === null) return '';
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
	const text = neutralizeFormula(value);
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A whole file: BOM, then one CRLF-terminated record per row. */
export function toCsv(rows: readonly (readonly CellValue[])[]): string {
	return UTF8_BOM + rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}
