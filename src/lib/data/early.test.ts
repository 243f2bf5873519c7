import { describe, expect, it } from 'vitest';
import {
	EARLY_READ_TTL_MS,
	earlyReadKey,
	takeEarlyConfig,
	withEarlyReads,
	type EarlyBoot,
	type EarlySource
} from './early.ts';

// What app.html's boot script leaves behind (a page's window.unionEarly).
function bootWith(reads: Record<string, Promise<Response>>, at = performance.now()): EarlySource {
	const early: EarlyBoot = { at, reads, config: Promise.resolve({ supabaseUrl: 'x' }) };
	return () => early;
}

const URL_WHOAMI = 'https://api.example/rest/v1/rpc/whoami';
const init = (authorization = 'Bearer token-1', body = '{}'): RequestInit => ({
	method: 'POST',
	body,
	headers: { Authorization: authorization, apikey: 'key' }
});

/** The boot script's whoami for token-1, answered with `answer`. */
function earlyWhoami(answer: Promise<Response>): Record<string, Promise<Response>> {
	return { [earlyReadKey(URL_WHOAMI, '{}', 'Bearer token-1')]: answer };
}
const earlyAnswer = (): Promise<Response> => Promise.resolve(Response.json({ from: 'early' }));

/** The network behind the early reads: counts what reaches it. */
function network(): { fetch: typeof fetch; calls: string[] } {
	const calls: string[] = [];
	return {
		calls,
		fetch: async (input: RequestInfo | URL) => {
			calls.push(input instanceof Request ? input.url : input.toString());
			return Response.json({ from: 'network' });
		}
	};
}

describe('withEarlyReads', () => {
	it('answers the same request with the early answer, once', async () => {
		const source = bootWith(earlyWhoami(earlyAnswer()));
		const net = network();
		const fetchEarly = withEarlyReads(net.fetch, source);
		expect(await (await fetchEarly(URL_WHOAMI, init())).json()).toEqual({ from: 'early' });
		expect(await (await fetchEarly(URL_WHOAMI, init())).json()).toEqual({ from: 'network' });
		expect(net.calls).toEqual([URL_WHOAMI]);
	});

	it('asks the network when the token, the body or the method differ', async () => {
		const source = bootWith(earlyWhoami(earlyAnswer()));
		const net = network();
		const fetchEarly = withEarlyReads(net.fetch, source);
		await fetchEarly(URL_WHOAMI, init('Bearer token-2'));
		await fetchEarly(URL_WHOAMI, init('Bearer token-1', '{"a":1}'));
		await fetchEarly(URL_WHOAMI, { ...init(), method: 'GET' });
		expect(net.calls).toHaveLength(3);
	});

	it('sends a request again when its early attempt failed', async () => {
		const source = bootWith(earlyWhoami(Promise.reject(new TypeError('Failed to fetch'))));
		const net = network();
		const response = await withEarlyReads(net.fetch, source)(URL_WHOAMI, init());
		expect(await response.json()).toEqual({ from: 'network' });
		expect(net.calls).toEqual([URL_WHOAMI]);
	});

	it('ignores early answers after the first page', async () => {
		const source = bootWith(earlyWhoami(earlyAnswer()), performance.now() - EARLY_READ_TTL_MS - 1);
		const net = network();
		expect(await (await withEarlyReads(net.fetch, source)(URL_WHOAMI, init())).json()).toEqual({
			from: 'network'
		});
		expect(takeEarlyConfig(source)).toBeNull();
	});

	it('passes everything through where no boot script ran', async () => {
		const source = (): undefined => undefined;
		const net = network();
		await withEarlyReads(net.fetch, source)(URL_WHOAMI, init());
		expect(net.calls).toEqual([URL_WHOAMI]);
		expect(takeEarlyConfig(source)).toBeNull();
	});
});

describe('takeEarlyConfig', () => {
	it('hands over the config once', async () => {
		const source = bootWith({});
		expect(await takeEarlyConfig(source)).toEqual({ supabaseUrl: 'x' });
		expect(takeEarlyConfig(source)).toBeNull();
	});
});
