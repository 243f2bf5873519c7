import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig, parseRuntimeConfig } from './config.ts';

const ANON_KEY =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
// Built here rather than pasted: only the payload's role matters to the check.
const SERVICE_KEY = `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ role: 'service_role' }))}.signature`;

describe('parseRuntimeConfig', () => {
	it('accepts a URL and the anon key, and drops a trailing slash', () => {
		expect(
			parseRuntimeConfig({ supabaseUrl: 'http://127.0.0.1:54321/', supabaseKey: ANON_KEY })
		).toEqual({
			ok: true,
			config: { supabaseUrl: 'http://127.0.0.1:54321', supabaseKey: ANON_KEY }
		});
	});

	it('accepts a publishable key', () => {
		const result = parseRuntimeConfig({
			supabaseUrl: 'https://abc.supabase.co',
			supabaseKey: 'sb_publishable_xyz'
		});
		expect(result.ok).toBe(true);
	});

	it.each([
		[null, 'object'],
		[[], 'object'],
		[{}, 'supabaseUrl'],
		[{ supabaseUrl: 'not a url', supabaseKey: ANON_KEY }, 'not a URL'],
		[{ supabaseUrl: 'ftp://x.example', supabaseKey: ANON_KEY }, 'https://'],
		[{ supabaseUrl: 'https://x.example' }, 'supabaseKey'],
		[{ supabaseUrl: 'https://x.example', supabaseKey: '  ' }, 'supabaseKey']
	])('rejects %j', (input, problem) => {
		const result = parseRuntimeConfig(input);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.problem).toContain(problem);
	});

	it('refuses secret keys, which would bypass row-level security', () => {
		for (const supabaseKey of [SERVICE_KEY, 'sb_secret_abc']) {
			const result = parseRuntimeConfig({ supabaseUrl: 'https://x.example', supabaseKey });
			expect(result.ok).toBe(false);
		}
	});
});

describe('loadRuntimeConfig', () => {
	it('fetches in the default cache mode, so it takes the copy app.html preloads', async () => {
		let seenInit: RequestInit | undefined;
		const fakeFetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
			seenInit = init;
			return Response.json({ supabaseUrl: 'https://x.example', supabaseKey: ANON_KEY });
		}) as typeof fetch;
		const result = await loadRuntimeConfig(fakeFetch);
		expect(result.ok).toBe(true);
		// Freshness comes from the server: /config.json is served `Cache-Control: no-cache` (G2).
		expect(seenInit?.cache).toBeUndefined();
	});

	it('explains a missing file and a broken file', async () => {
		const missing = await loadRuntimeConfig(async () => new Response('', { status: 404 }));
		expect(missing).toEqual({ ok: false, problem: '/config.json answered HTTP 404' });
		const broken = await loadRuntimeConfig(async () => new Response('{oops'));
		expect(broken).toEqual({ ok: false, problem: '/config.json is not valid JSON' });
	});

	it('takes the copy app.html fetched, and fetches itself when that one failed', async () => {
		let fetched = 0;
		const fakeFetch = (async () => {
			fetched += 1;
			return Response.json({ supabaseUrl: 'https://y.example', supabaseKey: ANON_KEY });
		}) as typeof fetch;
		const early = { at: performance.now(), reads: {} };
		const taken = await loadRuntimeConfig(fakeFetch, () => ({
			...early,
			config: Promise.resolve({ supabaseUrl: 'https://x.example', supabaseKey: ANON_KEY })
		}));
		expect(taken.ok && taken.config.supabaseUrl).toBe('https://x.example');
		expect(fetched).toBe(0);
		const fetchedAgain = await loadRuntimeConfig(fakeFetch, () => ({
			...early,
			config: Promise.reject(new Error('HTTP 404'))
		}));
		expect(fetchedAgain.ok && fetchedAgain.config.supabaseUrl).toBe('https://y.example');
		expect(fetched).toBe(1);
	});

	it('explains a network failure', async () => {
		const result = await loadRuntimeConfig(async () => {
			throw new TypeError('Failed to fetch');
		});
		expect(result.ok).toBe(false);
	});
});
