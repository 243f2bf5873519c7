// The tables behind the report exports: one table per grouping (unit, category, month,
// activity), the same table as CSV and as an XLSX sheet with Chinese headers and a frozen header
// row. Pure: the page loads write-excel-file only when the office exports, and hands it
// `xlsxSheets(...)`.
import { neutralizeFormula, toCsv, type CellValue } from './export-csv.ts';

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

/** Excel refuses sheet names over 31 characters, with []:*?/\ or repeated. */
export function sheetName(name: string, taken: ReadonlySet<string> = new Set()): string {
	const base = Array.from(name.replace(/[[\]:*?/\\]/g, ' ').trim() || 'Sheet')
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

/** The cell objects write-excel-file takes (a structural subset of its `CellObject`). */
export interface XlsxCell {
	value?: string | number;
	type?: StringConstructor | NumberConstructor;
	format?: string;
	fontWeight?: 'bold';
	wrap?: boolean;
}

export interface XlsxSheet {
	sheet: string;
	data: (XlsxCell | null)[][];
	columns: { width: number }[];
	stickyRowsCount: number;
}

function xlsxCell(value: CellValue, kind: ColumnKind): XlsxCell | null {
	if (value === null) return null;
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) return null;
		return kind === 'percent'
			? { value, type: Number, format: '0.0%' }
			: { value, type: Number, format: '0' };
	}
	// Text is written as text, never as a formula; formula-like text is neutralised all the same,
	// so a sheet saved on to CSV by someone else stays safe.
	return { value: neutralizeFormula(value), type: String };
}

/** One sheet per table, bold Chinese headers, the header row frozen. */
export function xlsxSheets(tables: readonly Table[]): XlsxSheet[] {
	const taken = new Set<string>();
	return tables.map((table) => {
		const name = sheetName(table.name, taken);
		taken.add(name);
		return {
			sheet: name,
			data: [
				table.headers.map((header) => ({
					value: header,
					type: String,
					fontWeight: 'bold' as const
				})),
				...table.rows.map((row) =>
					row.map((cell, index) => xlsxCell(cell, table.kinds[index] ?? 'text'))
				)
			],
			columns: table.widths.map((width) => ({ width })),
			stickyRowsCount: 1
		};
	});
}
