import { describe, expect, test } from 'vitest';
import type { BehalfResult } from '#lib/data/liaison.ts';
import { loadDictionary, translate } from '#lib/i18n/translate.ts';
import { behalfWording } from './behalf-result.ts';

const result = (fields: Partial<BehalfResult>): BehalfResult => ({
	memberId: 'm1',
	status: 'applied',
	code: 'registered',
	serverMessage: null,
	...fields
});

describe('R6 代报名 says per person what happened and why', () => {
	test('R6 each outcome has its own words', () => {
		expect(behalfWording(result({ code: 'registered' }), 'signUp').key).toBe(
			'office.liaison.result.registered'
		);
		expect(behalfWording(result({ code: 'waitlisted' }), 'signUp').key).toBe(
			'office.liaison.result.waitlisted'
		);
		expect(behalfWording(result({ code: 'pending_approval' }), 'signUp').key).toBe(
			'office.liaison.result.pending'
		);
		expect(behalfWording(result({ status: 'noop' }), 'signUp').key).toBe(
			'office.liaison.result.already'
		);
	});

	test('R6 a refusal names the reason, about the colleague rather than to them', () => {
		const man = result({ status: 'rejected', code: 'ineligible_gender' });
		expect(behalfWording(man, 'signUp', ['female'])).toEqual({
			key: 'office.liaison.result.refused',
			reason: { key: 'office.liaison.reason.femaleOnly' }
		});
		// The app's own refusal messages where they read well about someone else.
		expect(behalfWording(result({ status: 'rejected', code: 'full' }), 'signUp').reason).toEqual({
			key: 'refusal.full'
		});
		// A code the app does not know: the server's own words.
		const server = { zh: '携带家属不能超过 1 人。', en: 'At most 1 guest.' };
		expect(
			behalfWording(
				result({ status: 'rejected', code: 'new_rule', serverMessage: server }),
				'signUp'
			).reason
		).toEqual({ server });
		expect(
			behalfWording(result({ status: 'rejected', code: 'registration_not_found' }), 'cancel').key
		).toBe('office.liaison.result.notCancelled');
	});

	test('R6 the Chinese words read naturally', async () => {
		await loadDictionary('zh-CN', 'more');
		const wording = behalfWording(
			result({ status: 'rejected', code: 'ineligible_gender' }),
			'signUp',
			['female']
		);
		const reason =
			wording.reason && 'key' in wording.reason ? translate('zh-CN', wording.reason.key) : '';
		expect(translate('zh-CN', wording.key, { reason })).toBe('未能报名：该活动仅限女职工参加。');
	});
});
