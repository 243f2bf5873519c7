import { describe, expect, it } from 'vitest';
import { validateAnswers } from './answers.ts';
import {
	answersFromForm,
	characterCount,
	isBlankAnswer,
	type AnswerIssue,
	type Question
} from './questions.ts';

// The questions of supabase/tests/03-signup.test.ts, whose cases `private.invalid_answer` refuses.
const questions: Question[] = [
	{
		id: 'package',
		kind: 'choice',
		label: { zh: '体检套餐', en: 'Checkup package' },
		required: true,
		options: [
			{ value: 'A', label: { zh: 'A 套餐', en: 'Package A' } },
			{ value: 'B', label: { zh: 'B 套餐', en: 'Package B' } }
		]
	},
	{
		id: 'age',
		kind: 'number',
		label: { zh: '年龄', en: 'Age' },
		required: false,
		min: 18,
		max: 80
	},
	{ id: 'note', kind: 'text', label: { zh: '备注', en: 'Note' }, required: false, maxLength: 10 }
];

function issues(answers: unknown, qs: Question[] = questions): AnswerIssue[] {
	const result = validateAnswers(qs, answers);
	return result.ok ? [] : result.issues;
}

describe('validateAnswers mirrors private.invalid_answer', () => {
	it('accepts complete, valid answers and keeps them', () => {
		const result = validateAnswers(questions, { package: 'B', age: 41, note: '素食' });
		expect(result).toEqual({ ok: true, answers: { package: 'B', age: 41, note: '素食' } });
	});

	it('refuses a missing, null or blank required answer', () => {
		for (const answers of [{}, { package: null }, { package: '' }, { package: '   ' }]) {
			expect(issues(answers)).toEqual([{ questionId: 'package', code: 'required' }]);
		}
	});

	it('lets optional questions go unanswered, and drops their blank answers', () => {
		const result = validateAnswers(questions, { package: 'A', age: null, note: '  ' });
		expect(result).toEqual({ ok: true, answers: { package: 'A' } });
	});

	it('trims spaces only, as btrim does: a tab is an answer', () => {
		expect(isBlankAnswer(' \t ')).toBe(false);
		expect(issues({ package: '\t' })).toEqual([{ questionId: 'package', code: 'choice' }]);
	});

	it('refuses a choice that is not one of the options, or not a string', () => {
		expect(issues({ package: 'C' })).toEqual([{ questionId: 'package', code: 'choice' }]);
		expect(issues({ package: 1 })).toEqual([{ questionId: 'package', code: 'choice' }]);
		expect(issues({ package: 'a' })).toEqual([{ questionId: 'package', code: 'choice' }]);
	});

	it('refuses numbers out of range and numbers sent as strings', () => {
		expect(issues({ package: 'A', age: 200 })).toEqual([{ questionId: 'age', code: 'too_large' }]);
		expect(issues({ package: 'A', age: 17 })).toEqual([{ questionId: 'age', code: 'too_small' }]);
		expect(issues({ package: 'A', age: '30' })).toEqual([
			{ questionId: 'age', code: 'not_number' }
		]);
		expect(issues({ package: 'A', age: 18 })).toEqual([]);
		expect(issues({ package: 'A', age: 80 })).toEqual([]);
		expect(issues({ package: 'A', age: 30.5 })).toEqual([]);
	});

	it('has no bound where the question gives none', () => {
		const open: Question[] = [
			{
				id: 'n',
				kind: 'number',
				label: { zh: '数', en: 'N' },
				required: true,
				min: null,
				max: null
			}
		];
		expect(issues({ n: -1e9 }, open)).toEqual([]);
	});

	it('counts text length in characters, with the 200 default', () => {
		expect(issues({ package: 'A', note: 'x'.repeat(11) })).toEqual([
			{ questionId: 'note', code: 'too_long' }
		]);
		// Ten emoji are ten characters for Postgres, though twenty UTF-16 units.
		expect(characterCount('😀'.repeat(10))).toBe(10);
		expect(issues({ package: 'A', note: '😀'.repeat(10) })).toEqual([]);
		const free: Question[] = [
			{ id: 't', kind: 'text', label: { zh: '文', en: 'T' }, required: false, maxLength: 200 }
		];
		expect(issues({ t: '字'.repeat(200) }, free)).toEqual([]);
		expect(issues({ t: '字'.repeat(201) }, free)).toEqual([{ questionId: 't', code: 'too_long' }]);
		expect(issues({ t: 5 }, free)).toEqual([{ questionId: 't', code: 'not_text' }]);
	});

	it('refuses answers to questions that do not exist', () => {
		expect(issues({ package: 'A', is_admin: true })).toEqual([
			{ questionId: null, code: 'unknown_question' }
		]);
		expect(issues({ x: 1 }, [])).toEqual([{ questionId: null, code: 'unknown_question' }]);
	});

	it('refuses answers that are not an object', () => {
		for (const answers of [null, [], 'A', 3]) {
			expect(issues(answers)).toEqual([{ questionId: null, code: 'not_object' }]);
		}
	});

	it('accepts an empty object when there are no questions', () => {
		expect(validateAnswers([], {})).toEqual({ ok: true, answers: {} });
	});

	it('reports one issue per question, in the form order', () => {
		expect(issues({ note: 'x'.repeat(20), age: 5 })).toEqual([
			{ questionId: 'package', code: 'required' },
			{ questionId: 'age', code: 'too_small' },
			{ questionId: 'note', code: 'too_long' }
		]);
	});
});

describe('answersFromForm', () => {
	it('trims, parses numbers (full-width too) and leaves blanks out', () => {
		expect(answersFromForm(questions, { package: 'A', age: ' ４２ ', note: '  ' })).toEqual({
			package: 'A',
			age: 42
		});
		expect(answersFromForm(questions, { age: '-3.5' })).toEqual({ age: -3.5 });
	});

	it('keeps what is not a number as text, for the schema to refuse', () => {
		const answers = answersFromForm(questions, { package: 'A', age: '三十' });
		expect(answers).toEqual({ package: 'A', age: '三十' });
		expect(issues(answers)).toEqual([{ questionId: 'age', code: 'not_number' }]);
	});

	it('ignores fields of no question', () => {
		expect(answersFromForm(questions, { package: 'B', other: 'x' })).toEqual({ package: 'B' });
	});
});
