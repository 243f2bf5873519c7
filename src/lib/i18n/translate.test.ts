import { describe, expect, it } from 'vitest';
import { en } from './messages.en.ts';
import { zhCN } from './messages.zh-CN.ts';
import { isLocale, translate } from './translate.ts';

describe('translate', () => {
	it('fills placeholders', () => {
		expect(translate('zh-CN', 'card.seatsLeft', { left: 3, capacity: 48 })).toBe('剩余 3 / 共 48');
		expect(translate('en', 'card.seatsLeft', { left: 3, capacity: 48 })).toBe('3 of 48 left');
	});

	it('leaves an unknown placeholder visible rather than printing "undefined"', () => {
		expect(translate('en', 'home.greeting')).toBe('Hello, {name}');
	});

	it('has the same placeholders in both languages', () => {
		const placeholders = (text: string): string[] =>
			[...text.matchAll(/\{\w+\}/g)].map((m) => m[0]).sort();
		for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
			expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
		}
	});
});

describe('isLocale', () => {
	it('accepts only supported locales', () => {
		expect(isLocale('zh-CN')).toBe(true);
		expect(isLocale('en')).toBe(true);
		expect(isLocale('fr')).toBe(false);
		expect(isLocale(null)).toBe(false);
	});
});
