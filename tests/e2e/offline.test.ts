// The offline engine end to end (research/offline-sync.md §4.C): the built app with its service
// worker, served by scripts/start.ts with a fresh stand-in. Actions are put in the outbox through
// the `?e2e` test hook (window.__unionOutbox), which calls the same enqueue the pages use.
// "Offline" is both context.setOffline and an aborting route for the API origin, since
// setOffline alone does not cut requests a service worker makes.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { SYSTEM_CHROMIUM_ARGS, systemChromium } from '../../scripts/lib/browser.ts';

const EMAIL = 'employee@union.example';
const PASSWORD = 'demo-union-2027';

interface RuntimeConfig {
	supabaseUrl: string;
	supabaseKey: string;
}

interface HookRow {
	id: string;
	status: string;
	userId: string;
	result?: { replayed?: boolean | null; code?: string | null };
}

interface HookState {
	phase: string;
	displayPhase: string;
	pending: number;
	parked: number;
	capable: boolean | null;
	userId: string | null;
}

let config: RuntimeConfig;
let api: SupabaseClient;
/** Open activities the employee may sign up for, handed out one per test. */
let pool: string[] = [];

test.beforeAll(async ({ request }) => {
	config = (await (await request.get('/config.json')).json()) as RuntimeConfig;
	api = createClient(config.supabaseUrl, config.supabaseKey, {
		auth: { persistSession: false, autoRefreshToken: false }
	});
	const { error } = await api.auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
	if (error !== null) throw error;
	const { data } = await api.rpc('list_activities');
	const now = Date.now();
	const time = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : NaN);
	pool = (data as Array<Record<string, unknown>>)
		.filter(
			(a) =>
				a.eligible === true &&
				a.status === 'published' &&
				[null, 'registered', 'waitlisted', 'cancelled'].includes(
					a.my_registration_status as string | null
				) &&
				a.admission === 'first_come' &&
				Number(a.session_count) === 0 &&
				(a.signup_opens_at === null || time(a.signup_opens_at) < now) &&
				(a.signup_closes_at === null || time(a.signup_closes_at) > now + 3_600_000) &&
				(a.capacity === null || Number(a.capacity) - Number(a.seats_taken) > 3)
		)
		.map((a) => String(a.id));
	expect(pool.length).toBeGreaterThanOrEqual(2);
});

let handedOut = 0;

/** An open activity the employee is not signed up for (cancelling an earlier test's sign-up). */
async function nextActivity(): Promise<string> {
	for (const _ of pool) {
		const id = pool[handedOut % pool.length]!;
		handedOut += 1;
		const status = await myStatus(id);
		if (status === null || status === 'cancelled') return id;
		const { error } = await api.rpc('cancel_registration', { activity_id: id });
		if (error === null) return id;
	}
	throw new Error('no open activity left in the seed');
}

async function seatsTaken(activityId: string): Promise<number> {
	const { data, error } = await api.rpc('get_activity', { activity_id: activityId });
	if (error !== null) throw error;
	return (data as { seats_taken: number }).seats_taken;
}

async function myStatus(activityId: string): Promise<string | null> {
	const { data } = await api.rpc('get_activity', { activity_id: activityId });
	const mine = (data as { my_registration: { status: string } | null }).my_registration;
	return mine?.status ?? null;
}

async function signIn(page: Page): Promise<void> {
	await page.goto('/login?e2e');
	await page.getByText('使用密码登录（演示账号）').click();
	await page.locator('#password-email').fill(EMAIL);
	await page.locator('#password-password').fill(PASSWORD);
	await page.getByRole('button', { name: '用密码登录' }).click();
	await page.waitForURL((url) => url.pathname === '/');
	await page.waitForFunction(() => {
		const hook = (window as unknown as { __unionOutbox?: { state(): HookState } }).__unionOutbox;
		return hook?.state().userId != null;
	});
}

/** Waits until the service worker controls the page, then reloads once so it serves the shell. */
async function controlledBySw(page: Page): Promise<void> {
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
		if (navigator.serviceWorker.controller === null) {
			await new Promise<void>((resolve) => {
				navigator.serviceWorker.addEventListener('controllerchange', () => {
					resolve();
				});
			});
		}
	});
}

async function goOffline(context: BrowserContext): Promise<void> {
	await context.setOffline(true);
	await context.route(`${config.supabaseUrl}/**`, (route) => route.abort('internetdisconnected'));
}

async function goOnline(context: BrowserContext): Promise<void> {
	await context.unroute(`${config.supabaseUrl}/**`);
	await context.setOffline(false);
}

function enqueueSignup(page: Page, activityId: string): Promise<HookRow> {
	return page.evaluate(
		(id) =>
			(
				window as unknown as {
					__unionOutbox: { enqueue(kind: string, payload: unknown): Promise<HookRow> };
				}
			).__unionOutbox.enqueue('signup', { activity_id: id }),
		activityId
	);
}

