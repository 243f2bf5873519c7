// The XML parts of the office's XLSX exports (xlsx-writer.ts zips them): typed cells (text,
// numbers with a number format, empty), a bold header row frozen in place, column widths, several
// sheets. Written directly as strings; a worksheet is written in pieces (its start, rows, its
// end), so a 150,000-row sheet never exists as one string. Loaded only when the office exports:
// export-sheets.ts, in the reports page's own JavaScript, takes nothing but types from here.
//
// Text is always written as text (inline strings, never a formula), and formula-like text is
// neutralised all the same (export-csv.ts), so a sheet saved on to CSV by someone else stays safe.
// Characters XML 1.0 forbids (control characters other than tab, line feed and carriage return,
// lone surrogates, U+FFFE/U+FFFF) are dropped; a literal "_xHHHH_" is escaped so that Excel does
// not read it as an escaped character.
import { neutralizeFormula, type CellValue } from './export-csv.ts';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
/** Content types of the parts, after this prefix. */
const CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

/** The most characters a cell holds in Excel. */
export const MAX_CELL_TEXT = 32_767;
/** The most rows a sheet has in Excel. */
export const MAX_ROWS = 1_048_576;

export interface XlsxColumn {
	/** Width in characters. */
	width: number;
	/** Number format of the column's numeric cells ('0', '0.0%'); General when absent. */
	format?: string;
}

export interface XlsxSheet {
	/** Made legal and unique by `sheetName` (export-sheets.ts) when written. */
	name: string;
	columns: readonly XlsxColumn[];
	/** The header row: bold, and frozen when it is not empty. */
	header: readonly string[];
	rows: readonly (readonly CellValue[])[];
}

// ---------------------------------------------------------------------------------------------
// XML text
// ---------------------------------------------------------------------------------------------

/** Anything that needs more than copying: markup characters, forbidden characters, "_xHHHH_". */
const NEEDS_WORK =
	// eslint-disable-next-line no-control-regex -- control characters are what it looks for
	/[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]|_x[0-9A-Fa-f]{4}_/;
/** Characters XML 1.0 does not allow, even as references. */
const FORBIDDEN =
	// eslint-disable-next-line no-control-regex -- control characters are what it removes
	/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MARKUP = /[&<>"'\r]|_(?=x[0-9A-Fa-f]{4}_)/g;
const ENTITY: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&apos;',
	// Kept as a reference: a literal CR would be read back as a line feed.
	'\r': '&#13;',
	// ECMA-376 ST_Xstring: "_x0041_" as text is written "_x005F_x0041_".
	_: '_x005F_'
};

/** Text without the characters XML 1.0 forbids (see above). */
function allowed(text: string): string {
	return NEEDS_WORK.test(text) ? text.replace(FORBIDDEN, '') : text;
}

/** Allowed text with markup escaped. */
function markup(text: string): string {
	return NEEDS_WORK.test(text) ? text.replace(MARKUP, (char) => ENTITY[char] ?? '') : text;
}

/** Text for XML element content or an attribute value. */
export function xmlEscape(text: string): string {
	return markup(allowed(text));
}

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
	let letters = '';
	for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
		letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
	}
	return letters;
}

/** An inline string cell, or '' when nothing is left of the text. */
function textCell(ref: string, text: string, style: string): string {
	const kept = allowed(text);
	if (kept === '') return '';
	// Neutralised after dropping forbidden characters, which could otherwise hide a leading "=".
	let safe = neutralizeFormula(kept);
	if (safe.length > MAX_CELL_TEXT) {
		safe = safe.slice(0, MAX_CELL_TEXT);
		if (/[\uD800-\uDBFF]$/.test(safe)) safe = safe.slice(0, -1);
	}
	const escaped = markup(safe);
	// Leading or trailing white space (also the full-width spaces that indent the unit tree)
	// is kept only with xml:space="preserve".
	const preserve = /^\s|\s$/.test(escaped) ? ' xml:space="preserve"' : '';
	return `<c r="${ref}"${style} t="inlineStr"><is><t${preserve}>${escaped}</t></is></c>`;
}

