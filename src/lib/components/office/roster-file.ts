// Reading a roster or units file the office chose: CSV in UTF-8 (with or without BOM) or GBK
// (Excel on a Chinese Windows saves GBK), or XLSX through read-excel-file (loaded only when an
// XLSX is chosen). Rows come out as objects keyed by the database's names, with the file's line
// number, for `import_roster` / `import_units` to validate; the server decides what is valid.

import {
	normaliseRow,
	rowsFromTable,
	toImportPayload,
	type Cell
} from '#lib/domain/roster-import.ts';

export type ImportKind = 'roster' | 'units';

const HEADERS: Record<ImportKind, Record<string, string>> = {
	roster: {
		工号: 'employee_no',
		姓名: 'name',
		性别: 'gender',
		人员类别: 'member_type',
		单位编码: 'unit_code',
		手机: 'phone',
		手机号: 'phone',
		邮箱: 'email',
		入会日期: 'joined_on'
	},
	units: { 单位编码: 'code', 单位名称: 'name', 上级编码: 'parent_code', 类型: 'kind' }
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

/** UTF-8 when the bytes are valid UTF-8, else GBK. */
export function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'gbk' } {
	try {
		const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return { text: text.replace(/^\uFEFF/, ''), encoding: 'utf-8' };
	} catch {
		return { text: new TextDecoder('gbk').decode(bytes), encoding: 'gbk' };
	}
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	let field = '';
	let record: string[] = [];
	let quoted = false;
	for (let i = 0; i < text.length; i += 1) {
		const char = text.charAt(i);
		if (quoted) {
			if (char === '"' && text[i + 1] === '"') {
				field += '"';
				i += 1;
			} else if (char === '"') quoted = false;
			else field += char;
		} else if (char === '"' && field === '') quoted = true;
		else if (char === ',') {
			record.push(field);
			field = '';
		} else if (char === '\n' || char === '\r') {
			if (char === '\r' && text[i + 1] === '\n') i += 1;
			record.push(field);
			records.push(record);
			record = [];
			field = '';
		} else field += char;
	}
	if (field !== '' || record.length > 0) {
		record.push(field);
		records.push(record);
	}
	return records;
}

/** Roster lines through the roster module (the same normalisation the server applies). */
function rosterRows(table: readonly (readonly Cell[])[]): Omit<ParsedFile, 'encoding'> {
	const { rows, missingFields } = rowsFromTable(table);
	const labels = Object.entries(HEADERS.roster);
	return {
		rows: toImportPayload(rows.map(normaliseRow)) as FileRow[],
		unknownHeaders: [],
		missingHeaders: missingFields.map(
			(field) => labels.find(([, key]) => key === field)?.[0] ?? field
		)
	};
}

function toRows(kind: ImportKind, table: string[][]): Omit<ParsedFile, 'encoding'> {
	if (kind === 'roster') return rosterRows(table);
	const [header = [], ...body] = table;
	const names = header.map((cell) => HEADERS[kind][cell.trim()] ?? null);
	const unknownHeaders = header.filter((cell, i) => names[i] === null && cell.trim() !== '');
	const missingHeaders = Object.entries(HEADERS[kind])
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
	const { text, encoding } = decodeText(bytes);
	return { ...toRows(kind, parseCsv(text)), encoding };
}
