import { describe, expect, it } from 'vitest';
import { en } from './messages.en.ts';
import { enMore } from './messages.more.en.ts';
import { zhCNMore } from './messages.more.zh-CN.ts';
import { zhCN } from './messages.zh-CN.ts';
import { isDictionaryLoaded, isLocale, loadDictionary, translate } from './translate.ts';

describe('translate', () => {
	it('answers in Chinese until the English dictionary has arrived', async () => {
		expect(isDictionaryLoaded('en')).toBe(false);
		expect(translate('en', 'login.title')).toBe(zhCN['login.title']);
		await loadDictionary('en');
		expect(isDictionaryLoaded('en')).toBe(true);
		expect(translate('en', 'login.title')).toBe(en['login.title']);
	});

	it("fetches the organizer, office and diagnostics screens' words only when asked, in both languages", async () => {
		expect(translate('zh-CN', 'office.nav.reports')).toBe('office.nav.reports');
		await loadDictionary('en', 'more');
		expect(translate('zh-CN', 'office.nav.reports')).toBe(zhCNMore['office.nav.reports']);
		expect(translate('en', 'office.nav.reports')).toBe(enMore['office.nav.reports']);
	});

	it('fills placeholders', async () => {
		await loadDictionary('en');
		expect(translate('zh-CN', 'card.seatsLeft', { left: 3, capacity: 48 })).toBe('剩余 3 / 共 48');
		expect(translate('en', 'card.seatsLeft', { left: 3, capacity: 48 })).toBe('3 of 48 left');
	});

	it('leaves an unknown placeholder visible rather than printing "undefined"', async () => {
		await loadDictionary('en');
		// @ts-expect-error the types refuse a missing parameter; this is what happens if one slips by
		expect(translate('en', 'home.greeting')).toBe('Hello, {name}');
	});

	it('has the same keys in both languages', () => {
		expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
		expect(Object.keys(enMore).sort()).toEqual(Object.keys(zhCNMore).sort());
		const core = new Set(Object.keys(zhCN));
		expect(Object.keys(zhCNMore).filter((key) => core.has(key))).toEqual([]);
	});

	it('has the same placeholders in both languages', () => {
		const placeholders = (text: string): string[] =>
			[...text.matchAll(/\{\w+\}/g)].map((m) => m[0]).sort();
		for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
			expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
		}
		for (const key of Object.keys(zhCNMore) as (keyof typeof zhCNMore)[]) {
			expect(placeholders(enMore[key]), key).toEqual(placeholders(zhCNMore[key]));
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