// ---------------------------------------------------------------------------------------------
// Styles: cellXfs 0 = default, 1 = bold header, then one per number format in use.
// ---------------------------------------------------------------------------------------------

/** Number formats Excel knows by id (ECMA-376 §18.8.30); others get ids from 164. */
const BUILTIN_FORMATS: Record<string, number> = {
	General: 0,
	'0': 1,
	'0.00': 2,
	'#,##0': 3,
	'#,##0.00': 4,
	'0%': 9,
	'0.00%': 10
};

export interface Styles {
	xml: string;
	/** The `s` attribute (' s="2"') for numeric cells, per format. */
	attribute: Map<string, string>;
}

export function buildStyles(sheets: readonly { columns: readonly XlsxColumn[] }[]): Styles {
	const formats = [
		...new Set(sheets.flatMap((sheet) => sheet.columns.map((column) => column.format ?? 'General')))
	].filter((format) => format !== 'General');
	const custom: string[] = [];
	const attribute = new Map<string, string>();
	const xfs = [
		'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
		'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
	];
	for (const format of formats) {
		let id = BUILTIN_FORMATS[format];
		if (id === undefined) {
			id = 164 + custom.length;
			custom.push(`<numFmt numFmtId="${id}" formatCode="${xmlEscape(format)}"/>`);
		}
		attribute.set(format, ` s="${xfs.length}"`);
		xfs.push(
			`<xf numFmtId="${id}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`
		);
	}
	const xml =
		XML_DECLARATION +
		`<styleSheet xmlns="${MAIN_NS}">` +
		(custom.length > 0 ? `<numFmts count="${custom.length}">${custom.join('')}</numFmts>` : '') +
		'<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
		'<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
		'<fills count="2"><fill><patternFill patternType="none"/></fill>' +
		'<fill><patternFill patternType="gray125"/></fill></fills>' +
		'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
		'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
		`<cellXfs count="${xfs.length}">${xfs.join('')}</cellXfs>` +
		'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
		'</styleSheet>';
	return { xml, attribute };
}

// ---------------------------------------------------------------------------------------------
// Package parts
// ---------------------------------------------------------------------------------------------

export function contentTypes(count: number): string {
	let sheets = '';
	for (let i = 1; i <= count; i++) {
		sheets += `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="${CT}.worksheet+xml"/>`;
	}
	return (
		XML_DECLARATION +
		'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
		'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
		'<Default Extension="xml" ContentType="application/xml"/>' +
		`<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/>` +
		sheets +
		'</Types>'
	);
}

export const ROOT_RELS =
	XML_DECLARATION +
	`<Relationships xmlns="${PKG_REL_NS}">` +
	`<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/>` +
	'</Relationships>';

export function workbookXml(names: readonly string[]): string {
	return (
		XML_DECLARATION +
		`<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
		'<bookViews><workbookView activeTab="0"/></bookViews><sheets>' +
		names
			.map((name, i) => `<sheet name="${xmlEscape(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
			.join('') +
		'</sheets></workbook>'
	);
}

export function workbookRels(count: number): string {
	let rels = '';
	for (let i = 1; i <= count; i++) {
		rels += `<Relationship Id="rId${i}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i}.xml"/>`;
	}
	rels += `<Relationship Id="rId${count + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>`;
	return XML_DECLARATION + `<Relationships xmlns="${PKG_REL_NS}">${rels}</Relationships>`;
}

/** What the start of a worksheet needs to know about it: everything but the rows. */
export interface XlsxSheetHead {
	name: string;
	columns: readonly XlsxColumn[];
	header: readonly string[];
	/** Rows after the header. */
	rowCount: number;
	/** Columns in the widest row, header included. */
	width: number;
}

