// Type-level tests: each `@ts-expect-error` line must be a type error, or svelte-check (npm test's
// `check` step) fails with "Unused '@ts-expect-error' directive". Vitest runs the calls too.
import { describe, expect, it } from 'vitest';
import { t } from './locale.svelte.ts';
import { translate } from './translate.ts';

describe('message keys and parameters are typed', () => {
	it('accepts a known key with exactly its parameters', () => {
		expect(translate('zh-CN', 'card.seatsLeft', { left: 3, capacity: 48 })).toBe('剩余 3 / 共 48');
		expect(t('login.resendIn', { seconds: 30 })).toBe('30 秒后可重新发送');
		expect(t('app.name')).toBe('工会活动');
	});

	it('refuses an unknown key', () => {
		// @ts-expect-error no such key
		expect(t('app.nmae')).toBe('app.nmae');
	});

	it('refuses a missing, extra or misspelled parameter', () => {
		// @ts-expect-error `capacity` is missing
		t('card.seatsLeft', { left: 3 });
		// @ts-expect-error `seats` is not a placeholder of this message
		t('card.seatsLeft', { left: 3, capacity: 48, seats: 1 });
		// @ts-expect-error `secnods` is misspelled
		t('login.resendIn', { secnods: 30 });
		// @ts-expect-error the message has placeholders, so parameters are required
		t('login.resendIn');
		// @ts-expect-error the message has no placeholders
		t('app.name', { name: 'x' });
		// @ts-expect-error the same rules for `translate`
		translate('en', 'card.seatsLeft', { left: 3 });
		expect(true).toBe(true);
	});

	it('checks a key built from a typed value against the messages', () => {
		const kind = 'too_long' as 'too_long' | 'too_large';
		expect(t(`answer.${kind}`, { max: 5 })).toBe('不能超过 5 个字。');
		const part = 'nope' as 'nope' | 'required';
		// @ts-expect-error `answer.nope` is not a key
		t(`answer.${part}`);
	});
});
