import { z } from 'zod';

// The typed questions of a sign-up form (T-shirt size, checkup package, …) and the zod schema
// that checks answers on the phone before they are sent. It mirrors `private.invalid_answer` in
// supabase/migrations/20261123000400_signup.sql rule for rule, so the server never has to refuse
// what the form let through; the server still decides.

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

/** Characters as Postgres counts them (code points), not UTF-16 units: 😀 is one. */
export function characterCount(text: string): number {
	return Array.from(text).length;
}

function missingOr(code: AnswerIssueCode) {
	return (issue: { input: unknown }): AnswerIssueCode =>
		issue.input === undefined ? 'required' : code;
}

function valueSchema(question: Question): z.ZodType<AnswerValue> {
	switch (question.kind) {
		case 'choice': {
			const values = new Set(question.options.map((option) => option.value));
			return z
				.string({ error: missingOr('choice') })
				.refine((value) => values.has(value), { error: 'choice' });
		}
		case 'text': {
			const max = question.maxLength;
			return z
				.string({ error: missingOr('not_text') })
				.refine((value) => characterCount(value) <= max, { error: 'too_long' });
		}
		case 'number': {
			let schema = z.number({ error: missingOr('not_number') });
			if (question.min !== null) schema = schema.min(question.min, { error: 'too_small' });
			if (question.max !== null) schema = schema.max(question.max, { error: 'too_large' });
			return schema;
		}
	}
}

/**
 * The schema of a whole answers object: one key per question at most, no other keys, blank
 * answers allowed only for optional questions (and dropped from the output).
 */
export function answersSchema(questions: readonly Question[]): z.ZodType<Answers> {
	const shape: Record<string, z.ZodType<AnswerValue | undefined>> = {};
	for (const question of questions) {
		const inner = valueSchema(question);
		shape[question.id] = z.preprocess(
			(value) => (isBlankAnswer(value) ? undefined : value),
			question.required ? inner : inner.optional()
		);
	}
	return z
		.strictObject(shape, {
			error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown_question' : 'not_object')
		})
		.transform((parsed) => {
			const answers: Answers = {};
			for (const [key, value] of Object.entries(parsed)) {
				if (value !== undefined) answers[key] = value;
			}
			return answers;
		});
}

function issueCode(message: string): AnswerIssueCode {
	return (ANSWER_ISSUE_CODES as readonly string[]).includes(message)
		? (message as AnswerIssueCode)
		: 'not_object';
}

export type AnswersValidation =
	{ ok: true; answers: Answers } | { ok: false; issues: AnswerIssue[] };

/** Checks answers; on failure one issue per question (the first), in the questions' order. */
export function validateAnswers(
	questions: readonly Question[],
	answers: unknown
): AnswersValidation {
	const result = answersSchema(questions).safeParse(answers);
	if (result.success) return { ok: true, answers: result.data };
	const byQuestion = new Map<string | null, AnswerIssue>();
	for (const issue of result.error.issues) {
		const first = issue.path[0];
		const questionId =
			issue.code === 'unrecognized_keys' || typeof first !== 'string' ? null : first;
		if (!byQuestion.has(questionId)) {
			byQuestion.set(questionId, { questionId, code: issueCode(issue.message) });
		}
	}
	const order = [null, ...questions.map((question) => question.id)];
	return {
		ok: false,
		issues: [...byQuestion.values()].sort(
			(a, b) => order.indexOf(a.questionId) - order.indexOf(b.questionId)
		)
	};
}

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
