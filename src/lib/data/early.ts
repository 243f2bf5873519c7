/**
 * Early reads: the boot script in src/app.html fetches /config.json and, for a stored session,
 * the member's profile and the page's first read, while the app's modules still download. On a
 * phone each of these is a round trip (two with the CORS preflight) that otherwise starts only
 * once the app has run. This module hands those answers to the app, each once.
 *
 * An early read is used only when the app asks for exactly the same thing: the same function
 * URL, the same JSON body and the same bearer token. Anything else, or an answer not taken within
 * EARLY_READ_TTL_MS, is left unused and the app asks the server itself, as it would without them.
 */

/** What the boot script leaves on `window` (its shape is part of src/app.html's contract). */
export interface EarlyBoot {
	/** performance.now() when the boot script ran. */
	at: number;
	/** The parsed /config.json; rejects when it could not be fetched or parsed. */
	config?: Promise<unknown>;
	/** Keyed by earlyReadKey(). */
	reads: Record<string, Promise<Response> | undefined>;
}

declare global {
	interface Window {
		unionEarly?: EarlyBoot;
	}
}

/** Early answers are for the first page only: later reads must be fresh. */
export const EARLY_READ_TTL_MS = 15_000;

/** The key the boot script files a read under (the script builds the same string). */
export function earlyReadKey(url: string, body: string, authorization: string): string {
	return `${url}\n${body}\n${authorization}`;
}

/** Where the boot script left its work: `window.unionEarly` in a page (tests pass their own). */
export type EarlySource = () => EarlyBoot | undefined;

const pageBoot: EarlySource = () => (typeof window === 'undefined' ? undefined : window.unionEarly);

function boot(source: EarlySource): EarlyBoot | null {
	const early = source();
	if (early === undefined || performance.now() - early.at > EARLY_READ_TTL_MS) return null;
	return early;
}

/** The boot script's /config.json (parsed JSON), the first time; null when there is none. */
export function takeEarlyConfig(source: EarlySource = pageBoot): Promise<unknown> | null {
	const early = boot(source);
	const config = early?.config ?? null;
	if (early !== null) early.config = undefined;
	return config;
}

/**
 * A fetch that answers a request the boot script already made with that answer (once). A boot
 * request that failed is sent again here, so an early failure is never the app's answer.
 */
export function withEarlyReads(
	baseFetch: typeof fetch,
	source: EarlySource = pageBoot
): typeof fetch {
	return (input, init) => {
		const early = boot(source);
		const body = init?.body;
		const authorization = new Headers(init?.headers).get('Authorization');
		if (
			early === null ||
			init?.method !== 'POST' ||
			typeof input !== 'string' ||
			typeof body !== 'string' ||
			authorization === null
		) {
			return baseFetch(input, init);
		}
		const key = earlyReadKey(input, body, authorization);
		const answer = early.reads[key];
		if (answer === undefined) return baseFetch(input, init);
		early.reads[key] = undefined;
		return answer.catch(() => baseFetch(input, init));
	};
}