function rows(page: Page): Promise<HookRow[]> {
	return page.evaluate(() =>
		(window as unknown as { __unionOutbox: { rows(): Promise<HookRow[]> } }).__unionOutbox.rows()
	);
}

function hookState(page: Page): Promise<HookState> {
	return page.evaluate(() =>
		(window as unknown as { __unionOutbox: { state(): HookState } }).__unionOutbox.state()
	);
}

async function waitForHook(page: Page): Promise<void> {
	await page.waitForFunction(() => {
		const hook = (window as unknown as { __unionOutbox?: { state(): HookState } }).__unionOutbox;
		return hook?.state().capable != null;
	});
}

async function statusOf(page: Page, ids: string[]): Promise<string[]> {
	const all = await rows(page);
	return ids.map((id) => all.find((row) => row.id === id)?.status ?? 'missing');
}

test.describe('offline engine', () => {
	test('T33 actions saved offline survive an offline reload (shell from the service worker), then sync', async ({
		page,
		context
	}) => {
		await signIn(page);
		await controlledBySw(page);
		// Online reload under the worker: the shell and the runtime config are now cached.
		await page.reload();
		await waitForHook(page);
		const activities = [await nextActivity(), await nextActivity()];
		const before = await Promise.all(activities.map(seatsTaken));

		await goOffline(context);
		const saved = [
			await enqueueSignup(page, activities[0]!),
			await enqueueSignup(page, activities[1]!)
		];
		expect(saved.map((row) => row.status)).toEqual(['pending', 'pending']);
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '2');

		await page.reload();
		await waitForHook(page);
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '2');
		expect(
			await statusOf(
				page,
				saved.map((row) => row.id)
			)
		).toEqual(['pending', 'pending']);

		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect
			.poll(
				() =>
					statusOf(
						page,
						saved.map((row) => row.id)
					),
				{ timeout: 20_000 }
			)
			.toEqual(['acked', 'acked']);
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '0');
		const after = await Promise.all(activities.map(seatsTaken));
		expect(after).toEqual(before.map((seats) => seats + 1));
	});

	test('T34 the answer lost after the server committed: retried, shown synced, one effect', async ({
		page
	}) => {
		await signIn(page);
		const activity = await nextActivity();
		const before = await seatsTaken(activity);
		let lost = 0;
		await page.route(
			'**/rest/v1/rpc/apply_actions',
			async (route) => {
				lost += 1;
				await route.fetch(); // forwarded: committed on the server
				await route.abort('connectionreset'); // the answer never arrives
			},
			{ times: 1 }
		);
		const row = await enqueueSignup(page, activity);
		await expect.poll(() => lost).toBe(1);
		await expect
			.poll(async () => (await rows(page)).find((r) => r.id === row.id), { timeout: 20_000 })
			.toMatchObject({ status: 'acked', result: { replayed: true } });
		expect(await seatsTaken(activity)).toBe(before + 1);
		expect(await myStatus(activity)).toBe('registered');
	});

	test('T43 two tabs never call apply_actions at once; each action is sent once; both show synced', async ({
		page,
		context
	}) => {
		await signIn(page);
		const second = await context.newPage();
		await second.goto('/?e2e');
		await waitForHook(second);
		let inFlight = 0;
		let maxInFlight = 0;
		let online = false;
		const succeeded: string[] = [];
		// Counts every apply_actions call of both tabs from before they go online.
		await context.route('**/rest/v1/rpc/apply_actions', async (route) => {
			if (!online) {
				await route.abort('internetdisconnected');
				return;
			}
			inFlight += 1;
			maxInFlight = Math.max(maxInFlight, inFlight);
			const body = route.request().postDataJSON() as { actions: Array<{ id: string }> };
			await new Promise((resolve) => setTimeout(resolve, 300));
			try {
				const response = await route.fetch();
				if (response.ok()) succeeded.push(...body.actions.map((action) => action.id));
				await route.fulfill({ response });
			} finally {
				inFlight -= 1;
			}
		});
		await goOffline(context);
		const [a, b] = [await nextActivity(), await nextActivity()];
		const saved = [await enqueueSignup(page, a), await enqueueSignup(second, b)];
		online = true;
		await goOnline(context);
		await Promise.all(
			[page, second].map((p) => p.evaluate(() => window.dispatchEvent(new Event('online'))))
		);
		await expect
			.poll(
				() =>
					statusOf(
						page,
						saved.map((row) => row.id)
					),
				{ timeout: 30_000 }
			)
			.toEqual(['acked', 'acked']);
		for (const tab of [page, second]) {
			await expect(tab.getByTestId('sync-status')).toHaveAttribute('data-pending', '0');
		}
		expect(maxInFlight).toBe(1);
		expect(saved.map((row) => succeeded.filter((id) => id === row.id).length)).toEqual([1, 1]);
		await context.unroute('**/rest/v1/rpc/apply_actions');
	});

	test('T40a the access token expired while offline: refreshed on reconnect, then flushed', async ({
		page,
		context
	}) => {
		await signIn(page);
		await goOffline(context);
		const row = await enqueueSignup(page, await nextActivity());
		await expireStoredSession(page);
		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect
			.poll(async () => (await statusOf(page, [row.id]))[0], { timeout: 20_000 })
			.toBe('acked');
	});

	test('T40b a refused refresh shows "sign in to upload", keeps the action, and sends it after sign-in', async ({
		page,
		context
	}) => {
		await signIn(page);
		await goOffline(context);
		const row = await enqueueSignup(page, await nextActivity());
		await expireStoredSession(page);
		await context.route(isRefresh, (route) =>
			route.fulfill({
				status: 400,
				contentType: 'application/json',
				body: JSON.stringify({
					code: 400,
					error_code: 'refresh_token_not_found',
					msg: 'Invalid Refresh Token: Refresh Token Not Found'
				})
			})
		);
		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-phase', 'auth_required', {
			timeout: 20_000
		});
		await expect(page.getByTestId('sync-status')).toContainText('请登录以上传 1');
		expect(await statusOf(page, [row.id])).toEqual(['pending']);
		await context.unroute(isRefresh);

		// The same member signs in again: the action goes up under their new session.
		await page.goto('/login?e2e');
		await page.getByText('使用密码登录（演示账号）').click();
		await page.locator('#password-email').fill(EMAIL);
		await page.locator('#password-password').fill(PASSWORD);
		await page.getByRole('button', { name: '用密码登录' }).click();
		await expect
			.poll(async () => (await statusOf(page, [row.id]))[0], { timeout: 20_000 })
			.toBe('acked');
	});

	test('T39 pending actions survive a reload and a service-worker update check, then sync', async ({
		page,
		context
	}) => {
		await signIn(page);
		await controlledBySw(page);
		await goOffline(context);
		const row = await enqueueSignup(page, await nextActivity());
		await page.evaluate(async () => {
			const registration = await navigator.serviceWorker.getRegistration();
			await registration?.update().catch(() => undefined);
		});
		await page.reload();
		await waitForHook(page);
		expect(await statusOf(page, [row.id])).toEqual(['pending']);
		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect
			.poll(async () => (await statusOf(page, [row.id]))[0], { timeout: 20_000 })
			.toBe('acked');
	});

	test('T44 without IndexedDB the app says so, and an offline action is refused, never "saved"', async ({
		page,
		context
	}) => {
		await page.addInitScript(() => {
			delete (window as unknown as { indexedDB?: unknown }).indexedDB;
		});
		await signIn(page);
		await expect(page.getByTestId('no-offline-storage')).toBeVisible();
		await expect(page.getByTestId('no-offline-storage')).toContainText('无法离线保存');
		expect((await hookState(page)).capable).toBe(false);
		await goOffline(context);
		const outcome = await page.evaluate(
			async (id) => {
				try {
					await (
						window as unknown as {
							__unionOutbox: { enqueue(kind: string, payload: unknown): Promise<unknown> };
						}
					).__unionOutbox.enqueue('signup', { activity_id: id });
					return 'saved';
				} catch (error) {
					return (error as { kind?: string }).kind ?? 'error';
				}
			},
			await nextActivity()
		);
		expect(outcome).toBe('offline');
		expect((await hookState(page)).pending).toBe(0);
		await goOnline(context);
	});
});

