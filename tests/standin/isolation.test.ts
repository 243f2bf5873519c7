// Identity isolation under load, and row-level security through invoker functions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { StandIn } from '../../supabase/standin/index.ts';
import {
	client,
	freshBackends,
	signUpConfirmed,
	startForTest,
	uniqueEmail,
	userClient
} from './support.ts';

const backends = await freshBackends();

describe.each(backends)('isolation on $name', (backend) => {
	let standIn: StandIn;
	const users: Record<'alice' | 'bob', { id: string; client: SupabaseClient }> = {} as never;

	beforeAll(async () => {
		standIn = await startForTest(backend);
		for (const name of ['alice', 'bob'] as const) {
			const session = await signUpConfirmed(standIn, uniqueEmail(name), `${name}-password`);
			users[name] = { id: session.userId, client: userClient(standIn, session.accessToken) };
		}
	});

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	it('has zero identity mismatches in 600 interleaved concurrent calls', async () => {
		const anon = client(standIn);
		const callers = [
			{ expected: users.alice.id, role: 'authenticated', client: users.alice.client },
			{ expected: users.bob.id, role: 'authenticated', client: users.bob.client },
			{ expected: null, role: 'anon', client: anon }
		];
		const results = await Promise.all(
			Array.from({ length: 600 }, async (_, i) => {
				const caller = callers[i % 3];
				if (!caller) throw new Error('unreachable');
				const { data, error } = await caller.client.rpc('whoami', {}, { get: i % 2 === 0 });
				return { caller, data, error };
			})
		);
		const errors = results.filter((r) => r.error);
		expect(errors).toEqual([]);
		const mismatches = results.filter(
			(r) => r.data?.uid !== r.caller.expected || r.data?.current_user !== r.caller.role
		);
		expect(mismatches).toHaveLength(0);
	});

	it('keeps each user to their own rows through an invoker function; service_role bypasses RLS', async () => {
		const aliceNote = `alice note ${Date.now()}`;
		const bobNote = `bob note ${Date.now()}`;
		const added = await users.alice.client.rpc('add_note', { body: aliceNote });
		expect(added.data).toMatchObject({ owner: users.alice.id, body: aliceNote });
		await users.bob.client.rpc('add_note', { body: bobNote });

		const aliceSees = (await users.alice.client.rpc('my_notes')).data as Array<{
			body: string;
			owner: string;
		}>;
		expect(aliceSees.map((n) => n.body)).toContain(aliceNote);
		expect(aliceSees.map((n) => n.body)).not.toContain(bobNote);
		expect(aliceSees.every((n) => n.owner === users.alice.id)).toBe(true);

		const bobSees = (await users.bob.client.rpc('my_notes')).data as Array<{ body: string }>;
		expect(bobSees.map((n) => n.body)).toEqual([bobNote]);

		expect((await client(standIn).rpc('my_notes')).data).toEqual([]);

		const service = client(standIn, standIn.serviceRoleKey);
		const all = (await service.rpc('my_notes')).data as Array<{ body: string }>;
		expect(all.map((n) => n.body)).toEqual(expect.arrayContaining([aliceNote, bobNote]));
		expect((await service.rpc('whoami')).data).toMatchObject({
			role: 'service_role',
			current_user: 'service_role'
		});
	});

	it('does not let anon write where RLS has no policy for it', async () => {
		const { error, status } = await client(standIn).rpc('add_note', { body: `anon ${Date.now()}` });
		expect(error).not.toBeNull();
		expect([400, 401, 403]).toContain(status);
	});
});
