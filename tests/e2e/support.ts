// Shared helpers for end-to-end tests: signing in as a real member would (email, then the code
// read from the stand-in's development mailbox), in the browser or through supabase-js.
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';

export const DEMO_EMPLOYEE = 'employee@union.example';

export interface RuntimeConfig {
	supabaseUrl: string;
	supabaseKey: string;
}

/** The app's own /config.json: where its stand-in (the Supabase API and mailbox) listens. */
export async function readConfig(request: APIRequestContext): Promise<RuntimeConfig> {
	const response = await request.get('/config.json');
	expect(response.ok()).toBe(true);
	return (await response.json()) as RuntimeConfig;
}

interface Mail {
	id: number;
	to: string;
	code: string | null;
}

async function mails(config: RuntimeConfig, email: string): Promise<Mail[]> {
	const url = `${config.supabaseUrl}/mailbox/api/messages?email=${encodeURIComponent(email)}`;
	const response = await fetch(url);
	if (!response.ok) throw new Error(`mailbox answered ${String(response.status)}`);
	return (await response.json()) as Mail[];
}

/** The newest mail's id for this address (0 when none), to tell a new code from old ones. */
export async function lastMailId(config: RuntimeConfig, email: string): Promise<number> {
	return (await mails(config, email))[0]?.id ?? 0;
}

/** Waits for a code mailed to `email` after mail `afterId`. */
export async function waitForCode(
	config: RuntimeConfig,
	email: string,
	afterId: number
): Promise<string> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline) {
		const fresh = (await mails(config, email)).find((mail) => mail.id > afterId && mail.code);
		if (fresh?.code) return fresh.code;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`no sign-in code arrived for ${email}`);
}

/**
 * Signs in on the page as a member would: the email, "发送验证码", the code from the mailbox
 * (the field submits itself at six digits). Resolves once the app has left /login.
 */
export async function signInWithOtp(page: Page, email: string, next = '/'): Promise<void> {
	const config = await readConfig(page.request);
	await page.goto(next);
	await expect(page).toHaveURL(/\/login/);
	const before = await lastMailId(config, email);
	await page.getByRole('textbox', { name: '邮箱', exact: true }).fill(email);
	await page.getByRole('button', { name: '发送验证码' }).click();
	const code = await waitForCode(config, email, before);
	await page.getByRole('textbox', { name: '6 位验证码' }).fill(code);
	await expect(page).not.toHaveURL(/\/login/);
}

/** A supabase-js client signed in by email code, for preparing state or calling RPCs directly. */
export async function apiClientFor(config: RuntimeConfig, email: string): Promise<SupabaseClient> {
	const client = createClient(config.supabaseUrl, config.supabaseKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
	});
	const before = await lastMailId(config, email);
	const sent = await client.auth.signInWithOtp({ email, options: { shouldCreateUser: true } });
	if (sent.error) throw sent.error;
	const token = await waitForCode(config, email, before);
	const verified = await client.auth.verifyOtp({ email, token, type: 'email' });
	if (verified.error) throw verified.error;
	// The first whoami links the account to its roster entry by email.
	const whoami = await client.rpc('whoami');
	if (whoami.error) throw whoami.error;
	return client;
}

interface ActivityRow {
	id: string;
	title: string;
}

/** An activity's id by its exact title, as the signed-in member's list shows it. */
export async function activityIdByTitle(client: SupabaseClient, title: string): Promise<string> {
	const { data, error } = await client.rpc('list_activities');
	if (error) throw error;
	const found = (data as ActivityRow[]).find((row) => row.title === title);
	if (!found) throw new Error(`no activity titled ${title}`);
	return found.id;
}

/** Roster members' sign-in addresses look like <employee number>@example.org. */
export function rosterEmail(employeeNo: string): string {
	return `${employeeNo}@example.org`;
}
