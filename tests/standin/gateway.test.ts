// The gateway's own rules: the mailbox is same-origin only, and hostile bodies (deeply nested
// JSON, a large body without Content-Length) get a 4xx answer rather than a 500 or a reset.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIn } from '../../supabase/standin/index.ts';
import { freshBackends, raw, startForTest, uniqueEmail } from './support.ts';

const backends = await freshBackends();

/** A GET with headers fetch() will not send as given (Host), answered as status and headers. */
function getWithHeaders(
	url: string,
	headers: Record<string, string>
): Promise<{ status: number; headers: Record<string, unknown> }> {
	return new Promise((resolve, reject) => {
		const req = request(url, { headers, agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
		});
		req.on('error', reject);
		req.end();
	});
}

function nested(depth: number): string {
	return '['.repeat(depth) + ']'.repeat(depth);
}

describe.each(backends)('gateway on $name', (backend) => {
	let standIn: StandIn;

	beforeAll(async () => {
		standIn = await startForTest(backend);
	});

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	it('R14 the mailbox answers its own origin and no other, with no CORS headers', async () => {
		const email = uniqueEmail('mailbox');
		await raw(standIn, '/auth/v1/otp', { body: JSON.stringify({ email }) });
		const messages = `${standIn.mailboxUrl}/api/messages?email=${encodeURIComponent(email)}`;

		const foreign: Array<Record<string, string>> = [
			{ Origin: 'https://evil.example' },
			{ Origin: 'null' },
			// Another port of the same host is another origin (the same site, still not the mailbox).
			{ Origin: 'http://127.0.0.1:5173' },
			{ 'Sec-Fetch-Site': 'cross-site' },
			{ 'Sec-Fetch-Site': 'same-site' }
		];
		for (const headers of foreign) {
			for (const url of [messages, standIn.mailboxUrl]) {
				const response = await fetch(url, { headers });
				expect(response.status, JSON.stringify(headers)).toBe(403);
				expect(response.headers.get('access-control-allow-origin')).toBeNull();
				expect(await response.text()).not.toContain(email);
			}
		}
		const preflight = await fetch(messages, {
			method: 'OPTIONS',
			headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' }
		});
		expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
		// DNS rebinding: a foreign host name that resolves to loopback names itself in Host.
		const port = new URL(standIn.url).port;
		const rebound = await getWithHeaders(messages, {
			Host: `evil.example:${port}`,
			Origin: `http://evil.example:${port}`
		});
		expect(rebound.status).toBe(403);

		// Its own page (the filter form, the refresh), a typed address, and Node (no Origin).
		const own: Array<Record<string, string>> = [
			{},
			{ Origin: standIn.url },
			{ 'Sec-Fetch-Site': 'same-origin' },
			{ 'Sec-Fetch-Site': 'none' }
		];
		for (const headers of own) {
			const response = await fetch(messages, { headers });
			expect(response.status, JSON.stringify(headers)).toBe(200);
			expect(response.headers.get('access-control-allow-origin')).toBeNull();
			expect(JSON.stringify(await response.json())).toContain(email);
		}
		const page = await fetch(`${standIn.mailboxUrl}?email=${encodeURIComponent(email)}`, {
			headers: { 'Sec-Fetch-Site': 'same-origin' }
		});
		expect(await page.text()).toContain(email);

		// The API itself keeps Supabase's CORS.
		const api = await raw(standIn, '/auth/v1/settings', {
			method: 'GET',
			headers: { Origin: 'https://evil.example' }
		});
		expect(api.headers.get('access-control-allow-origin')).toBe('*');
	});

	it('R15 JSON nested 10,000 deep is refused with a PostgREST-shaped 4xx, not a 500', async () => {
		for (const body of [nested(10_000), `{"value": ${nested(10_000)}}`]) {
			const response = await raw(standIn, '/rest/v1/rpc/echo_json', { body });
			expect(response.status).toBe(413);
			expect(response.json).toEqual({
				code: '54001',
				details: null,
				hint: expect.any(String),
				message: 'stack depth limit exceeded'
			});
		}
		const auth = await raw(standIn, '/auth/v1/signup', {
			body: JSON.stringify({ email: uniqueEmail('deep'), password: 'a-good-password' }).replace(
				/}$/,
				`, "data": {"x": ${nested(10_000)}}}`
			),
			headers: { 'X-Supabase-Api-Version': '2024-01-01' }
		});
		expect(auth.status).toBe(400);
		expect(auth.json).toMatchObject({ code: 'bad_json' });
		// Ordinary nesting still passes.
		const fine = await raw(standIn, '/rest/v1/rpc/echo_json', { body: nested(50) });
		expect(fine.status).toBe(200);
	});

	it('R15 a body over 1 MiB sent without Content-Length gets a 413 answer while it is still coming, not a reset', async () => {
		const answer = await new Promise<{ status: number; body: string; sentBytes: number }>(
			(resolve, reject) => {
				let sentBytes = 0;
				let answered = false;
				const req = request(`${standIn.url}/rest/v1/rpc/echo_json`, {
					method: 'POST',
					agent: false,
					headers: { apikey: standIn.anonKey, 'Content-Type': 'application/json' }
				});
				req.on('response', (res) => {
					answered = true;
					const chunks: Buffer[] = [];
					res.on('data', (chunk: Buffer) => chunks.push(chunk));
					res.on('end', () =>
						resolve({
							status: res.statusCode ?? 0,
							body: Buffer.concat(chunks).toString('utf8'),
							sentBytes
						})
					);
					req.end();
				});
				req.on('error', (error) => {
					if (!answered) reject(error);
				});
				// Chunked (no Content-Length), sent until the server answers, 64 MiB at most.
				const chunk = Buffer.alloc(64 * 1024, 0x20);
				const pump = () => {
					while (!answered && sentBytes < 64 * 1024 * 1024) {
						sentBytes += chunk.length;
						if (!req.write(chunk)) {
							req.once('drain', pump);
							return;
						}
					}
					if (!answered) req.end();
				};
				pump();
			}
		);
		expect(answer.status).toBe(413);
		expect(JSON.parse(answer.body)).toMatchObject({ code: 'PGRST413' });
		// Answered once the limit was passed, not after reading everything the client had.
		expect(answer.sentBytes).toBeLessThan(64 * 1024 * 1024);
	});
});
