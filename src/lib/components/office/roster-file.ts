// Reading a roster or units file the office chose: CSV in UTF-8 (with or without BOM) or GBK
// (Excel on a Chinese Windows saves GBK), or XLSX through read-excel-file (loaded only when an
// XLSX is chosen). Rows come out as objects keyed by the database's names, with the file's line
// number, for `import_roster` / `import_units` to validate; the server decides what is valid.

import { decodeTextWithEncoding, parseCsv } from '#lib/domain/csv.ts';
import {
	normaliseRow,
	ROSTER_FIELD_LABELS,
	rowsFromTable,
	toImportPayload,
	type Cell
} from '#lib/domain/roster-import.ts';

export type ImportKind = 'roster' | 'units';

/** The units file's headers (the roster's are the roster module's, with their aliases). */
const UNIT_HEADERS: Record<string, string> = {
	单位编码: 'code',
	单位名称: 'name',
	上级编码: 'parent_code',
	类型: 'kind'
};

export interface FileRow {
	line: number;
	[key: string]: string | number;
}

export interface ParsedFile {
	rows: FileRow[];
	/** Header cells that were not recognised (shown as a warning). */
	unknownHeaders: string[];
	missingHeaders: string[];
	encoding: 'utf-8' | 'gbk' | 'xlsx';
}

/** Roster lines through the roster module (the same normalisation the server applies). */
function rosterRows(table: readonly (readonly Cell[])[]): Omit<ParsedFile, 'encoding'> {
	const { rows, missingFields } = rowsFromTable(table);
	return {
		rows: toImportPayload(rows.map(normaliseRow)) as FileRow[],
		unknownHeaders: [],
		missingHeaders: missingFields.map((field) => ROSTER_FIELD_LABELS[field])
	};
}

function toRows(kind: ImportKind, table: string[][]): Omit<ParsedFile, 'encoding'> {
	return kind === 'roster' ? rosterRows(table) : unitRows(table);
}

function unitRows(table: string[][]): Omit<ParsedFile, 'encoding'> {
	const [header = [], ...body] = table;
	const names = header.map((cell) => UNIT_HEADERS[cell.trim()] ?? null);
	const unknownHeaders = header.filter((cell, i) => names[i] === null && cell.trim() !== '');
	const missingHeaders = Object.entries(UNIT_HEADERS)
		.filter(
			([, key], index, all) => !names.includes(key) && all.findIndex(([, k]) => k === key) === index
		)
		.map(([label]) => label)
		.filter((label) => ['工号', '姓名', '单位编码', '单位名称'].includes(label));
	const rows: FileRow[] = [];
	body.forEach((cells, index) => {
		if (cells.every((cell) => cell.trim() === '')) return;
		const row: FileRow = { line: index + 2 };
		names.forEach((key, i) => {
			if (key === null) return;
			const raw = cells[i] ?? '';
			// Names keep their characters; codes, numbers and dates fold full-width forms (１２３ → 123).
			row[key] = key === 'name' ? raw.trim() : raw.normalize('NFKC').trim();
		});
		rows.push(row);
	});
	return { rows, unknownHeaders, missingHeaders };
}

function cellText(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (value instanceof Date) return value.toISOString().slice(0, 10);
	return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
		? String(value)
		: '';
}

export async function readImportFile(kind: ImportKind, file: File): Promise<ParsedFile> {
	const bytes = new Uint8Array(await file.arrayBuffer());
	const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
	if (isZip || /\.xlsx$/i.test(file.name)) {
		const { default: readXlsxFile } = await import('read-excel-file/browser');
		const sheets = await readXlsxFile(file);
		const data = sheets[0]?.data ?? [];
		return {
			...toRows(
				kind,
				data.map((row) => row.map(cellText))
			),
			encoding: 'xlsx'
		};
	}
	const { text, encoding } = decodeTextWithEncoding(bytes);
	return { ...toRows(kind, parseCsv(text)), encoding };
}
