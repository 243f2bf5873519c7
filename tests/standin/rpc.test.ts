// PostgREST RPC conformance, driven by the official supabase-js, on every available back end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/index.ts';
import type { StandIn } from '../../supabase/standin/index.ts';
import {
	client,
	freshBackends,
	raw,
	signUpConfirmed,
	startForTest,
	uniqueEmail,
	userClient
} from './support.ts';

const backends = await freshBackends();

describe.each(backends)('RPC on $name', (backend) => {
	let standIn: StandIn;
	let anon: SupabaseClient;
	let alice: SupabaseClient;
	let aliceToken: string;
	let aliceId: string;

	beforeAll(async () => {
		standIn = await startForTest(backend);
		anon = client(standIn);
		const session = await signUpConfirmed(standIn, uniqueEmail('alice'), 'alice-password');
		aliceToken = session.accessToken;
		aliceId = session.userId;
		alice = userClient(standIn, aliceToken);
	});

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	describe('response shapes', () => {
		it('returns a scalar as a bare JSON value', async () => {
			const { data, error, status } = await anon.rpc('add', { a: 40, b: 2 });
			expect(error).toBeNull();
			expect(status).toBe(200);
			expect(data).toBe(42);
		});

		it('returns jsonb as JSON', async () => {
			const { data } = await anon.rpc('echo_json', { any: ['thing', 1], nested: { ok: true } });
			expect(data).toEqual({ any: ['thing', 1], nested: { ok: true } });
		});

		it('passes a whole array body to a single unnamed jsonb parameter', async () => {
			const response = await raw(standIn, '/rest/v1/rpc/echo_json', { body: '[1,2,3]' });
			expect(response.json).toEqual([1, 2, 3]);
		});

		it('returns a single composite as an object, and a NULL one as a null-filled object', async () => {
			expect((await anon.rpc('one_pair')).data).toEqual({ a: 1, b: 'one' });
			expect((await anon.rpc('null_pair')).data).toEqual({ a: null, b: null });
			expect((await anon.rpc('out_params')).data).toEqual({ total: 3, label: 'three' });
		});

		it('returns SETOF, TABLE and single-column TABLE as arrays of objects', async () => {
			expect((await anon.rpc('pairs', { n: 2 })).data).toEqual([
				{ a: 1, b: 'p1' },
				{ a: 2, b: 'p2' }
			]);
			expect((await anon.rpc('pairs', { n: 0 })).data).toEqual([]);
			expect((await anon.rpc('table_rows')).data).toEqual([
				{ id: 1, label: 'row1' },
				{ id: 2, label: null },
				{ id: 3, label: 'row3' }
			]);
			expect((await anon.rpc('single_col')).data).toEqual([{ x: 7 }]);
		});

		it('returns SETOF scalar as an array of values', async () => {
			expect((await anon.rpc('nums', { n: 3 })).data).toEqual([1, 2, 3]);
		});

		it('answers 204 for void', async () => {
			const { data, error, status } = await anon.rpc('nothing');
			expect(error).toBeNull();
			expect(status).toBe(204);
			expect(data).toBeNull();
		});

		it('lets defaulted arguments be omitted and chooses overloads by argument names', async () => {
			expect((await anon.rpc('greet')).data).toBe('hello world');
			expect((await anon.rpc('greet', { name: 'union' })).data).toBe('hello union');
			expect((await anon.rpc('pick', { x: 1 })).data).toBe('x');
			expect((await anon.rpc('pick', { y: 'a' })).data).toBe('y');
		});

		it('gives an object for .single() on one row and 406 PGRST116 otherwise', async () => {
			const one = await anon.rpc('pairs', { n: 1 }).single();
			expect(one.data).toEqual({ a: 1, b: 'p1' });
			const two = await anon.rpc('pairs', { n: 2 }).single();
			expect(two.status).toBe(406);
			expect(two.error?.code).toBe('PGRST116');
			expect(two.error?.details).toBe('The result contains 2 rows');
		});

		it("counts with count:'exact' (Content-Range)", async () => {
			const { data, count } = await anon.rpc('pairs', { n: 3 }, { count: 'exact' });
			expect(count).toBe(3);
			expect(data).toHaveLength(3);
			const empty = await raw(standIn, '/rest/v1/rpc/pairs', {
				body: '{"n":0}',
				headers: { Prefer: 'count=exact' }
			});
			expect(empty.headers.get('content-range')).toBe('*/0');
		});

		it('calls over GET with get:true, arrays encoded as {1,2}, in a read-only transaction', async () => {
			expect((await anon.rpc('add', { a: 40, b: 2 }, { get: true })).data).toBe(42);
			expect((await anon.rpc('sum_arr', { arr: [1, 2, 3] }, { get: true })).data).toBe(6);
			const who = await anon.rpc('whoami', {}, { get: true });
			expect(who.data).toMatchObject({ method: 'GET', read_only: 'on' });
		});

		it('runs volatile functions read-write over POST and stable ones read-only', async () => {
			const bumped = await anon.rpc('bump');
			expect(bumped.error).toBeNull();
			expect(typeof bumped.data).toBe('number');
			expect((await anon.rpc('whoami')).data).toMatchObject({ read_only: 'on', method: 'POST' });
		});

		it('honours head:true and Prefer: return=minimal', async () => {
			const head = await anon.rpc('pairs', { n: 2 }, { head: true, count: 'exact' });
			expect(head.error).toBeNull();
			expect(head.count).toBe(2);
			expect(head.data).toBeNull();
			const minimal = await raw(standIn, '/rest/v1/rpc/add', {
				body: '{"a":1,"b":2}',
				headers: { Prefer: 'return=minimal' }
			});
			expect(minimal.status).toBe(204);
			expect(minimal.text).toBe('');
		});

		it('applies response.status and response.headers set by the function', async () => {
			const response = await raw(standIn, '/rest/v1/rpc/with_status', { body: '{}' });
			expect(response.status).toBe(201);
			expect(response.headers.get('x-extra')).toBe('1');
			expect(response.headers.get('cache-control')).toBe('no-store');
			expect(response.json).toEqual({ created: true });
		});

		it('a writing function that sets response.status takes effect once per call', async () => {
			const first = await raw(standIn, '/rest/v1/rpc/bump_created', { body: '{}' });
			const second = await raw(standIn, '/rest/v1/rpc/bump_created', { body: '{}' });
			expect([first.status, second.status]).toEqual([201, 201]);
			expect(Number(second.json) - Number(first.json)).toBe(1);
		});

		it('passes text with quotes, backslashes, dollars and newlines through unchanged', async () => {
			const odd = `it's \\ a "$1" $$ $a$ \n\t E'\\x' ; select 1; -- 家属 \u0001`;
			expect((await anon.rpc('greet', { name: odd })).data).toBe(`hello ${odd}`);
			expect((await anon.rpc('greet', { name: odd }, { get: true })).data).toBe(`hello ${odd}`);
			expect((await anon.rpc('echo_json', { odd, list: [odd] })).data).toEqual({
				odd,
				list: [odd]
			});
		});

		it('strips nulls on request', async () => {
			const response = await raw(standIn, '/rest/v1/rpc/table_rows', {
				body: '{}',
				headers: { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' }
			});
			expect(response.json).toEqual([
				{ id: 1, label: 'row1' },
				{ id: 2 },
				{ id: 3, label: 'row3' }
			]);
		});
	});

	describe('request context', () => {
		it('gives anon a null uid and the anon role', async () => {
			const { data } = await anon.rpc('whoami');
			expect(data).toMatchObject({
				uid: null,
				role: 'anon',
				current_user: 'anon',
				claims_role: 'anon'
			});
			expect(data.search_path).toBe('"public", "extensions"');
			expect(data.path).toBe('/rpc/whoami');
			expect(data.client_info).toMatch(/^supabase-js/);
		});

		it('passes the user identity to SQL', async () => {
			const { data } = await alice.rpc('whoami');
			expect(data).toMatchObject({
				uid: aliceId,
				role: 'authenticated',
				current_user: 'authenticated',
				claims_role: 'authenticated'
			});
		});

		it('applies the impersonated role statement_timeout', async () => {
			expect((await anon.rpc('whoami')).data.statement_timeout).toBe('3s');
			expect((await alice.rpc('whoami')).data.statement_timeout).toBe('8s');
		});

		// PGlite has one superuser connection and no statement_timeout: these two are PostgreSQL's.
		if (backend.name === 'postgres') {
			it('logs in as authenticator on PostgreSQL', async () => {
				expect((await anon.rpc('whoami')).data.session_user).toBe('authenticator');
			});
		}

		if (backend.name === 'postgres') {
			it('enforces statement_timeout on PostgreSQL (57014 → 500)', async () => {
				const { error, status } = await anon.rpc('slow', { seconds: 4.5 });
				expect(status).toBe(500);
				expect(error?.code).toBe('57014');
			});
		}
	});

	describe('errors', () => {
		it('maps 23514 to 400', async () => {
			const { error, status } = await anon.rpc('set_age', { age: -1 });
			expect(status).toBe(400);
			expect(error?.code).toBe('23514');
		});

		it('maps 42501 to 401 for anon and 403 when authenticated; service_role may call', async () => {
			const asAnon = await anon.rpc('service_only');
			expect(asAnon.status).toBe(401);
			expect(asAnon.error?.code).toBe('42501');
			const asAlice = await alice.rpc('service_only');
			expect(asAlice.status).toBe(403);
			const asService = await client(standIn, standIn.serviceRoleKey).rpc('service_only');
			expect(asService.data).toBe('secret');
		});

		it('answers 404 PGRST202 for an unknown function and for wrong argument names', async () => {
			const unknown = await anon.rpc('no_such_function');
			expect(unknown.status).toBe(404);
			expect(unknown.error?.code).toBe('PGRST202');
			const wrongNames = await anon.rpc('add', { x: 1, y: 2 });
			expect(wrongNames.status).toBe(404);
			expect(wrongNames.error?.code).toBe('PGRST202');
			expect(wrongNames.error?.message).toContain('public.add(x, y)');
			const missing = await anon.rpc('add', { a: 1 });
			expect(missing.error?.code).toBe('PGRST202');
		});

		it('answers 300 PGRST203 for an ambiguous overload', async () => {
			const { status, error } = await anon.rpc('amb', { a: 1 });
			expect(status).toBe(300);
			expect(error?.code).toBe('PGRST203');
		});

		it('maps PT402 to 402 with details and hint', async () => {
			const { status, error } = await anon.rpc('pay');
			expect(status).toBe(402);
			expect(error).toMatchObject({
				code: 'PT402',
				message: 'Payment Required',
				details: 'Quota exceeded',
				hint: 'Upgrade your plan'
			});
		});

		it("maps RAISE SQLSTATE 'PGRST' to its status, headers and body; garbage to PGRST121", async () => {
			const custom = await raw(standIn, '/rest/v1/rpc/custom_error', { body: '{}' });
			expect(custom.status).toBe(418);
			expect(custom.headers.get('x-custom')).toBe('yes');
			expect(custom.json).toEqual({
				code: '123',
				message: 'Custom message',
				details: 'Some details',
				hint: 'A hint'
			});
			const bad = await anon.rpc('bad_custom_error');
			expect(bad.status).toBe(500);
			expect(bad.error?.code).toBe('PGRST121');
		});

		it('maps P0001 to 400, 22P02 to 400, 23505 to 409', async () => {
			const plain = await anon.rpc('plain_exception');
			expect(plain.status).toBe(400);
			expect(plain.error).toMatchObject({
				code: 'P0001',
				message: 'Something went wrong',
				hint: 'Try again'
			});
			const badInput = await anon.rpc('add', { a: 'x', b: 1 });
			expect(badInput.status).toBe(400);
			expect(badInput.error?.code).toBe('22P02');
			const body = `unique ${Date.now()}`;
			expect((await alice.rpc('add_note', { body })).error).toBeNull();
			const duplicate = await alice.rpc('add_note', { body });
			expect(duplicate.status).toBe(409);
			expect(duplicate.error?.code).toBe('23505');
		});

		it('answers 405 / 25006 for a writing function over GET', async () => {
			const { status, error } = await anon.rpc('bump', {}, { get: true });
			expect(status).toBe(405);
			expect(error?.code).toBe('25006');
		});

		it('answers 400 PGRST102 for malformed JSON', async () => {
			const response = await raw(standIn, '/rest/v1/rpc/add', { body: '{"a": 1,' });
			expect(response.status).toBe(400);
			expect(response.json).toEqual({
				code: 'PGRST102',
				details: null,
				hint: null,
				message: 'Empty or invalid json'
			});
		});

		it('answers 401 PGRST303 with WWW-Authenticate for an expired JWT', async () => {
			const now = Math.floor(Date.now() / 1000);
			const expired = await signJwt(
				{
					sub: aliceId,
					role: 'authenticated',
					aud: 'authenticated',
					iat: now - 7200,
					exp: now - 3600
				},
				DEFAULT_JWT_SECRET
			);
			const { status, error } = await userClient(standIn, expired).rpc('whoami');
			expect(status).toBe(401);
			expect(error).toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
			const response = await raw(standIn, '/rest/v1/rpc/whoami', {
				body: '{}',
				headers: { Authorization: `Bearer ${expired}` }
			});
			expect(response.headers.get('www-authenticate')).toBe(
				'Bearer error="invalid_token", error_description="JWT expired"'
			);
		});

		it('answers 401 PGRST301 for a forged JWT, alg none and garbage', async () => {
			const forged = await signJwt(
				{ sub: aliceId, role: 'service_role', exp: Math.floor(Date.now() / 1000) + 600 },
				'a-completely-different-secret-of-at-least-32-chars'
			);
			const forgedCall = await userClient(standIn, forged).rpc('whoami');
			expect(forgedCall.status).toBe(401);
			expect(forgedCall.error?.code).toBe('PGRST301');

			const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
			const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ role: 'service_role' })}.`;
			const noneCall = await userClient(standIn, none).rpc('whoami');
			expect(noneCall.status).toBe(401);
			expect(noneCall.error?.code).toBe('PGRST301');

			const garbage = await userClient(standIn, 'not-a-jwt').rpc('whoami');
			expect(garbage.status).toBe(401);
			expect(garbage.error?.code).toBe('PGRST301');
		});

		it('answers 401 for a missing or unknown apikey, on /rest and /auth', async () => {
			const missing = await raw(standIn, '/rest/v1/rpc/ping', { body: '{}', apikey: null });
			expect(missing.status).toBe(401);
			expect(missing.json).toMatchObject({ message: 'No API key found in request' });
			const wrong = await raw(standIn, '/rest/v1/rpc/ping', { body: '{}', apikey: 'nope' });
			expect(wrong.status).toBe(401);
			expect(wrong.json).toMatchObject({ message: 'Invalid API key' });
			const auth = await raw(standIn, '/auth/v1/settings', { method: 'GET', apikey: null });
			expect(auth.status).toBe(401);
			const query = await raw(standIn, `/rest/v1/rpc/ping?apikey=${standIn.anonKey}`, {
				method: 'GET',
				apikey: null
			});
			expect(query.status).toBe(200);
			expect(query.json).toBe('pong');
		});

		it('answers PGRST101, PGRST106, PGRST205 and 413 where PostgREST and the gateway do', async () => {
			const put = await raw(standIn, '/rest/v1/rpc/ping', { method: 'PUT', body: '{}' });
			expect(put.status).toBe(405);
			expect((put.json as { code: string }).code).toBe('PGRST101');
			const schema = await raw(standIn, '/rest/v1/rpc/ping', {
				body: '{}',
				headers: { 'Content-Profile': 'private' }
			});
			expect(schema.status).toBe(406);
			expect((schema.json as { code: string }).code).toBe('PGRST106');
			const table = await raw(standIn, '/rest/v1/notes', { method: 'GET' });
			expect(table.status).toBe(404);
			expect((table.json as { code: string }).code).toBe('PGRST205');
			const huge = await raw(standIn, '/rest/v1/rpc/echo_json', {
				body: JSON.stringify({ blob: 'x'.repeat(1_100_000) })
			});
			expect(huge.status).toBe(413);
			expect(huge.json).toMatchObject({ details: null, hint: null });
			// The stand-in keeps serving afterwards.
			expect((await anon.rpc('ping')).data).toBe('pong');
		});

		it('has every error body in the {code, details, hint, message} shape', async () => {
			for (const fn of ['no_such_function', 'pay', 'plain_exception', 'service_only']) {
				const response = await raw(standIn, `/rest/v1/rpc/${fn}`, { body: '{}' });
				expect(Object.keys(response.json as object).sort()).toEqual([
					'code',
					'details',
					'hint',
					'message'
				]);
				expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
			}
		});
	});

	describe('gateway', () => {
		it('answers CORS preflight with the headers supabase-js sends', async () => {
			const response = await fetch(`${standIn.url}/rest/v1/rpc/ping`, {
				method: 'OPTIONS',
				headers: {
					Origin: 'http://localhost:5173',
					'Access-Control-Request-Method': 'POST',
					'Access-Control-Request-Headers': 'authorization,apikey,content-type,x-client-info'
				}
			});
			expect(response.status).toBe(204);
			expect(response.headers.get('access-control-allow-origin')).toBe('*');
			const allowed = response.headers.get('access-control-allow-headers') ?? '';
			for (const name of [
				'authorization',
				'apikey',
				'content-type',
				'x-client-info',
				'x-supabase-api-version',
				'prefer',
				'accept-profile',
				'content-profile',
				'x-retry-count'
			]) {
				expect(allowed).toContain(name);
			}
			const call = await raw(standIn, '/rest/v1/rpc/pairs', {
				body: '{"n":1}',
				headers: { Origin: 'http://localhost:5173' }
			});
			expect(call.headers.get('access-control-expose-headers')).toContain('Content-Range');
		});

		it('survives odd requests: apikey in the query of a POST, text/plain, bad escapes, filters', async () => {
			const viaQuery = await raw(standIn, `/rest/v1/rpc/add?apikey=${standIn.anonKey}`, {
				body: '{"a":1,"b":1}',
				apikey: null
			});
			expect(viaQuery.json).toBe(2);
			const textPlain = await raw(standIn, '/rest/v1/rpc/add', {
				body: '{"a":1,"b":1}',
				headers: { 'Content-Type': 'text/plain' }
			});
			expect(textPlain.status).toBe(415);
			const badEscape = await raw(standIn, '/rest/v1/rpc/%E0%A4%A', { body: '{}' });
			expect(badEscape.status).toBe(404);
			const filtered = await raw(standIn, '/rest/v1/rpc/pairs?select=a', { body: '{"n":1}' });
			expect(filtered.status).toBe(400);
			expect((filtered.json as { code: string }).code).toBe('PGRST100');
			const head = await fetch(`${standIn.url}/rest/v1/rpc/nums?n=2`, {
				method: 'HEAD',
				headers: { apikey: standIn.anonKey }
			});
			expect(head.status).toBe(200);
			expect(await head.text()).toBe('');
		});

		it('finds new functions, and sees changed ones after a schema reload', async () => {
			await standIn.backend.exec(
				`create function public.late_fn() returns text language sql as $$ select 'late' $$;`
			);
			await new Promise((resolve) => setTimeout(resolve, 1100)); // past the miss-refresh throttle
			expect((await anon.rpc('late_fn')).data).toBe('late');
			await standIn.backend.exec(`drop function public.late_fn();
				create function public.late_fn() returns setof integer language sql as $$ select 1 union all select 2 $$;`);
			await standIn.reloadSchema();
			expect((await anon.rpc('late_fn')).data).toEqual([1, 2]);
			if (backend.name === 'postgres') {
				await standIn.backend.exec(`drop function public.late_fn();
					create function public.late_fn() returns public.pair language sql as $$ select row(9, 'n')::public.pair $$;
					notify pgrst, 'reload schema';`);
				await new Promise((resolve) => setTimeout(resolve, 300));
				expect((await anon.rpc('late_fn')).data).toEqual({ a: 9, b: 'n' });
			}
		});

		it('answers GET /rest/v1/ with a small description', async () => {
			const response = await raw(standIn, '/rest/v1/', { method: 'GET' });
			expect(response.status).toBe(200);
		});
	});
});
