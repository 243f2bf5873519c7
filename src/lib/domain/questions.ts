import { characterCount } from './text.ts';

// The typed questions of a sign-up form (T-shirt size, checkup package, …): their shapes, limits
// and how form fields become answers. The checks themselves are in answers.ts (zod), loaded
// when a member sends the form.

export interface LocalizedText {
	zh: string;
	en: string;
}

interface QuestionBase {
	id: string;
	label: LocalizedText;
	required: boolean;
}

export interface ChoiceOption {
	value: string;
	label: LocalizedText;
}

export interface ChoiceQuestion extends QuestionBase {
	kind: 'choice';
	options: ChoiceOption[];
}

export interface TextQuestion extends QuestionBase {
	kind: 'text';
	/** In characters (code points), as Postgres' char_length counts. */
	maxLength: number;
}

export interface NumberQuestion extends QuestionBase {
	kind: 'number';
	min: number | null;
	max: number | null;
}

export type Question = ChoiceQuestion | TextQuestion | NumberQuestion;

/** `private.invalid_answer`: a text answer without max_length may have 200 characters. */
export const DEFAULT_TEXT_MAX_LENGTH = 200;

export type AnswerValue = string | number;
export type Answers = Record<string, AnswerValue>;

/** Why an answer is refused; each has a message `answer.<code>` in both languages. */
export const ANSWER_ISSUE_CODES = [
	'required',
	'choice',
	'not_text',
	'too_long',
	'not_number',
	'too_small',
	'too_large',
	'unknown_question',
	'not_object'
] as const;
export type AnswerIssueCode = (typeof ANSWER_ISSUE_CODES)[number];

export interface AnswerIssue {
	/** The question concerned; null for the form as a whole (unknown keys, not an object). */
	questionId: string | null;
	code: AnswerIssueCode;
}

/**
 * Blank as the server sees it: absent, JSON null, or a string of spaces only (`btrim` without a
 * character list trims spaces, not tabs or newlines).
 */
export function isBlankAnswer(value: unknown): boolean {
	return (
		value === undefined ||
		value === null ||
		(typeof value === 'string' && value.replace(/^ +| +$/g, '') === '')
	);
}

export { characterCount };

const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * What the form's fields (all strings) mean as answers: text trimmed, numbers parsed (full-width
 * digits too), blanks left out. Something that is not a number stays a string, so the schema
 * refuses it with "not a number" instead of the form guessing.
 */
export function answersFromForm(
	questions: readonly Question[],
	fields: Readonly<Record<string, string>>
): Record<string, unknown> {
	const answers: Record<string, unknown> = {};
	for (const question of questions) {
		const raw = (fields[question.id] ?? '').trim();
		if (raw === '') continue;
		if (question.kind === 'number') {
			const folded = raw.normalize('NFKC').replace(/\s+/g, '');
			answers[question.id] = DECIMAL.test(folded) ? Number(folded) : raw;
		} else {
			answers[question.id] = raw;
		}
	}
	return answers;
}

/** The label in the reader's language; English falls back to Chinese when not given. */
export function localized(text: LocalizedText, locale: 'zh-CN' | 'en'): string {
	return locale === 'en' && text.en !== '' ? text.en : text.zh;
}
