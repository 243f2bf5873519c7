// The roster import (名册导入), client side: reads a roster table (CSV rows, or rows an XLSX reader
// produced) into normalised rows, and validates each line with the same rules, codes and order
// as the database (private.roster_check in supabase/schemas/05_roster.sql), so the preview
// the office sees before sending matches what the server will do. The server checks again:
// this is for fast feedback, never the only check.

import { decodeText, parseCsv } from './csv.ts';
import { GENDERS, MEMBER_TYPES } from './whoami.ts';

export const ROSTER_FIELDS = [
	'employee_no',
	'name',
	'gender',
	'member_type',
	'unit_code',
	'phone',
	'email',
	'joined_on'
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

/** Header names (after folding full-width characters and removing spaces) → field. */
const HEADERS: Record<string, RosterField> = {
	工号: 'employee_no',
	职工号: 'employee_no',
	员工编号: 'employee_no',
	姓名: 'name',
	性别: 'gender',
	人员类别: 'member_type',
	人员类型: 'member_type',
	类别: 'member_type',
	单位编码: 'unit_code',
	单位代码: 'unit_code',
	手机: 'phone',
	手机号: 'phone',
	手机号码: 'phone',
	邮箱: 'email',
	电子邮箱: 'email',
	邮件: 'email',
	入会日期: 'joined_on',
	入会时间: 'joined_on'
};

/** Each field's column header in the template and in "missing column" messages. */
export const ROSTER_FIELD_LABELS: Record<RosterField, string> = {
	employee_no: '工号',
	name: '姓名',
	gender: '性别',
	member_type: '人员类别',
	unit_code: '单位编码',
	phone: '手机',
	email: '邮箱',
	joined_on: '入会日期'
};

/** The fields a roster file must have columns for. */
export const REQUIRED_FIELDS: readonly RosterField[] = [
	'employee_no',
	'name',
	'gender',
	'member_type',
	'unit_code'
];

export const ROSTER_REASONS = [
	'employee_no_missing',
	'employee_no_invalid',
	'duplicate_in_file',
	'name_missing',
	'name_too_long',
	'gender_invalid',
	'member_type_invalid',
	'unit_missing',
	'unit_unknown',
	'phone_invalid',
	'email_invalid',
	'joined_on_invalid',
	'joined_on_future',
	'email_duplicate_in_file',
	'email_taken'
] as const;
export type RosterReason = (typeof ROSTER_REASONS)[number];

export const ROSTER_REASON_TEXT: Record<RosterReason, { zh: string; en: string }> = {
	employee_no_missing: { zh: '缺少工号', en: 'Employee number missing' },
	employee_no_invalid: {
		zh: '工号格式不正确（只能包含字母、数字和短横线，最多 20 位）',
		en: 'Employee number malformed (letters, digits and dashes, at most 20)'
	},
	duplicate_in_file: {
		zh: '文件中工号重复（以第一次出现的为准）',
		en: 'Employee number repeated in the file (the first line counts)'
	},
	name_missing: { zh: '缺少姓名', en: 'Name missing' },
	name_too_long: { zh: '姓名过长（最多 50 个字）', en: 'Name too long (at most 50 characters)' },
	gender_invalid: { zh: '性别无法识别（应为“男”或“女”）', en: 'Unknown gender (男 or 女)' },
	member_type_invalid: {
		zh: '人员类别无法识别（应为“在职”“聘用”或“退休”）',
		en: 'Unknown member type (在职, 聘用 or 退休)'
	},
	unit_missing: { zh: '缺少单位编码', en: 'Unit code missing' },
	unit_unknown: { zh: '单位编码不存在', en: 'Unknown unit code' },
	phone_invalid: { zh: '手机号码格式不正确', en: 'Malformed phone number' },
	email_invalid: { zh: '邮箱格式不正确', en: 'Malformed email address' },
	joined_on_invalid: { zh: '入会日期无法识别', en: 'Join date not understood' },
	joined_on_future: { zh: '入会日期晚于今天', en: 'Join date in the future' },
	email_duplicate_in_file: { zh: '文件中邮箱重复', en: 'Email repeated in the file' },
	email_taken: { zh: '该邮箱已被其他会员使用', en: 'Email already used by another member' }
};

/** A cell as a reader gives it: CSV text, or a number/date/boolean from a spreadsheet. */
export type Cell = string | number | boolean | Date | null | undefined;

/** One line of the file, by field, as written (untrimmed text). */
export interface RawRosterRow {
	/** Line number in the file (the header is line 1). */
	line: number;
	cells: Partial<Record<RosterField, string>>;
}

/** One line after normalisation: what the server is sent. */
export interface RosterRow {
	line: number;
	employee_no: string;
	name: string;
	/** 'male' | 'female', or the text as written when it is not one of them. */
	gender: string;
	/** 'staff' | 'contract' | 'retired', or the text as written. */
	member_type: string;
	unit_code: string;
	phone: string;
	email: string;
	/** YYYY-MM-DD, '' when empty, or the text as written when it is not a date. */
	joined_on: string;
}

export interface RosterLineResult {
	line: number;
	employee_no: string;
	ok: boolean;
	reason: RosterReason | null;
	message_zh: string | null;
	message_en: string | null;
	row: RosterRow;
}

/** Full-width ASCII (Ｕ０１, １３８…, ＠) → ASCII; the ideographic space → a space. */
export function foldWidth(text: string): string {
	return text
		.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
		.replace(/\u3000/g, ' ');
}

function clean(text: string | undefined): string {
	return foldWidth(text ?? '').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

function cellText(cell: Cell, field: RosterField | undefined): string {
	if (cell === null || cell === undefined) return '';
	if (cell instanceof Date) {
		// A spreadsheet date: its calendar day as the reader gives it (UTC).
		return Number.isNaN(cell.getTime()) ? '' : cell.toISOString().slice(0, 10);
	}
	if (typeof cell === 'number' && field === 'joined_on' && cell > 20000 && cell < 80000) {
		// An Excel serial day number (1900 date system).
		return new Date(Date.UTC(1899, 11, 30) + cell * 86_400_000).toISOString().slice(0, 10);
	}
	return String(cell);
}

/** Maps a header cell to its field: full-width folded, all spaces removed. */
export function headerField(header: string): RosterField | undefined {
	const key = foldWidth(header)
		.replace(/^\uFEFF/, '')
		.replace(/\s+/g, '')
		.toLowerCase();
	const known = HEADERS[key];
	if (known) return known;
	return (ROSTER_FIELDS as readonly string[]).includes(key) ? (key as RosterField) : undefined;
}

/**
 * Reads a table (first row: headers) into raw rows. Works for CSV records and for the rows an
 * XLSX reader returns. Blank lines are skipped; columns not recognised are ignored.
 */
export function rowsFromTable(table: readonly (readonly Cell[])[]): {
	rows: RawRosterRow[];
	missingFields: RosterField[];
} {
	const [header = [], ...body] = table;
	const fields = header.map((h) => headerField(cellText(h, undefined)));
	const missingFields = REQUIRED_FIELDS.filter((f) => !fields.includes(f));
	const rows: RawRosterRow[] = [];
	body.forEach((record, index) => {
		if (record.every((cell) => cellText(cell, undefined).trim() === '')) return;
		const cells: Partial<Record<RosterField, string>> = {};
		fields.forEach((field, column) => {
			if (field && cells[field] === undefined) cells[field] = cellText(record[column], field);
		});
		rows.push({ line: index + 2, cells });
	});
	return { rows, missingFields };
}

/** Reads the bytes of a roster CSV (UTF-8 with or without BOM, or GBK). */
export function parseRosterCsv(input: Uint8Array | string): ReturnType<typeof rowsFromTable> {
	const text = typeof input === 'string' ? input : decodeText(input);
	return rowsFromTable(parseCsv(text));
}

const GENDER_WORDS: Record<string, string> = {
	男: 'male',
	male: 'male',
	m: 'male',
	女: 'female',
	female: 'female',
	f: 'female'
};
const MEMBER_TYPE_WORDS: Record<string, string> = {
	在职: 'staff',
	staff: 'staff',
	聘用: 'contract',
	contract: 'contract',
	退休: 'retired',
	retired: 'retired'
};

/** 2010-07-01, 2010/7/1, 2010.7.1, 2010年7月1日, 20100701 → 2010-07-01; null when not a date. */
export function normaliseDate(text: string): string | null {
	const match =
		/^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(text) ??
		/^(\d{4})(\d{2})(\d{2})$/.exec(text);
	if (!match) return null;
	const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
	const date = new Date(Date.UTC(y, m - 1, d));
	if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
		return null;
	return date.toISOString().slice(0, 10);
}

export function normaliseRow(raw: RawRosterRow): RosterRow {
	const c = raw.cells;
	const gender = clean(c.gender).toLowerCase();
	const memberType = clean(c.member_type).toLowerCase();
	const joined = clean(c.joined_on);
	return {
		line: raw.line,
		employee_no: clean(c.employee_no),
		name: (c.name ?? '').replace(/^[ \t\r\n\u3000]+|[ \t\r\n\u3000]+$/g, ''),
		gender: GENDER_WORDS[gender] ?? gender,
		member_type: MEMBER_TYPE_WORDS[memberType] ?? memberType,
		unit_code: clean(c.unit_code).toUpperCase(),
		phone: clean(c.phone).replace(/[\s()-]/g, ''),
		email: clean(c.email).toLowerCase(),
		joined_on: joined === '' ? '' : (normaliseDate(joined) ?? joined)
	};
}

export interface ValidationContext {
	/** Unit codes that exist (upper case). */
	unitCodes: ReadonlySet<string>;
	/** Today in the union's time zone, YYYY-MM-DD. */
	today: string;
	/** Emails already on the roster → their 工号 (optional: the server checks anyway). */
	emailsInUse?: ReadonlyMap<string, string>;
}

/** Validates normalised rows in file order, with the database's rules (first failing check wins). */
export function validateRoster(
	rows: readonly RosterRow[],
	context: ValidationContext
): RosterLineResult[] {
	const firstLineOf = new Map<string, number>();
	rows.forEach((row, index) => {
		if (!firstLineOf.has(row.employee_no)) firstLineOf.set(row.employee_no, index);
	});
	const early = rows.map((row, index): RosterReason | null => {
		if (row.employee_no === '') return 'employee_no_missing';
		if (!/^[A-Za-z0-9-]{1,20}$/.test(row.employee_no)) return 'employee_no_invalid';
		if (firstLineOf.get(row.employee_no) !== index) return 'duplicate_in_file';
		if (row.name === '') return 'name_missing';
		if (Array.from(row.name).length > 50) return 'name_too_long';
		if (!(GENDERS as readonly string[]).includes(row.gender)) return 'gender_invalid';
		if (!(MEMBER_TYPES as readonly string[]).includes(row.member_type))
			return 'member_type_invalid';
		if (row.unit_code === '') return 'unit_missing';
		if (!context.unitCodes.has(row.unit_code)) return 'unit_unknown';
		if (row.phone !== '' && !/^(1\d{10}|0\d{9,11}|\+\d{8,15})$/.test(row.phone))
			return 'phone_invalid';
		if (
			row.email !== '' &&
			(!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(row.email) || row.email.length > 254)
		)
			return 'email_invalid';
		if (row.joined_on !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(row.joined_on))
			return 'joined_on_invalid';
		if (row.joined_on !== '' && row.joined_on > context.today) return 'joined_on_future';
		return null;
	});
	const firstEmail = new Map<string, number>();
	rows.forEach((row, index) => {
		if (early[index] === null && row.email !== '' && !firstEmail.has(row.email))
			firstEmail.set(row.email, index);
	});
	return rows.map((row, index) => {
		let reason = early[index] ?? null;
		if (reason === null && row.email !== '') {
			if (firstEmail.get(row.email) !== index) reason = 'email_duplicate_in_file';
			else {
				const owner = context.emailsInUse?.get(row.email);
				if (owner !== undefined && owner !== row.employee_no) reason = 'email_taken';
			}
		}
		return {
			line: row.line,
			employee_no: row.employee_no,
			ok: reason === null,
			reason,
			message_zh: reason ? ROSTER_REASON_TEXT[reason].zh : null,
			message_en: reason ? ROSTER_REASON_TEXT[reason].en : null,
			row
		};
	});
}

/** The rows as `import_roster` takes them (English keys, normalised values). */
export function toImportPayload(rows: readonly RosterRow[]): Record<string, string | number>[] {
	return rows.map((row) => ({ ...row }));
}
