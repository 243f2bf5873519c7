import { errorMessage, isRefusalReason } from '#lib/data/errors.ts';
import {
	DEFAULT_LOCALE,
	fill,
	isDictionaryLoaded,
	isLocale,
	loadDictionary,
	translate,
	type Locale,
	type MessageKey,
	type MessagePart,
	type ParamsArgs
} from './translate.ts';

const STORAGE_KEY = 'union-activities.locale';

function readStoredLocale(): Locale {
	try {
		// Absent outside a browser (unit tests); blocked in some private modes and in-app browsers.
		if (typeof localStorage === 'undefined') return DEFAULT_LOCALE;
		const stored = localStorage.getItem(STORAGE_KEY);
		return isLocale(stored) ? stored : DEFAULT_LOCALE;
	} catch {
		// Storage can be blocked (private mode, some in-app browsers): fall back quietly.
		return DEFAULT_LOCALE;
	}
}

/**
 * The chosen UI language, remembered on this device and mirrored to `<html lang>`. `current`
 * changes only once that language's words have arrived, so no screen shows a mix.
 */
class LocaleState {
	current: Locale = $state(DEFAULT_LOCALE);
	/** Settles when the remembered language is on screen (the root layout waits for it). */
	readonly ready: Promise<void>;

	constructor() {
		const stored = readStoredLocale();
		this.#applyToDocument();
		this.ready = stored === DEFAULT_LOCALE ? Promise.resolve() : this.set(stored);
	}

	async set(locale: Locale): Promise<void> {
		if (!isDictionaryLoaded(locale)) {
			try {
				await loadDictionary(locale);
			} catch {
				// Offline before the service worker cached it: stay in the language on screen.
				return;
			}
		}
		this.current = locale;
		try {
			if (typeof localStorage !== 'undefined') localStorage.setItem(STORAGE_KEY, locale);
		} catch {
			// Not remembered across visits, but the switch still works for this one.
		}
		this.#applyToDocument();
	}

	/** Fetches a part of the words (see MessagePart) in this and the fallback language. */
	async want(part: MessagePart): Promise<void> {
		await this.ready;
		await loadDictionary(this.current, part);
	}

	toggle(): Promise<void> {
		return this.set(this.current === 'zh-CN' ? 'en' : 'zh-CN');
	}

	#applyToDocument(): void {
		// Screen readers pick their voice from `lang`; keep it in step with the words on screen.
		if (typeof document !== 'undefined') document.documentElement.lang = this.current;
	}
}

export const locale = new LocaleState();

/** Translates in the current locale; reading `locale.current` makes templates re-render on switch. */
export function t<Key extends MessageKey>(key: Key, ...params: ParamsArgs<Key>): string {
	return translate(locale.current, key, ...params);
}

interface DescribableError {
	messageKey: MessageKey;
	serverMessage: { zh: string; en: string } | null;
	reason?: string | null;
	code?: string | null;
}

/**
 * An error in the current language: the app's own words for a refusal it knows (the server's
 * `message` code), else the server's own wording when it gave one, else the app's for the kind.
 */
export function errorText(error: DescribableError): string {
	if (error.serverMessage !== null && !isRefusalReason(error.reason ?? null)) {
		return locale.current === 'zh-CN' ? error.serverMessage.zh : error.serverMessage.en;
	}
	const { key, params } = errorMessage(error);
	return fill(locale.current, key, params);
}
