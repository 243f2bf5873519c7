// The offline engine against the real server contract: the local stand-in (PGlite, the app's
// migrations and seed) with the real supabase-js, real sessions and the real apply_actions. The
// network faults are injected in the transport's fetch, where a phone's network would fail.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStandIn, type StandIn } from '../../supabase/standin/index.ts';
import { asOwner, createActivity } from '../../supabase/tests/support.ts';
import type { UnionDatabase } from '../../src/lib/data/client.ts';
import { classify } from '../../src/lib/domain/outbox-classify.ts';
import { OfflineDatabase } from '../../src/lib/offline/db.ts';
import { Flusher } from '../../src/lib/offline/flusher.ts';
import { Outbox } from '../../src/lib/offline/outbox-store.ts';
import {
	supabaseAuthPort,
	supabaseTransport,
	type AuthPort
} from '../../src/lib/offline/transport.ts';
import { memoryLock } from './support.ts';

const PASSWORD = 'demo-union-2027';

function urlOf(input: RequestInfo | URL): string {
	return input instanceof Request ? input.url : input.toString();
}

let standIn: StandIn;
let client: SupabaseClient<UnionDatabase>;
let userId: string;

beforeAll(async () => {
	standIn = await startStandIn({ backend: { kind: 'pglite' }, port: 0, log: false });
	client = createClient<UnionDatabase>(standIn.url, standIn.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
	});
	const { data, error } = await client.auth.signInWithPassword({
		email: 'employee@union.example',
		password: PASSWORD
	});
	if (error !== null) throw error;
	userId = data.user.id;
});

afterAll(async () => {
	await standIn.stop();
});

type FetchFault = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> | undefined;

function rig(
	options: { fault?: FetchFault; auth?: AuthPort; timeoutMs?: number; maxBatch?: number } = {}
) {
	const database = new OfflineDatabase({ name: `standin-${randomUUID()}` });
	const outbox = new Outbox(database, { channel: null });
	let calls = 0;
	const transport = supabaseTransport(standIn.url, standIn.anonKey, {
		timeoutMs: options.timeoutMs ?? 15_000,
		fetch: async (input, init) => {
			calls += 1;
			return options.fault?.(input, init) ?? fetch(input, init);
		}
	});
	const flusher = new Flusher({
		outbox,
		transport,
		auth: options.auth ?? supabaseAuthPort(client),
		lock: memoryLock(),
		random: () => 0,
		...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch })
	});
	return {
		outbox,
		flusher,
		calls: () => calls,
		close() {
			flusher.stop();
			outbox.close();
			database.close();
		}
	};
}

async function registrations(activity: string): Promise<Array<{ status: string }>> {
	return asOwner(standIn.backend, (tx) =>
		tx.query<{ status: string }>(
			'select status from private.registrations where activity_id = $1::uuid',
			[activity]
		)
	);
}

async function ledgerRows(ids: string[]): Promise<number> {
	const [row] = await asOwner(standIn.backend, (tx) =>
		tx.query<{ n: number }>(
			"select count(*)::int as n from private.client_actions where id::text = any(string_to_array($1, ','))",
			[ids.join(',')]
		)
	);
	return row?.n ?? -1;
}

