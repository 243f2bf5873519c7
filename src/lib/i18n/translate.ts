import { en } from './messages.en.ts';
import { zhCN, type MessageKey } from './messages.zh-CN.ts';

export type { MessageKey };

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export type MessageParams = Record<string, string | number>;

const dictionaries: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Looks a message up and fills its {placeholders}; an unknown placeholder stays visible. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
	const template = dictionaries[locale][key];
	if (params === undefined) return template;
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
		const value = params[name];
		return value === undefined ? whole : String(value);
	});
}
