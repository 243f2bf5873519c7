// A small XLSX writer made for the office's exports: the XML parts of xlsx-xml.ts, deflated into
// a ZIP as they are made (fflate's streaming Zip, a hundred-odd rows at a time), so neither a
// sheet's XML nor an uncompressed copy of it is ever held whole, and rows can be written as they
// arrive (XlsxStream) and dropped. Pure: it runs in the export worker
// (src/lib/export/xlsx.worker.ts), in Node for the tests, or on the page when workers are
// unavailable.
import { Zip, ZipDeflate } from 'fflate';
import type { CellValue } from './export-csv.ts';
import { sheetName } from './export-sheets.ts';
import {
	buildStyles,
	contentTypes,
	ROOT_RELS,
	sheetHead,
	workbookRels,
	workbookXml,
	WORKSHEET_END,
	worksheetRows,
	worksheetStart,
	type WorksheetState,
	type XlsxSheet,
	type XlsxSheetHead
} from './xlsx-xml.ts';

export { sheetHead };
export type { XlsxSheet, XlsxSheetHead } from './xlsx-xml.ts';

export type Level = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * Deflate level. Measured in Node (V8) on 150,000 rows × 8 columns (57 MB of sheet XML), writing
 * included: level 1 ≈ 1.1 s and 6.6 MB, level 2 ≈ 1.1 s and 6.1 MB, level 5 ≈ 1.4 s and 4.9 MB,
 * level 6 ≈ 2.0 s and 4.7 MB. The time budget matters more than a megabyte on a file this size;
 * the office's usual workbooks (a few hundred rows) are a few kilobytes at any level.
 */
export const DEFAULT_LEVEL: Level = 2;

export interface WriteOptions {
	/** Deflate level: 1 fastest, 9 smallest. */
	level?: Level;
}

/** Rows per piece of sheet XML handed to the compressor (about 50 KB for 8 columns). */
const ROWS_PER_PIECE = 128;

/**
 * A workbook written as its rows arrive: `rows(sheet, rows)` for the sheets in order (each
 * exactly its `rowCount` rows in all), then `finish()` for the file. Sheet names are made legal
 * and unique; a workbook with no sheets gets one empty sheet.
 */
export class XlsxStream {
	private readonly heads: XlsxSheetHead[];
	private readonly styles: Map<string, string>;
	private readonly level: Level;
	private readonly zip: Zip;
	private readonly chunks: Uint8Array<ArrayBuffer>[] = [];
	private readonly failure: { error: Error | null } = { error: null };
	private readonly encoder = new TextEncoder();
	/** One buffer for the UTF-8 of every piece: the compressor copies what it is given. */
	private buffer = new Uint8Array(1 << 16);
	/** The sheet being written (index into heads), its ZIP entry and where its rows are. */
	private current = -1;
	private file: ZipDeflate | null = null;
	private state: WorksheetState | null = null;

	constructor(sheets: readonly XlsxSheetHead[], options: WriteOptions = {}) {
		this.level = options.level ?? DEFAULT_LEVEL;
		this.heads =
			sheets.length > 0
				? [...sheets]
				: [{ name: 'Sheet1', columns: [], header: [], rowCount: 0, width: 0 }];
		const taken = new Set<string>();
		const names = this.heads.map((sheet) => {
			const name = sheetName(sheet.name, taken);
			taken.add(name);
			return name;
		});
		const styles = buildStyles(this.heads);
		this.styles = styles.attribute;
		// fflate's synchronous streams call back before push() returns.
		const { chunks, failure } = this;
		this.zip = new Zip((error, chunk) => {
			if (error) failure.error = error;
			else chunks.push(chunk);
		});
		this.whole('[Content_Types].xml', contentTypes(this.heads.length));
		this.whole('_rels/.rels', ROOT_RELS);
		this.whole('xl/workbook.xml', workbookXml(names));
		this.whole('xl/_rels/workbook.xml.rels', workbookRels(this.heads.length));
		this.whole('xl/styles.xml', styles.xml);
	}

	/** The next rows of sheet `sheet` (sheets in order; earlier sheets are closed). */
	rows(sheet: number, rows: readonly (readonly CellValue[])[]): void {
		if (sheet < this.current || sheet >= this.heads.length) {
			throw new RangeError(`sheet ${sheet} is not open for rows`);
		}
		while (this.current < sheet) this.next();
		const { file, state } = this;
		for (let from = 0; from < rows.length; from += ROWS_PER_PIECE) {
			this.push(file!, worksheetRows(rows.slice(from, from + ROWS_PER_PIECE), state!));
		}
		this.check();
	}

	/** Closes every sheet and the ZIP: the file's bytes, in chunks (for a Blob). */
	finish(): Uint8Array<ArrayBuffer>[] {
		while (this.current < this.heads.length) this.next();
		this.zip.end();
		this.check();
		return this.chunks;
	}

	/** Closes the current sheet (checking its row count) and starts the next, if any. */
	private next(): void {
		if (this.file !== null && this.state !== null) {
			const { firstRow, nextRow, lastRow } = this.state;
			if (nextRow !== lastRow + 1) {
				throw new RangeError(
					`sheet ${this.current + 1} got ${nextRow - firstRow} of its ${lastRow - firstRow + 1} rows`
				);
			}
			this.push(this.file, WORKSHEET_END);
			this.file.push(new Uint8Array(0), true);
			this.file = null;
			this.state = null;
		}
		this.current += 1;
		const head = this.heads[this.current];
		if (head === undefined) return;
		this.file = new ZipDeflate(`xl/worksheets/sheet${this.current + 1}.xml`, {
			level: this.level
		});
		this.zip.add(this.file);
		const { xml, state } = worksheetStart(head, this.styles, this.current === 0);
		this.state = state;
		this.push(this.file, xml);
	}

	private whole(path: string, xml: string): void {
		const file = new ZipDeflate(path, { level: this.level });
		this.zip.add(file);
		this.push(file, xml);
		file.push(new Uint8Array(0), true);
	}

	private push(file: ZipDeflate, xml: string): void {
		if (xml === '') return;
		if (xml.length * 3 > this.buffer.length) this.buffer = new Uint8Array(xml.length * 3);
		const { written } = this.encoder.encodeInto(xml, this.buffer);
		file.push(this.buffer.subarray(0, written));
	}

	private check(): void {
		if (this.failure.error !== null) throw this.failure.error;
	}
}

/** The whole workbook at once: the file's bytes in chunks (for a Blob, or to concatenate). */
export function writeXlsx(
	sheets: readonly XlsxSheet[],
	options: WriteOptions = {}
): Uint8Array<ArrayBuffer>[] {
	const stream = new XlsxStream(sheets.map(sheetHead), options);
	sheets.forEach((sheet, index) => {
		stream.rows(index, sheet.rows);
	});
	return stream.finish();
}
