// The stand-in in front of the real product (its migrations and demo seed): a password sign-up
// with someone else's roster address must not become that member ("Confirm email" on).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/index.ts';
import type { StandIn } from '../../supabase/standin/index.ts';
import { client, freshBackends, latestCode, startForTest, userClient } from './support.ts';

const backends = await freshBackends();
const SUPABASE_DIR = join(import.meta.dirname, '..', '..', 'supabase');
const DEMO_PASSWORD = 'demo-union-2027';

describe.each(backends)('the product behind the stand-in on $name', (backend) => {
	let standIn: StandIn;

	beforeAll(async () => {
		standIn = await startForTest(backend, {
			migrationsDir: join(SUPABASE_DIR, 'migrations'),
			seedFile: join(SUPABASE_DIR, 'seed.sql')
		});
	}, 120_000);

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	async function query<R>(sql: string, params: string[] = []): Promise<R[]> {
		return standIn.backend.transaction((tx) => tx.query<R>(sql, params));
	}

	it('R12 a password sign-up with a roster address links nothing; the owner confirming by a mailed code gets the member, and the password is gone', async () => {
		const [member] = await query<{ id: string; email: string }>(
			`select id::text, email from private.members
			 where user_id is null and email is not null order by employee_no limit 1`
		);
		if (!member) throw new Error('the demo roster has no member without an account');
		const { email } = member;

		const attacker = await client(standIn).auth.signUp({ email, password: 'attacker-password' });
		expect(attacker.error).toBeNull();
		expect(attacker.data.session).toBeNull();
		const refused = await client(standIn).auth.signInWithPassword({
			email,
			password: 'attacker-password'
		});
		expect(refused.error?.code).toBe('email_not_confirmed');
		// Even holding a token for the unconfirmed account, whoami links no member.
		const now = Math.floor(Date.now() / 1000);
		const forged = await signJwt(
			{
				sub: attacker.data.user?.id,
				email,
				role: 'authenticated',
				aud: 'authenticated',
				iat: now,
				exp: now + 600
			},
			DEFAULT_JWT_SECRET
		);
		const unconfirmed = await userClient(standIn, forged).rpc('whoami');
		expect(unconfirmed.error).toBeNull();
		expect(unconfirmed.data).toMatchObject({ member: null });
		const [unlinked] = await query<{ user_id: string | null }>(
			`select user_id::text from private.members where id = $1::uuid`,
			[member.id]
		);
		expect(unlinked?.user_id).toBeNull();

		// The real owner signs in the way the app does: an emailed code.
		const owner = client(standIn);
		expect(
			(await owner.auth.signInWithOtp({ email, options: { shouldCreateUser: true } })).error
		).toBeNull();
		const code = await latestCode(standIn, email);
		const verified = await owner.auth.verifyOtp({ email, token: code, type: 'email' });
		expect(verified.error).toBeNull();
		const whoami = await owner.rpc('whoami');
		expect(whoami.data).toMatchObject({ member: { id: member.id } });

		const stolen = await client(standIn).auth.signInWithPassword({
			email,
			password: 'attacker-password'
		});
		expect(stolen.error?.code).toBe('invalid_credentials');
	});

	it('R12 the seeded demo accounts stay confirmed and sign in with the demo password', async () => {
		for (const email of [
			'employee@union.example',
			'organizer@union.example',
			'office@union.example'
		]) {
			const { data, error } = await client(standIn).auth.signInWithPassword({
				email,
				password: DEMO_PASSWORD
			});
			expect(error).toBeNull();
			expect(data.session?.access_token).toBeTruthy();
		}
	});
});
