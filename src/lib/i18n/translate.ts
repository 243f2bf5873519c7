import type { MoreMessageKey, zhCNMore } from './messages.more.zh-CN.ts';
import { zhCN, type CoreMessageKey } from './messages.zh-CN.ts';

export type MessageKey = CoreMessageKey | MoreMessageKey;

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export type MessageParams = Record<string, string | number>;

/** The Chinese templates are the reference: their {placeholders} are the parameters of each key. */
type Templates = typeof zhCN & typeof zhCNMore;

/** The names between braces in a template: `'{left} / {capacity}'` gives `'left' | 'capacity'`. */
type PlaceholdersIn<Template> = Template extends `${string}{${infer Name}}${infer Rest}`
	? Name | PlaceholdersIn<Rest>
	: never;

/** Exactly the parameters a key's template names: a missing, extra or misspelled one is a type error. */
export type ParamsOf<Key extends MessageKey> = Record<
	PlaceholdersIn<Templates[Key]>,
	string | number
>;

/**
 * The arguments after the key: none for a template without placeholders, else its parameters.
 * Distributes over a union of keys (a key chosen at run time), which accepts any one key's form.
 */
export type ParamsArgs<Key extends MessageKey> = Key extends MessageKey
	? [PlaceholdersIn<Templates[Key]>] extends [never]
		? []
		: [params: ParamsOf<Key>]
	: never;

/**
 * The words come in parts, each fetched when first wanted, to keep the first page's JavaScript
 * small: Chinese for employees' everyday screens ships with it; English when a reader picks it
 * (the choice is remembered on the phone); the words of screens most employees never open
 * ('more': organizers' check-in, the union office, diagnostics) when one of them opens.
 */
export type MessagePart = 'core' | 'more';

type Messages = Partial<Record<MessageKey, string>>;

const LOADERS: Record<Locale, Record<MessagePart, () => Promise<Messages>>> = {
	'zh-CN': {
		core: () => Promise.resolve(zhCN),
		more: async () => (await import('./messages.more.zh-CN.ts')).zhCNMore
	},
	en: {
		core: async () => (await import('./messages.en.ts')).en,
		more: async () => (await import('./messages.more.en.ts')).enMore
	}
};

const dictionaries: Record<Locale, Messages> = { 'zh-CN': { ...zhCN }, en: {} };
const loaded = new Set<string>(['zh-CN:core']);
const wanted = new Set<MessagePart>(['core']);

/**
 * Makes `translate(locale, …)` answer in that locale for every part wanted so far (and for
 * `part` from now on). A failed fetch rejects; what was there stays.
 */
export async function loadDictionary(locale: Locale, part?: MessagePart): Promise<void> {
	if (part !== undefined) wanted.add(part);
	const parts = [...wanted];
	// Chinese is the fallback of every locale, so its parts come first.
	const locales: Locale[] = locale === 'zh-CN' ? ['zh-CN'] : ['zh-CN', locale];
	await Promise.all(
		locales.flatMap((each) =>
			parts.map(async (wantedPart) => {
				const id = `${each}:${wantedPart}`;
				if (loaded.has(id)) return;
				Object.assign(dictionaries[each], await LOADERS[each][wantedPart]());
				loaded.add(id);
			})
		)
	);
}

/** True when every part wanted so far is there in that locale. */
export function isDictionaryLoaded(locale: Locale): boolean {
	return [...wanted].every((part) => loaded.has(`${locale}:${part}`));
}

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * Looks a message up and fills its {placeholders}; an unknown placeholder stays visible. Words
 * not arrived yet in that locale come in Chinese; a key of a part never fetched shows as itself.
 */
export function translate<Key extends MessageKey>(
	locale: Locale,
	key: Key,
	...[params]: ParamsArgs<Key>
): string {
	return fill(locale, key, params);
}

/**
 * `translate` for a key and parameters known only at run time (an error's wording, chosen by its
 * kind): not checked by the types, so keep it to those.
 */
export function fill(locale: Locale, key: MessageKey, params?: MessageParams): string {
	const template = dictionaries[locale][key] ?? dictionaries['zh-CN'][key] ?? key;
	if (params === undefined) return template;
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
		const value = params[name];
		return value === undefined ? whole : String(value);
	});
}