export function sheetHead(sheet: XlsxSheet): XlsxSheetHead {
	let width = Math.max(sheet.header.length, sheet.columns.length);
	for (const row of sheet.rows) width = Math.max(width, row.length);
	return {
		name: sheet.name,
		columns: sheet.columns,
		header: sheet.header,
		rowCount: sheet.rows.length,
		width
	};
}

/** A worksheet being written: cell references and styles per column, the next row's number. */
export interface WorksheetState {
	letters: string[];
	numberStyle: string[];
	/** Row numbers (1-based, the header is row 1): the first after the header, the next, the last. */
	firstRow: number;
	nextRow: number;
	lastRow: number;
}

/**
 * The start of a worksheet's XML (dimension, frozen pane, widths, the header row) and the state
 * `worksheetRows` continues from; `WORKSHEET_END` closes it.
 */
export function worksheetStart(
	sheet: XlsxSheetHead,
	styles: ReadonlyMap<string, string>,
	selected = false
): { xml: string; state: WorksheetState } {
	const hasHeader = sheet.header.length > 0;
	const letters = Array.from({ length: sheet.width }, (_, i) => columnLetters(i));
	const numberStyle = letters.map((_, i) => styles.get(sheet.columns[i]?.format ?? '') ?? '');
	const lastRow = sheet.rowCount + (hasHeader ? 1 : 0);
	if (lastRow > MAX_ROWS) {
		throw new RangeError(`${lastRow} rows do not fit in one sheet (Excel's limit: ${MAX_ROWS})`);
	}
	const dimension =
		sheet.width === 0 || lastRow === 0 ? 'A1' : `A1:${letters[sheet.width - 1]!}${lastRow}`;
	const tabSelected = selected ? ' tabSelected="1"' : '';
	const view = hasHeader
		? `<sheetView${tabSelected} workbookViewId="0">` +
			'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
			'<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
		: `<sheetView${tabSelected} workbookViewId="0"/>`;
	const cols = sheet.columns
		.map((column, i) => {
			const chars = Number.isFinite(column.width) ? Math.min(255, Math.max(0, column.width)) : 10;
			return `<col min="${i + 1}" max="${i + 1}" width="${chars}" customWidth="1"/>`;
		})
		.join('');
	let xml =
		XML_DECLARATION +
		`<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
		`<dimension ref="${dimension}"/><sheetViews>${view}</sheetViews>` +
		'<sheetFormatPr defaultRowHeight="15"/>' +
		(cols === '' ? '' : `<cols>${cols}</cols>`) +
		'<sheetData>';
	if (hasHeader) {
		xml += '<row r="1">';
		sheet.header.forEach((text, c) => {
			xml += textCell(`${letters[c] ?? columnLetters(c)}1`, text, ' s="1"');
		});
		xml += '</row>';
	}
	const firstRow = hasHeader ? 2 : 1;
	return { xml, state: { letters, numberStyle, firstRow, nextRow: firstRow, lastRow } };
}

/** The next rows of a worksheet, as XML; numbers empty cells out, text as inline strings. */
export function worksheetRows(
	rows: readonly (readonly CellValue[])[],
	state: WorksheetState
): string {
	if (state.nextRow + rows.length - 1 > state.lastRow) {
		throw new RangeError(
			`more rows than the ${state.lastRow - state.firstRow + 1} the sheet was started with`
		);
	}
	const { letters, numberStyle } = state;
	let r = state.nextRow;
	let xml = '';
	for (const row of rows) {
		xml += `<row r="${r}">`;
		for (let c = 0; c < row.length; c++) {
			const value = row[c];
			if (typeof value === 'number') {
				if (Number.isFinite(value)) {
					xml += `<c r="${letters[c] ?? columnLetters(c)}${r}"${numberStyle[c] ?? ''}><v>${value}</v></c>`;
				}
			} else if (typeof value === 'string') {
				xml += textCell(`${letters[c] ?? columnLetters(c)}${r}`, value, '');
			}
		}
		xml += '</row>';
		r += 1;
	}
	state.nextRow = r;
	return xml;
}

export const WORKSHEET_END = '</sheetData></worksheet>';
