import { beforeAll, describe, expect, it } from 'vitest';
import { loadDictionary, translate } from '#lib/i18n/translate.ts';
import { emptyDraft, isoToLocal, localToIso, newQuestion, validateDraft } from './activity-form.ts';

const zone = 'Asia/Shanghai';

function filled() {
	return {
		...emptyDraft('unit-1'),
		title: '拔河比赛',
		startsAt: '2026-04-10T14:00',
		endsAt: '2026-04-10T17:00',
		capacity: '40'
	};
}

describe('activity form', () => {
	beforeAll(() => loadDictionary('zh-CN', 'more'));

	it('converts the union zone both ways', () => {
		expect(localToIso('2026-04-10T14:00', zone)).toBe('2026-04-10T06:00:00.000Z');
		expect(isoToLocal('2026-04-10T06:00:00.000Z', zone)).toBe('2026-04-10T14:00');
		expect(localToIso('nope', zone)).toBeNull();
	});

	it('builds the payload of a valid draft', () => {
		const result = validateDraft(filled(), zone);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.payload).toMatchObject({
			title: '拔河比赛',
			owner_unit_id: 'unit-1',
			starts_at: '2026-04-10T06:00:00.000Z',
			capacity: 40,
			eligible_genders: null,
			questions: []
		});
	});

	it('names every problem by field', () => {
		const draft = {
			...filled(),
			title: ' ',
			endsAt: '2026-04-09T10:00',
			capacity: '0',
			guestsMax: '11',
			signupOpensAt: '2026-04-01T09:00',
			signupClosesAt: '2026-03-01T09:00',
			seriesLimit: '2',
			questions: [
				{ ...newQuestion('choice', 0), options: [] },
				{ ...newQuestion('number', 1), zh: '身高', min: '200', max: '100' }
			]
		};
		const result = validateDraft(draft, zone);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.issues).toMatchObject({
			title: 'required',
			endsAt: 'endBeforeStart',
			capacity: 'int',
			guestsMax: 'guests',
			signupClosesAt: 'closeBeforeOpen',
			series: 'seriesNeeded',
			'questions.0.zh': 'required',
			'questions.0.options': 'optionsNeeded',
			'questions.1.max': 'maxBelowMin'
		});
	});

	it('R17 refuses a sign-up deadline (or opening, or cancellation deadline) after the start, beside its field', () => {
		// Starts 2026-04-10 14:00; sign-up closes at the start anyway, on the server.
		const late = validateDraft(
			{
				...filled(),
				signupOpensAt: '2026-04-10T14:00',
				signupClosesAt: '2026-04-10T15:00',
				cancelDeadline: '2026-04-10T14:01'
			},
			zone
		);
		expect(late.ok ? {} : late.issues).toEqual({
			signupOpensAt: 'openAfterStart',
			signupClosesAt: 'closeAfterStart',
			cancelDeadline: 'cancelAfterStart'
		});
		expect(translate('zh-CN', 'office.v.closeAfterStart')).toBe(
			'报名截止时间不能晚于活动开始时间（活动开始时报名即截止）。'
		);
		// Up to the start itself is fine: that is when the server closes sign-up.
		const onTime = validateDraft(
			{ ...filled(), signupClosesAt: '2026-04-10T14:00', cancelDeadline: '2026-04-10T14:00' },
			zone
		);
		expect(onTime.ok).toBe(true);
	});

	it('writes typed questions the way the server checks answers', () => {
		const result = validateDraft(
			{
				...filled(),
				questions: [
					{
						...newQuestion('choice', 0),
						zh: '尺码',
						options: [{ value: 'L', zh: '大号', en: 'L' }]
					},
					{ ...newQuestion('text', 1), zh: '备注', maxLength: '50' },
					{ ...newQuestion('number', 2), zh: '年龄', min: '18', max: '' }
				]
			},
			zone
		);
		expect(result.ok && result.payload.questions).toEqual([
			{
				id: 'q1',
				kind: 'choice',
				label: { zh: '尺码', en: '' },
				required: false,
				options: [{ value: 'L', label: { zh: '大号', en: 'L' } }]
			},
			{ id: 'q2', kind: 'text', label: { zh: '备注', en: '' }, required: false, max_length: 50 },
			{ id: 'q3', kind: 'number', label: { zh: '年龄', en: '' }, required: false, min: 18 }
		]);
	});
});
