// The zod schema that checks a sign-up form's answers on the phone before they are sent. It
// mirrors `private.invalid_answer` in supabase/schemas/02_signup.sql rule for rule,
// so the server never has to refuse what the form let through; the server still decides.
import {
	ANSWER_ISSUE_CODES,
	characterCount,
	isBlankAnswer,
	type AnswerIssue,
	type AnswerIssueCode,
	type AnswerValue,
	type Answers,
	type Question
} from './questions.ts';
import { z } from './zod.ts';

function missingOr(code: AnswerIssueCode) {
	return (issue: { input: unknown }): AnswerIssueCode =>
		issue.input === undefined ? 'required' : code;
}

function valueSchema(question: Question): z.ZodMiniType<AnswerValue> {
	switch (question.kind) {
		case 'choice': {
			const values = new Set(question.options.map((option) => option.value));
			return z
				.string({ error: missingOr('choice') })
				.check(z.refine((value) => values.has(value), { error: 'choice' }));
		}
		case 'text': {
			const max = question.maxLength;
			return z
				.string({ error: missingOr('not_text') })
				.check(z.refine((value) => characterCount(value) <= max, { error: 'too_long' }));
		}
		case 'number': {
			const bounds = [
				...(question.min === null ? [] : [z.gte(question.min, { error: 'too_small' })]),
				...(question.max === null ? [] : [z.lte(question.max, { error: 'too_large' })])
			];
			return z.number({ error: missingOr('not_number') }).check(...bounds);
		}
	}
}

/**
 * The schema of a whole answers object: one key per question at most, no other keys, blank
 * answers allowed only for optional questions (and dropped from the output).
 */
export function answersSchema(questions: readonly Question[]): z.ZodMiniType<Answers> {
	const shape: Record<string, z.ZodMiniType<AnswerValue | undefined>> = {};
	for (const question of questions) {
		const inner = valueSchema(question);
		shape[question.id] = z.pipe(
			z.transform((value: unknown) => (isBlankAnswer(value) ? undefined : value)),
			question.required ? inner : z.optional(inner)
		);
	}
	return z.pipe(
		z.strictObject(shape, {
			error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown_question' : 'not_object')
		}),
		z.transform((parsed) => {
			const answers: Answers = {};
			for (const [key, value] of Object.entries(parsed)) {
				if (value !== undefined) answers[key] = value;
			}
			return answers;
		})
	);
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
