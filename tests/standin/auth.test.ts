// GoTrue conformance (password, OTP through the dev mailbox, refresh rotation, user, logout),
// driven by the official supabase-js, on every available back end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/index.ts';
import type { StandIn } from '../../supabase/standin/index.ts';
import {
	client,
	freshBackends,
	latestCode,
	mailsFor,
	raw,
	signUpConfirmed,
	startForTest,
	uniqueEmail,
	userClient
} from './support.ts';

const backends = await freshBackends();
const OTP_RATE_LIMIT_SECONDS = 2;

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A code that is certainly not the one in the mailbox. */
function wrongCode(code: string): string {
	return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe.each(backends)('auth on $name', (backend) => {
	let standIn: StandIn;

	beforeAll(async () => {
		standIn = await startForTest(backend, { otpRateLimitSeconds: OTP_RATE_LIMIT_SECONDS });
	});

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	/** Moves a refresh token's rotation back past the reuse interval (10 s), without waiting. */
	async function rotatedLongAgo(refreshToken: string): Promise<void> {
		await standIn.backend.transaction((tx) =>
			tx.query(
				`update auth.refresh_tokens set updated_at = updated_at - interval '1 minute'
				 where token = $1::text`,
				[refreshToken]
			)
		);
	}

	describe('password', () => {
		it('signs up, confirmed by the mailed code, metadata reaching the auth.users trigger', async () => {
			const email = uniqueEmail('signup');
			const session = await signUpConfirmed(standIn, email, 'a-good-password', {
				display_name: 'Ada'
			});
			const { data } = await client(standIn).auth.getUser(session.accessToken);
			expect(data.user?.email).toBe(email);
			expect(data.user?.email_confirmed_at).toBeTruthy();
			expect(data.user?.user_metadata).toMatchObject({ display_name: 'Ada' });
			const profile = await userClient(standIn, session.accessToken).rpc('my_profile');
			expect(profile.data).toMatchObject({ id: session.userId, display_name: 'Ada' });
		});

		it('issues GoTrue-like access tokens', async () => {
			const email = uniqueEmail('claims');
			await signUpConfirmed(standIn, email, 'a-good-password');
			const { data } = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			const claims = decodeJwt(data.session?.access_token ?? '');
			expect(claims).toMatchObject({
				iss: `${standIn.url}/auth/v1`,
				aud: 'authenticated',
				role: 'authenticated',
				sub: data.user?.id,
				email,
				aal: 'aal1',
				is_anonymous: false,
				app_metadata: { provider: 'email', providers: ['email'] }
			});
			expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
			expect(typeof claims.session_id).toBe('string');
			expect(claims.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
			expect(data.session?.expires_in).toBe(3600);
			expect(data.session?.token_type).toBe('bearer');
		});

		it('answers a sign-up for a confirmed address like GoTrue with "Confirm email" on: an obfuscated user, nothing changed', async () => {
			const email = uniqueEmail('dup');
			const first = await signUpConfirmed(standIn, email, 'a-good-password');
			const { data, error } = await client(standIn).auth.signUp({
				email,
				password: 'another-password'
			});
			expect(error).toBeNull();
			expect(data.session).toBeNull();
			expect(data.user?.id).not.toBe(first.userId);
			expect(data.user?.identities).toEqual([]);
			const old = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			expect(old.error).toBeNull();
			const changed = await client(standIn).auth.signInWithPassword({
				email,
				password: 'another-password'
			});
			expect(changed.error?.code).toBe('invalid_credentials');
		});

		it('refuses a weak password with AuthWeakPasswordError', async () => {
			const { error } = await client(standIn).auth.signUp({
				email: uniqueEmail('weak'),
				password: '123'
			});
			expect(error?.name).toBe('AuthWeakPasswordError');
			expect(error?.code).toBe('weak_password');
		});

		it('signs in with the right password, 400 invalid_credentials otherwise', async () => {
			const email = uniqueEmail('login');
			await signUpConfirmed(standIn, email, 'a-good-password');
			const ok = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			expect(ok.error).toBeNull();
			expect(ok.data.session?.user.email).toBe(email);
			const bad = await client(standIn).auth.signInWithPassword({
				email,
				password: 'wrong-password'
			});
			expect(bad.error?.status).toBe(400);
			expect(bad.error?.code).toBe('invalid_credentials');
			const nobody = await client(standIn).auth.signInWithPassword({
				email: uniqueEmail('nobody'),
				password: 'whatever-password'
			});
			expect(nobody.error?.code).toBe('invalid_credentials');
		});

		it('R12 a password sign-up gets no session but a mailed code; password sign-in is email_not_confirmed until the code confirms it', async () => {
			const email = uniqueEmail('confirm');
			const signedUp = await client(standIn).auth.signUp({ email, password: 'a-good-password' });
			expect(signedUp.error).toBeNull();
			expect(signedUp.data.session).toBeNull();
			expect(signedUp.data.user?.email).toBe(email);
			expect(signedUp.data.user?.email_confirmed_at).toBeFalsy();
			expect(signedUp.data.user?.confirmation_sent_at).toBeTruthy();
			const [mail] = await mailsFor(standIn, email);
			expect(mail?.code).toMatch(/^\d{6}$/);

			const early = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			expect(early.error?.status).toBe(400);
			expect(early.error?.code).toBe('email_not_confirmed');
			expect(early.data.session).toBeNull();

			const confirmed = await client(standIn).auth.verifyOtp({
				email,
				token: mail?.code ?? '',
				type: 'signup'
			});
			expect(confirmed.error).toBeNull();
			expect(confirmed.data.user?.email_confirmed_at).toBeTruthy();
			const later = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			expect(later.error).toBeNull();
			expect(later.data.session?.user.id).toBe(signedUp.data.user?.id);
		});

		it('R12 the owner confirming the address by an emailed sign-in code clears the password an unconfirmed sign-up set', async () => {
			const email = uniqueEmail('victim');
			const attacker = await client(standIn).auth.signUp({
				email,
				password: 'attacker-password'
			});
			expect(attacker.data.session).toBeNull();
			// A second sign-up cannot replace the password of an unconfirmed account either.
			await client(standIn).auth.signUp({ email, password: 'attacker-password-2' });

			await sleep(OTP_RATE_LIMIT_SECONDS * 1000 + 100);
			const owner = client(standIn);
			expect((await owner.auth.signInWithOtp({ email })).error).toBeNull();
			const code = await latestCode(standIn, email);
			const verified = await owner.auth.verifyOtp({ email, token: code, type: 'email' });
			expect(verified.error).toBeNull();
			expect(verified.data.user?.id).toBe(attacker.data.user?.id);

			for (const password of ['attacker-password', 'attacker-password-2']) {
				const stolen = await client(standIn).auth.signInWithPassword({ email, password });
				expect(stolen.error?.code).toBe('invalid_credentials');
			}
			// The owner may set a password of their own afterwards.
			expect((await owner.auth.updateUser({ password: 'owner-password' })).error).toBeNull();
			const own = await client(standIn).auth.signInWithPassword({
				email,
				password: 'owner-password'
			});
			expect(own.error).toBeNull();
		});

		it('signs in a user seeded with crypt() in seed.sql', async () => {
			const { data, error } = await client(standIn).auth.signInWithPassword({
				email: 'seeded@example.com',
				password: 'seeded-password'
			});
			expect(error).toBeNull();
			expect(data.user?.id).toBe('11111111-1111-4111-8111-111111111111');
			expect(data.user?.user_metadata).toMatchObject({ display_name: 'Seeded' });
		});
	});

	describe('email OTP', () => {
		it('creates the user, mails a code, refuses a wrong code, verifies the right one once', async () => {
			const email = uniqueEmail('otp');
			const supabase = client(standIn);
			const sent = await supabase.auth.signInWithOtp({ email });
			expect(sent.error).toBeNull();

			const [mail] = await mailsFor(standIn, email);
			expect(mail?.to).toBe(email);
			expect(mail?.subject).toContain('工会活动');
			expect(mail?.subject).toMatch(/sign-in code/i);
			expect(mail?.code).toMatch(/^\d{6}$/);
			expect(mail?.text).toContain(mail?.code ?? '');
			const code = mail?.code ?? '';

			const wrong = await supabase.auth.verifyOtp({ email, token: wrongCode(code), type: 'email' });
			expect(wrong.error?.status).toBe(403);
			expect(wrong.error?.code).toBe('otp_expired');

			const right = await supabase.auth.verifyOtp({ email, token: code, type: 'email' });
			expect(right.error).toBeNull();
			expect(right.data.session?.access_token).toBeTruthy();
			expect(right.data.user?.email_confirmed_at).toBeTruthy();
			expect(decodeJwt(right.data.session?.access_token ?? '').amr).toEqual([
				{ method: 'otp', timestamp: expect.any(Number) }
			]);

			const again = await client(standIn).auth.verifyOtp({ email, token: code, type: 'email' });
			expect(again.error?.code).toBe('otp_expired');
		});

		it('sends a magic-link code the second time, and rate-limits mails per address', async () => {
			const email = uniqueEmail('second');
			const supabase = client(standIn);
			await supabase.auth.signInWithOtp({ email });
			const first = await latestCode(standIn, email);
			expect(
				(await supabase.auth.verifyOtp({ email, token: first, type: 'signup' })).error
			).toBeNull();

			const tooSoon = await supabase.auth.signInWithOtp({ email });
			expect(tooSoon.error?.status).toBe(429);
			expect(tooSoon.error?.code).toBe('over_email_send_rate_limit');

			await sleep(OTP_RATE_LIMIT_SECONDS * 1000 + 100);
			expect((await supabase.auth.signInWithOtp({ email })).error).toBeNull();
			const second = await latestCode(standIn, email);
			const asSignup = await supabase.auth.verifyOtp({ email, token: second, type: 'signup' });
			expect(asSignup.error?.code).toBe('otp_expired');
			const asMagicLink = await supabase.auth.verifyOtp({
				email,
				token: second,
				type: 'magiclink'
			});
			expect(asMagicLink.error).toBeNull();
			expect(asMagicLink.data.user?.email).toBe(email);
		});

		it('refuses an unknown address with shouldCreateUser:false (422 otp_disabled)', async () => {
			const { error } = await client(standIn).auth.signInWithOtp({
				email: uniqueEmail('unknown'),
				options: { shouldCreateUser: false }
			});
			expect(error?.status).toBe(422);
			expect(error?.code).toBe('otp_disabled');
		});

		it('passes options.data to the new user', async () => {
			const email = uniqueEmail('otpdata');
			await client(standIn).auth.signInWithOtp({
				email,
				options: { data: { display_name: 'Otto' } }
			});
			const code = await latestCode(standIn, email);
			const { data } = await client(standIn).auth.verifyOtp({ email, token: code, type: 'email' });
			expect(data.user?.user_metadata).toMatchObject({ display_name: 'Otto' });
		});

		it('shows the mails on a bilingual mailbox page', async () => {
			const email = uniqueEmail('page');
			await client(standIn).auth.signInWithOtp({ email });
			const code = await latestCode(standIn, email);
			const response = await fetch(standIn.mailboxUrl);
			const html = await response.text();
			expect(response.headers.get('content-type')).toContain('text/html');
			expect(html).toContain(email);
			expect(html).toContain(code);
			expect(html).toContain('开发邮箱');
			expect(html).toContain('Development mailbox');
		});
	});

	describe('sessions', () => {
		it('rotates refresh tokens; reuse after the reuse interval gives refresh_token_already_used and revokes the session', async () => {
			const email = uniqueEmail('refresh');
			await signUpConfirmed(standIn, email, 'a-good-password');
			const { data } = await client(standIn).auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			const first = data.session;
			if (!first) throw new Error('no session');
			await sleep(1100); // a new iat, so the access token differs too

			const refreshed = await client(standIn).auth.refreshSession({
				refresh_token: first.refresh_token
			});
			expect(refreshed.error).toBeNull();
			const second = refreshed.data.session;
			expect(second?.refresh_token).toBeTruthy();
			expect(second?.refresh_token).not.toBe(first.refresh_token);
			expect(second?.access_token).not.toBe(first.access_token);
			expect(decodeJwt(second?.access_token ?? '').session_id).toBe(
				decodeJwt(first.access_token).session_id
			);

			await rotatedLongAgo(first.refresh_token);
			const reuse = await client(standIn).auth.refreshSession({
				refresh_token: first.refresh_token
			});
			expect(reuse.error?.code).toBe('refresh_token_already_used');
			expect(reuse.error?.status).toBe(400);

			// The whole session is gone: the newest tokens stop working too.
			const after = await client(standIn).auth.refreshSession({
				refresh_token: second?.refresh_token ?? ''
			});
			expect(after.error).not.toBeNull();
			const user = await client(standIn).auth.getUser(second?.access_token);
			expect(user.error?.name).toBe('AuthSessionMissingError');
		});

		it('R15 a refresh token reused within the reuse interval (a lost answer) gets the current session, nothing revoked', async () => {
			const email = uniqueEmail('lost');
			const first = await signUpConfirmed(standIn, email, 'a-good-password');
			const refreshed = await client(standIn).auth.refreshSession({
				refresh_token: first.refreshToken
			});
			const current = refreshed.data.session;
			if (!current) throw refreshed.error ?? new Error('no refreshed session');

			// The answer above was "lost": the client retries with the token it still has.
			const retried = await client(standIn).auth.refreshSession({
				refresh_token: first.refreshToken
			});
			expect(retried.error).toBeNull();
			expect(retried.data.session?.refresh_token).toBe(current.refresh_token);
			expect(decodeJwt(retried.data.session?.access_token ?? '').session_id).toBe(
				decodeJwt(current.access_token).session_id
			);
			// Nothing was revoked: the session and its current token go on working.
			expect((await client(standIn).auth.getUser(current.access_token)).error).toBeNull();
			const next = await client(standIn).auth.refreshSession({
				refresh_token: current.refresh_token
			});
			expect(next.error).toBeNull();

			// The same reuse once the interval is over is a stolen token: the family is revoked.
			await rotatedLongAgo(first.refreshToken);
			const late = await client(standIn).auth.refreshSession({ refresh_token: first.refreshToken });
			expect(late.error?.code).toBe('refresh_token_already_used');
			const gone = await client(standIn).auth.refreshSession({
				refresh_token: next.data.session?.refresh_token ?? ''
			});
			expect(gone.error).not.toBeNull();
		});

		it('getUser returns the user; signOut ends the session (AuthSessionMissingError after)', async () => {
			const email = uniqueEmail('signout');
			const supabase = client(standIn);
			await signUpConfirmed(standIn, email, 'a-good-password');
			const signedIn = await supabase.auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			const token = signedIn.data.session?.access_token ?? '';
			const before = await client(standIn).auth.getUser(token);
			expect(before.data.user?.email).toBe(email);

			expect((await supabase.auth.signOut()).error).toBeNull();
			const after = await client(standIn).auth.getUser(token);
			expect(after.data.user).toBeNull();
			expect(after.error?.name).toBe('AuthSessionMissingError');
		});

		it("signOut({scope:'others'}) keeps the current session only", async () => {
			const email = uniqueEmail('scope');
			const a = client(standIn);
			const b = client(standIn);
			await signUpConfirmed(standIn, email, 'a-good-password');
			await a.auth.signInWithPassword({ email, password: 'a-good-password' });
			const sessionB = (await b.auth.signInWithPassword({ email, password: 'a-good-password' }))
				.data.session;
			const sessionA = (await a.auth.getSession()).data.session;
			expect((await a.auth.signOut({ scope: 'others' })).error).toBeNull();
			expect((await client(standIn).auth.getUser(sessionA?.access_token)).error).toBeNull();
			expect((await client(standIn).auth.getUser(sessionB?.access_token)).error?.name).toBe(
				'AuthSessionMissingError'
			);
		});

		it('refuses an expired or forged access token on /user', async () => {
			const now = Math.floor(Date.now() / 1000);
			const expired = await signJwt(
				{ sub: '11111111-1111-4111-8111-111111111111', role: 'authenticated', exp: now - 100 },
				DEFAULT_JWT_SECRET
			);
			const response = await client(standIn).auth.getUser(expired);
			expect(response.error?.status).toBe(403);
			expect(response.error?.code).toBe('bad_jwt');
		});

		it('updateUser changes user_metadata, never app_metadata', async () => {
			const email = uniqueEmail('update');
			const supabase = client(standIn);
			await signUpConfirmed(standIn, email, 'a-good-password', { keep: 1, drop: 2 });
			const { data } = await supabase.auth.signInWithPassword({
				email,
				password: 'a-good-password'
			});
			const updated = await supabase.auth.updateUser({ data: { display_name: 'New', drop: null } });
			expect(updated.error).toBeNull();
			expect(updated.data.user?.user_metadata).toEqual({ keep: 1, display_name: 'New' });

			const sneaky = await raw(standIn, '/auth/v1/user', {
				method: 'PUT',
				headers: { Authorization: `Bearer ${data.session?.access_token}` },
				body: JSON.stringify({ app_metadata: { role: 'admin' }, data: { x: 1 } })
			});
			expect(sneaky.status).toBe(200);
			const user = (await client(standIn).auth.getUser(data.session?.access_token)).data.user;
			expect(user?.app_metadata).toEqual({ provider: 'email', providers: ['email'] });
			expect(user?.user_metadata).toMatchObject({ x: 1 });
		});
	});

	describe('wire format', () => {
		it('uses {code, message} with X-Supabase-Api-Version and the legacy shape without', async () => {
			const body = JSON.stringify({ email: 'seeded@example.com', password: 'wrong-password' });
			const versioned = await raw(standIn, '/auth/v1/token?grant_type=password', {
				body,
				headers: { 'X-Supabase-Api-Version': '2024-01-01' }
			});
			expect(versioned.status).toBe(400);
			expect(versioned.headers.get('x-supabase-api-version')).toBe('2024-01-01');
			expect(versioned.json).toEqual({
				code: 'invalid_credentials',
				message: 'Invalid login credentials'
			});
			const legacy = await raw(standIn, '/auth/v1/token?grant_type=password', { body });
			expect(legacy.json).toEqual({
				code: 400,
				error_code: 'invalid_credentials',
				msg: 'Invalid login credentials'
			});
		});

		it('answers /settings and /health', async () => {
			const settings = await raw(standIn, '/auth/v1/settings', { method: 'GET' });
			expect(settings.json).toMatchObject({ mailer_autoconfirm: false, external: { email: true } });
			const health = await raw(standIn, '/auth/v1/health', { method: 'GET' });
			expect(health.status).toBe(200);
		});

		it('answers malformed JSON with 400 bad_json', async () => {
			const response = await raw(standIn, '/auth/v1/otp', {
				body: '{"email":',
				headers: { 'X-Supabase-Api-Version': '2024-01-01' }
			});
			expect(response.status).toBe(400);
			expect(response.json).toMatchObject({ code: 'bad_json' });
		});
	});
});
