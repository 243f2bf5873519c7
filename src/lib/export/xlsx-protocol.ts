// Messages between the page and the XLSX worker. The rows go over in slices of a few thousand,
// so that copying them to the worker never holds up the page for long, and the worker writes
// each slice as it comes: `start` (the sheets without their rows), `rows` (repeated, sheets in
// order), `end`; the worker answers with the file or an error.
import type { CellValue } from '#lib/domain/export-csv.ts';
import type { WriteOptions, XlsxSheetHead } from '#lib/domain/xlsx-writer.ts';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export type XlsxRequest =
	| { kind: 'start'; sheets: XlsxSheetHead[]; options: WriteOptions }
	| { kind: 'rows'; sheet: number; rows: readonly (readonly CellValue[])[] }
	| { kind: 'end' };

export type XlsxReply = { ok: true; blob: Blob } | { ok: false; message: string };
