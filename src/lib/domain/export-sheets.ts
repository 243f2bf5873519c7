// The tables behind the report exports: one table per grouping (unit, category, month,
// activity), the same table as CSV and as an XLSX sheet with Chinese headers and a frozen header
// row. Pure: the page hands `xlsxSheets(...)` to the XLSX writer (xlsx-writer.ts), which it loads,
// in a worker, only when the office exports (src/lib/export/xlsx.ts).
import { toCsv, type CellValue } from './export-csv.ts';
import type { XlsxSheet } from './xlsx-xml.ts';

export type ColumnKind = 'text' | 'integer' | 'percent';

export interface ColumnSpec<T> {
	header: string;
	kind: ColumnKind;
	value: (row: T) => CellValue;
	/** Width in characters in the XLSX sheet. */
	width?: number;
}

export interface Table {
	/** The sheet's name (XLSX) and the file's suffix (CSV). */
	name: string;
	headers: string[];
	kinds: ColumnKind[];
	widths: number[];
	rows: CellValue[][];
}

export function buildTable<T>(
	name: string,
	columns: readonly ColumnSpec<T>[],
	rows: readonly T[]
): Table {
	return {
		name,
		headers: columns.map((column) => column.header),
		kinds: columns.map((column) => column.kind),
		widths: columns.map((column) => column.width ?? (column.kind === 'text' ? 24 : 12)),
		rows: rows.map((row) => columns.map((column) => column.value(row)))
	};
}

/** A rate (0.853) as the screen and the work report print it: "85.3%". */
export function formatPercent(rate: number | null, digits = 1): string {
	if (rate === null || !Number.isFinite(rate)) return '—';
	return `${(rate * 100).toFixed(digits)}%`;
}

/** The change against last year as a fraction (0.1 = +10%), or null when there is no base. */
export function yearOverYear(current: number, previous: number | null): number | null {
	if (previous === null || previous === 0) return null;
	return (current - previous) / previous;
}

/** CSV: percentages as the screen prints them, everything else as is. */
export function tableToCsv(table: Table): string {
	return toCsv([
		table.headers,
		...table.rows.map((row) =>
			row.map((cell, index) =>
				table.kinds[index] === 'percent' && typeof cell === 'number' ? formatPercent(cell) : cell
			)
		)
	]);
}

/**
 * Excel refuses sheet names over 31 characters, with []:*?/\ or control characters, starting or
 * ending with an apostrophe, or repeated.
 */
export function sheetName(name: string, taken: ReadonlySet<string> = new Set()): string {
	const cleaned = name
		// eslint-disable-next-line no-control-regex -- control characters are what it removes
		.replace(/[[\]:*?/\\\u0000-\u001F]/g, ' ')
		.trim()
		.replace(/^'+|'+$/g, '')
		.trim();
	const base = Array.from(cleaned || 'Sheet')
		.slice(0, 31)
		.join('');
	let candidate = base;
	for (let n = 2; taken.has(candidate); n += 1) {
		const suffix = `(${n})`;
		candidate =
			Array.from(base)
				.slice(0, 31 - suffix.length)
				.join('') + suffix;
	}
	return candidate;
}

const XLSX_FORMAT: Record<ColumnKind, string | undefined> = {
	text: undefined,
	integer: '0',
	percent: '0.0%'
};

/**
 * One sheet per table for the XLSX writer: bold Chinese headers, the header row frozen, numbers
 * with their column's format (percentages as numbers shown "85.3%"). The rows are the table's own
 * arrays, not copies; the writer neutralises formula-like text as it writes it.
 */
export function xlsxSheets(tables: readonly Table[]): XlsxSheet[] {
	const taken = new Set<string>();
	return tables.map((table) => {
		const name = sheetName(table.name, taken);
		taken.add(name);
		return {
			name,
			header: table.headers,
			columns: table.widths.map((width, index) => {
				const format = XLSX_FORMAT[table.kinds[index] ?? 'text'];
				return format === undefined ? { width } : { width, format };
			}),
			rows: table.rows
		};
	});
}