function isRefresh(url: URL): boolean {
	return (
		url.pathname.endsWith('/auth/v1/token') &&
		url.searchParams.get('grant_type') === 'refresh_token'
	);
}

/** Moves the stored session's expiry into the past, as after a long time offline. */
async function expireStoredSession(page: Page): Promise<void> {
	await page.evaluate(() => {
		for (let i = 0; i < localStorage.length; i += 1) {
			const key = localStorage.key(i);
			if (key === null || !key.startsWith('sb-') || !key.endsWith('-auth-token')) continue;
			const session = JSON.parse(localStorage.getItem(key) ?? '{}') as { expires_at?: number };
			session.expires_at = Math.floor(Date.now() / 1000) - 60;
			localStorage.setItem(key, JSON.stringify(session));
		}
	});
}

test('Chromium reports the built app installable (no installability errors)', async ({
	baseURL
}, testInfo) => {
	const executablePath = systemChromium();
	const userDataDir = testInfo.outputPath('profile');
	const context = await chromium.launchPersistentContext(userDataDir, {
		...(executablePath === undefined ? {} : { executablePath }),
		args: [...SYSTEM_CHROMIUM_ARGS],
		baseURL: baseURL ?? ''
	});
	try {
		const page = context.pages()[0] ?? (await context.newPage());
		await page.goto('/');
		await page.evaluate(async () => {
			await navigator.serviceWorker.ready;
		});
		const session = await context.newCDPSession(page);
		await expect
			.poll(
				async () => {
					const result = (await session.send('Page.getInstallabilityErrors')) as {
						installabilityErrors: Array<{ errorId: string }>;
					};
					return result.installabilityErrors.map((error) => error.errorId);
				},
				{ timeout: 15_000 }
			)
			.toEqual([]);
	} finally {
		await context.close();
	}
});
