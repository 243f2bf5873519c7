// Auth rate limits under real parallel requests (on PostgreSQL requests really run at once):
// OTP verification per (address, client), per address and per client; code mails per address,
// per client and per client's new addresses. Other clients are other loopback source addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIn } from '../../supabase/standin/index.ts';
import {
	client,
	freshBackends,
	latestCode,
	mailsFor,
	postFrom,
	startForTest,
	uniqueEmail
} from './support.ts';

const backends = await freshBackends();

const LIMITS = {
	verifyChecksPerAddressAndClient: 10,
	verifyFailuresPerAddress: 25,
	verifyFailuresPerClient: 30,
	mailsPerClientPerHour: 6,
	newAddressesPerClientPerHour: 4
};

/** `count` distinct six-digit codes, none of them `right`. */
function wrongCodes(right: string, count: number): string[] {
	return Array.from({ length: count }, (_, i) =>
		String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')
	);
}

function tally(answers: Array<{ status: number }>): Record<number, number> {
	const counts: Record<number, number> = {};
	for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
	return counts;
}

describe.each(backends)('auth limits on $name', (backend) => {
	let standIn: StandIn;

	beforeAll(async () => {
		standIn = await startForTest(backend, { otpRateLimitSeconds: 60, authLimits: LIMITS });
	});

	afterAll(async () => {
		await standIn.stop();
		await backend.cleanup();
	});

	/** Mails a code to `email`, asked for from `from` (each test its own sender, so sends don't add up). */
	async function codeFor(email: string, from: string): Promise<string> {
		const sent = await postFrom(standIn, from, '/auth/v1/otp', { email });
		expect(sent.status).toBe(200);
		return latestCode(standIn, email);
	}

	const verifyFrom = (from: string, email: string, token: string) =>
		postFrom(standIn, from, '/auth/v1/verify', { email, token, type: 'email' });

	/** Accounts that already exist, so mails to them are not mails to new addresses. */
	async function existingAccounts(count: number): Promise<string[]> {
		const emails = Array.from({ length: count }, () => uniqueEmail('existing'));
		await standIn.backend.transaction(async (tx) => {
			for (const email of emails) {
				await tx.query(
					`insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,
						raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
					 values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
						'authenticated', $1::text, now(), '{}', '{}', now(), now())`,
					[email]
				);
			}
		});
		return emails;
	}

	it('R13 200 parallel OTP guesses are counted before they are checked: only the limit reaches the code', async () => {
		const email = uniqueEmail('burst');
		const right = await codeFor(email, '127.0.1.1');
		const guesses = wrongCodes(right, 199);
		guesses.splice(150, 0, right);
		const answers = await Promise.all(
			guesses.map((token) => verifyFrom('127.0.0.1', email, token))
		);
		const counts = tally(answers);
		expect(answers.length - (counts[429] ?? 0)).toBeLessThanOrEqual(
			LIMITS.verifyChecksPerAddressAndClient
		);
		expect(answers.find((answer) => answer.status === 429)?.json).toMatchObject({
			code: 'over_request_rate_limit'
		});
	});

	it('R13 wrong codes from another client do not lock the owner out; the per-address cap holds across clients', async () => {
		const email = uniqueEmail('victim');
		const right = await codeFor(email, '127.0.1.2');
		const attacker = await Promise.all(
			wrongCodes(right, 12).map((token) => verifyFrom('127.0.0.2', email, token))
		);
		expect(tally(attacker)).toEqual({ 403: 10, 429: 2 });
		expect((await verifyFrom('127.0.0.1', email, right)).status).toBe(200);

		// Another address guessed from three clients at once: 25 checked at most, then 429 for all.
		const target = uniqueEmail('target');
		const code = await codeFor(target, '127.0.1.2');
		const guesses = wrongCodes(code, 30);
		const spread = await Promise.all(
			guesses.map((token, i) => verifyFrom(`127.0.0.${String(3 + (i % 3))}`, target, token))
		);
		expect(spread.length - (tally(spread)[429] ?? 0)).toBeLessThanOrEqual(
			LIMITS.verifyFailuresPerAddress
		);
		expect((await verifyFrom('127.0.0.6', target, code)).status).toBe(429);
	});

	it('R13 wrong codes from one client are capped across addresses', async () => {
		const emails = Array.from({ length: 4 }, () => uniqueEmail('many'));
		const rights: string[] = [];
		for (const email of emails) rights.push(await codeFor(email, '127.0.1.3'));
		const answers = await Promise.all(
			emails.flatMap((email, i) =>
				wrongCodes(rights[i] ?? '', 10).map((token) => verifyFrom('127.0.0.7', email, token))
			)
		);
		expect(answers.length - (tally(answers)[429] ?? 0)).toBe(LIMITS.verifyFailuresPerClient);
	});

	it('R13 code mails: one per address per interval, a cap per client and hour, and a cap on new addresses per client', async () => {
		const once = uniqueEmail('once');
		const same = await Promise.all(
			Array.from({ length: 10 }, () =>
				postFrom(standIn, '127.0.0.8', '/auth/v1/otp', { email: once })
			)
		);
		expect(tally(same)).toEqual({ 200: 1, 429: 9 });
		expect(same.find((answer) => answer.status === 429)?.json).toMatchObject({
			code: 'over_email_send_rate_limit'
		});
		expect(await mailsFor(standIn, once)).toHaveLength(1);

		// New addresses from one client: `once` above, 3 more, then refused (sign-ups count too).
		const fresh = Array.from({ length: 5 }, () => uniqueEmail('fresh'));
		const created = await Promise.all(
			fresh.map((email) => postFrom(standIn, '127.0.0.8', '/auth/v1/otp', { email }))
		);
		expect(tally(created)).toEqual({ 200: 3, 429: 2 });
		const signup = await postFrom(standIn, '127.0.0.8', '/auth/v1/signup', {
			email: uniqueEmail('fresh'),
			password: 'a-good-password'
		});
		expect(signup.status).toBe(429);
		expect(signup.json).toMatchObject({ code: 'over_request_rate_limit' });
		const [users] = await standIn.backend.transaction((tx) =>
			tx.query<{ n: number }>(
				`select count(*)::int as n from auth.users where email like 'fresh.%' or email like 'once.%'`
			)
		);
		expect(users?.n).toBe(LIMITS.newAddressesPerClientPerHour);

		// Mails per client and hour, to addresses that already have accounts.
		const known = await existingAccounts(8);
		const mails = await Promise.all(
			known.map((email) => postFrom(standIn, '127.0.0.9', '/auth/v1/otp', { email }))
		);
		expect(tally(mails)).toEqual({ 200: 6, 429: 2 });
		// Another client is not affected.
		const other = await client(standIn).auth.signInWithOtp({ email: uniqueEmail('other') });
		expect(other.error).toBeNull();
	});
});