describe('the outbox against the stand-in (real supabase-js, real apply_actions)', () => {
	test('a saved sign-up and its cancel are applied once each, in order', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		const r = rig();
		const signup = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		const cancel = await r.outbox.enqueue(userId, 'cancel_signup', { activity_id: activity });
		await r.flusher.start(userId);
		const [a, b] = await r.outbox.rows(userId);
		expect(a).toMatchObject({ id: signup.id, status: 'acked', result: { code: 'registered' } });
		expect(b).toMatchObject({ id: cancel.id, status: 'acked', result: { code: 'cancelled' } });
		expect(a?.result?.activity_version).toBeGreaterThan(0);
		expect(await registrations(activity)).toEqual([{ status: 'cancelled' }]);
		expect(await ledgerRows([signup.id, cancel.id])).toBe(2);
		r.close();
	});

	test('T34 the answer lost after the server committed: retried, replayed, one effect (I2)', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		let lost = false;
		const r = rig({
			fault: (input, init) => {
				if (lost || !urlOf(input).includes('/rpc/apply_actions')) return undefined;
				lost = true;
				return fetch(input, init).then(() => {
					throw new TypeError('Failed to fetch (connection reset)');
				});
			}
		});
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		expect(r.flusher.status.phase).toBe('offline');
		expect((await r.outbox.get(row.id))?.status).toBe('pending');
		expect(await registrations(activity)).toEqual([{ status: 'registered' }]);
		await r.flusher.trigger('online');
		const acked = await r.outbox.get(row.id);
		expect(acked).toMatchObject({
			status: 'acked',
			result: { replayed: true, code: 'registered' }
		});
		expect(await registrations(activity)).toEqual([{ status: 'registered' }]);
		expect(await ledgerRows([row.id])).toBe(1);
		r.close();
	});

	test('T10 a captive portal (200 text/html) is transient and applies nothing', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		let portal = true;
		const r = rig({
			fault: (input) =>
				portal && urlOf(input).includes('/rpc/')
					? Promise.resolve(
							new Response('<html><body>Sign in to the Wi-Fi</body></html>', {
								status: 200,
								headers: { 'content-type': 'text/html' }
							})
						)
					: undefined
		});
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		expect(r.flusher.status).toMatchObject({ phase: 'error', lastError: { kind: 'bad_response' } });
		expect((await r.outbox.get(row.id))?.status).toBe('pending');
		expect(await registrations(activity)).toEqual([]);
		portal = false;
		await r.flusher.trigger('manual');
		expect((await r.outbox.get(row.id))?.status).toBe('acked');
		r.close();
	});

	test('T05 a real 401 (a bad token) refreshes once, then succeeds', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		const real = supabaseAuthPort(client);
		let refreshes = 0;
		let stale = true;
		const auth: AuthPort = {
			async current() {
				const state = await real.current();
				return stale && state.status === 'ok' ? { ...state, accessToken: 'not-a-jwt' } : state;
			},
			async refresh() {
				refreshes += 1;
				stale = false;
				return 'ok';
			}
		};
		const r = rig({ auth });
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		expect(refreshes).toBe(1);
		expect((await r.outbox.get(row.id))?.status).toBe('acked');
		r.close();
	});

	test('batches never exceed the server limit of 50, even when configured higher', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 100 });
		const other = await createActivity(standIn.backend, { capacity: 100 });
		const r = rig({ maxBatch: 60 });
		const rows = [];
		for (let i = 0; i < 56; i += 1) {
			rows.push(
				await r.outbox.enqueue(userId, i % 2 === 0 ? 'signup' : 'cancel_signup', {
					activity_id: activity
				})
			);
		}
		await r.flusher.start(userId);
		const stored = await r.outbox.rows(userId);
		expect(stored.every((row) => row.status === 'acked')).toBe(true);
		expect(await ledgerRows(rows.map((row) => row.id))).toBe(56);
		expect(r.calls()).toBe(2);
		expect(await registrations(other)).toEqual([]);
		r.close();
	});

	test('T13 the real 413 batch_too_large answer is read as "halve the batch"', async () => {
		const { access_token } = (await client.auth.getSession()).data.session!;
		const transport = supabaseTransport(standIn.url, standIn.anonKey);
		const actions = Array.from({ length: 51 }, (_, i) => ({
			id: randomUUID(),
			v: 1,
			seq: i + 1,
			kind: 'signup',
			user_id: userId,
			client_at: new Date().toISOString(),
			payload: { activity_id: randomUUID() }
		}));
		const outcome = await transport.send({
			deviceId: 'phone-test',
			sentAt: new Date().toISOString(),
			actions,
			accessToken: access_token
		});
		expect(outcome).toMatchObject({ type: 'response', status: 413 });
		expect(classify(outcome, Date.now())).toMatchObject({ kind: 'split', code: 'PT413' });
	});

	test('a request that hangs times out (AbortController) and is retried later', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		let hang = true;
		const r = rig({
			timeoutMs: 300,
			fault: (input, init) =>
				hang && urlOf(input).includes('/rpc/')
					? new Promise<Response>((_resolve, reject) => {
							init?.signal?.addEventListener('abort', () => {
								reject(new DOMException('aborted', 'AbortError'));
							});
						})
					: undefined
		});
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		expect(r.flusher.status).toMatchObject({ phase: 'offline', lastError: { kind: 'timeout' } });
		hang = false;
		await r.flusher.trigger('online');
		expect((await r.outbox.get(row.id))?.status).toBe('acked');
		r.close();
	});

	test('R8 a proxy answering 400 text/html for longer than the poison limit: the action is retried until it goes through, once', async () => {
		const activity = await createActivity(standIn.backend, { capacity: 10 });
		const PROXY_ANSWERS = 8;
		let proxied = 0;
		const r = rig({
			fault: (input) => {
				if (!urlOf(input).includes('/rpc/apply_actions') || proxied >= PROXY_ANSWERS) {
					return undefined;
				}
				proxied += 1;
				return Promise.resolve(
					new Response('<html><body><h1>Bad Request (proxy)</h1></body></html>', {
						status: 400,
						headers: { 'content-type': 'text/html' }
					})
				);
			}
		});
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		// Each failure is retried after its backoff (0 ms here) until the real server answers.
		await expect
			.poll(async () => (await r.outbox.get(row.id))?.status, { timeout: 10_000 })
			.toBe('acked');
		expect(proxied).toBe(PROXY_ANSWERS);
		expect(r.calls()).toBe(PROXY_ANSWERS + 1);
		expect(await registrations(activity)).toEqual([{ status: 'registered' }]);
		expect(await ledgerRows([row.id])).toBe(1);
		r.close();
	});

	test('R11 the stand-in lets the page read Retry-After (CORS-exposed), so a 503 is waited out', async () => {
		const response = await fetch(`${standIn.url}/rest/v1/`, {
			headers: { Origin: 'http://127.0.0.1:5173', apikey: standIn.anonKey }
		});
		const exposed = (response.headers.get('access-control-expose-headers') ?? '')
			.split(',')
			.map((name) => name.trim().toLowerCase());
		expect(exposed).toContain('retry-after');
	});

	test('a business refusal is kept as rejected with its code (signup_closed)', async () => {
		const activity = await createActivity(standIn.backend, {
			signup_closes_at: new Date(Date.now() - 60_000).toISOString()
		});
		const r = rig();
		const row = await r.outbox.enqueue(userId, 'signup', { activity_id: activity });
		await r.flusher.start(userId);
		expect(await r.outbox.get(row.id)).toMatchObject({
			status: 'rejected',
			result: { code: 'signup_closed' }
		});
		r.close();
	});
});
