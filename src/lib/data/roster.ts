// The answers of `import_roster` and `import_units` (a preview or an apply), each read by one
// strict schema: a line without its `action` or its key is a 'bad_response', never a valid line.
import { count, parseAnswer, z } from './answer.ts';

export const IMPORT_ACTIONS = ['insert', 'update', 'unchanged', 'reject'] as const;
export type ImportAction = (typeof IMPORT_ACTIONS)[number];

/** What every answered line carries, whichever the import. */
const lineFields = {
	line: count,
	name: z.nullable(z.string()),
	action: z.enum(IMPORT_ACTIONS),
	reason_code: z.nullable(z.string()),
	message_zh: z.nullable(z.string()),
	message_en: z.nullable(z.string())
};

const RosterLine = z.object({ ...lineFields, employee_no: z.nullable(z.string()) });

const UnitLine = z.object({
	...lineFields,
	code: z.nullable(z.string()),
	parent_code: z.nullable(z.string()),
	changes: z.array(z.string()),
	old_name: z.nullable(z.string()),
	old_parent_code: z.nullable(z.string())
});

export const RosterImportAnswer = z.object({
	summary: z.looseObject({ leave: count }),
	rows: z.array(RosterLine),
	leaving: z.array(z.unknown())
});

export const UnitImportAnswer = z.object({
	summary: z.looseObject({}),
	rows: z.array(UnitLine)
});

/** One line of the file as the server judged it. */
export interface ImportLine {
	line: number;
	/** The employee number (roster) or the unit code (units), as the file gave it. */
	key: string;
	name: string;
	action: ImportAction;
	/** Why the line is refused, or a note on a valid one (e.g. 'rejoined'); null when none. */
	reasonCode: string | null;
	message: { zh: string | null; en: string | null };
	/** Units only: what an update changes, and what it was. */
	changes: string[];
	oldName: string | null;
	parentCode: string | null;
	oldParentCode: string | null;
}

export interface ImportAnswer {
	lines: ImportLine[];
	/** Members a full roster would mark as left (0 for units, or a roster that is not full). */
	leaving: number;
}

export function parseRosterImport(answer: unknown): ImportAnswer {
	const parsed = parseAnswer(RosterImportAnswer, answer, 'import_roster');
	return {
		leaving: parsed.summary.leave,
		lines: parsed.rows.map((row) => ({
			line: row.line,
			// Empty cells come back as null: the line is then refused and says why.
			key: row.employee_no ?? '',
			name: row.name ?? '',
			action: row.action,
			reasonCode: row.reason_code,
			message: { zh: row.message_zh, en: row.message_en },
			changes: [],
			oldName: null,
			parentCode: null,
			oldParentCode: null
		}))
	};
}

export function parseUnitImport(answer: unknown): ImportAnswer {
	const parsed = parseAnswer(UnitImportAnswer, answer, 'import_units');
	return {
		leaving: 0,
		lines: parsed.rows.map((row) => ({
			line: row.line,
			key: row.code ?? '',
			name: row.name ?? '',
			action: row.action,
			reasonCode: row.reason_code,
			message: { zh: row.message_zh, en: row.message_en },
			changes: row.changes,
			oldName: row.old_name,
			parentCode: row.parent_code,
			oldParentCode: row.old_parent_code
		}))
	};
}
