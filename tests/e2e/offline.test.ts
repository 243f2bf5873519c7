// The offline engine end to end (the fault catalogue, docs/decisions.md §10): the built app with its service
// worker, served by scripts/start.ts with a fresh stand-in. Sign-ups and cancels go through the
// real pages (the detail page's buttons); the `?e2e` test hook (window.__unionOutbox) is used to
// read the outbox's rows and, in the engine-only tests, to enqueue directly.
// "Offline" is both context.setOffline and an aborting route for the API origin, since
// setOffline alone does not cut requests a service worker makes.
import { readFileSync, writeFileSync } from 'node:fs';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import {
	chromium,
	devices,
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Page
} from '@playwright/test';
import { SYSTEM_CHROMIUM_ARGS, systemChromium } from '../../scripts/lib/browser.ts';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/keys.ts';
import { apiClientFor, rosterEmail } from './support.ts';

const EMAIL = 'employee@union.example';
const ORGANIZER = 'organizer@union.example';
const PASSWORD = 'demo-union-2027';
/** The day trip (capacity with guests): T45 fills it to the last seat. Not in the pool. */
const TRIP = '“相约山水”秋季一日游';
/** Roster members who fill seats in T45 (any already signed up are skipped). */
const FILLERS = [
	'62488',
	'30121',
	'84803',
	'76799',
	'76403',
	'46462',
	'73203',
	'65922',
	'74731',
	'96628',
	'86329'
].map(rosterEmail);

interface RuntimeConfig {
	supabaseUrl: string;
	supabaseKey: string;
}

interface HookRow {
	id: string;
	status: string;
	userId: string;
	activityId: string;
	kind: string;
	result?: { replayed?: boolean | null; code?: string | null };
}

interface HookState {
	phase: string;
	displayPhase: string;
	pending: number;
	parked: number;
	capable: boolean | null;
	userId: string | null;
	/** When the flusher's next automatic attempt is due (epoch ms), if scheduled. */
	nextAttemptAt?: number | null;
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
				a.title !== TRIP &&
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

async function signIn(page: Page, email = EMAIL): Promise<void> {
	await page.goto('/login?e2e');
	await page.getByText('使用密码登录（演示账号）').click();
	await page.locator('#password-email').fill(email);
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
	test('T33 sign-ups made offline through the page survive an offline reload (shell from the service worker), then sync once', async ({
		page,
		context
	}) => {
		await signIn(page);
		await controlledBySw(page);
		const activities = [await nextActivity(), await nextActivity()];
		const before = await Promise.all(activities.map(seatsTaken));
		// Read online once: the list and both detail pages are now on the phone.
		for (const id of activities) await openActivity(page, id);
		await page.goto('/');
		await expect(page.getByTestId('stale-notice')).toHaveCount(0);
		await snapshotsStored(page);

		await goOffline(context);
		for (const id of activities) {
			await openActivity(page, id);
			await expect(page.getByTestId('stale-notice')).toContainText('离线 · 数据更新于');
			await page.getByRole('button', { name: '提交报名' }).click();
			await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		}
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '2');

		// An offline reload: the shell comes from the service worker, the data from the phone.
		await page.reload();
		await waitForHook(page);
		await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		await expect(page.getByRole('button', { name: '提交报名' })).toHaveCount(0);
		await page.goto('/');
		await expect(page.getByTestId('stale-notice')).toContainText('离线 · 数据更新于');
		await page.getByRole('radio', { name: '全部' }).check();
		await expect(page.getByTestId('card-pending')).toHaveCount(2);
		await page.goto('/my');
		await expect(page.getByTestId('my-unlisted')).toHaveCount(2);

		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', {
			timeout: 20_000
		});
		await expect(page.getByTestId('my-unlisted')).toHaveCount(0);
		const all = await rows(page);
		expect(all.filter((row) => row.status === 'acked')).toHaveLength(2);
		expect(await Promise.all(activities.map(seatsTaken))).toEqual(before.map((n) => n + 1));
		await openActivity(page, activities[0]!);
		await expect(
			page.getByRole('region', { name: '我的报名' }).getByText('已报名', { exact: true })
		).toBeVisible();
	});

	test('T34 the answer to the real sign-up button is lost after the commit: a double tap saves once, one registration', async ({
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
		await openActivity(page, activity);
		await page.getByRole('button', { name: '提交报名' }).dblclick();
		await expect(page.getByRole('heading', { name: '报名成功！' })).toBeVisible({
			timeout: 20_000
		});
		expect(lost).toBe(1);
		const mine = (await rows(page)).filter((row) => row.activityId === activity);
		expect(mine).toHaveLength(1);
		expect(mine[0]).toMatchObject({ status: 'acked', result: { replayed: true } });
		expect(await seatsTaken(activity)).toBe(before + 1);
		expect(await myStatus(activity)).toBe('registered');
	});

	test('T35 the page is killed mid-request; a new page converges with one effect', async ({
		page,
		context
	}) => {
		await signIn(page);
		const activity = await nextActivity();
		const before = await seatsTaken(activity);
		let release: () => void = () => undefined;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let held = 0;
		let forwarded = 0;
		await context.route(
			'**/rest/v1/rpc/apply_actions',
			async (route) => {
				held += 1;
				await gate;
				// The request reaches the server after its page is gone; nobody hears the answer.
				await route.fetch().then(
					() => (forwarded += 1),
					() => undefined
				);
				await route.abort('connectionreset').catch(() => undefined);
			},
			{ times: 1 }
		);
		await openActivity(page, activity);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect.poll(() => held).toBe(1);
		await page.close({ runBeforeUnload: false });
		release();
		await expect.poll(() => forwarded).toBe(1);
		expect(await seatsTaken(activity)).toBe(before + 1);

		const again = await context.newPage();
		await again.goto(`/activities/${activity}?e2e`);
		await waitForHook(again);
		await expect
			.poll(async () => (await rows(again)).filter((row) => row.activityId === activity), {
				timeout: 20_000
			})
			.toMatchObject([{ status: 'acked', result: { replayed: true } }]);
		await expect(
			again.getByRole('region', { name: '我的报名' }).getByText('已报名', { exact: true })
		).toBeVisible();
		expect(await seatsTaken(activity)).toBe(before + 1);
	});

	test('T36 a late duplicate of the first request, replayed after the client retry succeeded, changes nothing', async ({
		page,
		request
	}) => {
		await signIn(page);
		const activity = await nextActivity();
		const before = await seatsTaken(activity);
		let captured: { url: string; body: string; headers: Record<string, string> } | undefined;
		await page.route(
			'**/rest/v1/rpc/apply_actions',
			async (route) => {
				const sent = route.request();
				captured = {
					url: sent.url(),
					body: sent.postData() ?? '',
					headers: await sent.allHeaders()
				};
				await route.abort('timedout');
			},
			{ times: 1 }
		);
		await openActivity(page, activity);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect(page.getByRole('heading', { name: '报名成功！' })).toBeVisible({
			timeout: 20_000
		});
		expect(await seatsTaken(activity)).toBe(before + 1);

		const { host: _host, 'content-length': _length, ...headers } = captured!.headers;
		const late = await request.post(captured!.url, { headers, data: captured!.body });
		expect(late.ok()).toBe(true);
		const answer = (await late.json()) as {
			results: Array<{ status: string; replayed: boolean }>;
		};
		expect(answer.results).toMatchObject([{ status: 'applied', replayed: true }]);
		expect(await seatsTaken(activity)).toBe(before + 1);
	});

	test('T42 a captive portal (200 text/html), then 503 with Retry-After: nothing acked until a real answer', async ({
		page
	}) => {
		await signIn(page);
		const activity = await nextActivity();
		const origin = new URL(page.url()).origin;
		const calls: Array<{ at: number; answer: string }> = [];
		await page.route('**/rest/v1/rpc/apply_actions', async (route) => {
			const cors = {
				'access-control-allow-origin': origin,
				'access-control-expose-headers': 'retry-after'
			};
			if (calls.length === 0) {
				calls.push({ at: Date.now(), answer: 'portal' });
				await route.fulfill({
					status: 200,
					contentType: 'text/html',
					headers: cors,
					body: '<html><body>Welcome to the hotel Wi-Fi. Please log in.</body></html>'
				});
			} else if (calls.length === 1) {
				calls.push({ at: Date.now(), answer: '503' });
				await route.fulfill({
					status: 503,
					contentType: 'text/plain',
					headers: { ...cors, 'retry-after': '2' },
					body: 'busy'
				});
			} else {
				calls.push({ at: Date.now(), answer: 'real' });
				await route.fallback();
			}
		});
		await openActivity(page, activity);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		await expect.poll(() => calls.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
		expect((await rows(page)).find((row) => row.activityId === activity)?.status).toBe('pending');
		// Skip the first backoff; the Retry-After that follows must be honoured.
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect.poll(() => calls.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
		expect((await rows(page)).find((row) => row.activityId === activity)?.status).toBe('pending');
		await expect(page.getByRole('heading', { name: '报名成功！' })).toBeVisible({
			timeout: 20_000
		});
		expect(calls.map((call) => call.answer)).toEqual(['portal', '503', 'real']);
		expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(1_900);
		await page.unroute('**/rest/v1/rpc/apply_actions');
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
		// The engine (and the hook) start once the page after sign-in has its content.
		await waitForHook(page);
		await expect
			.poll(async () => (await statusOf(page, [row.id]))[0], { timeout: 20_000 })
			.toBe('acked');
	});

	test('T39 pending actions survive a new app version (a new service worker, applied from the banner), then sync', async ({
		page,
		context
	}) => {
		await signIn(page);
		await controlledBySw(page);
		const activity = await nextActivity();
		await openActivity(page, activity);
		await goOffline(context);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		const saved = (await rows(page)).filter((row) => row.status === 'pending');
		expect(saved).toHaveLength(1);
		// Held back (before going online, or the flusher sends it at once) so the action is still
		// pending when the update is applied.
		await context.route('**/rest/v1/rpc/apply_actions', (route) => route.abort('failed'));
		await goOnline(context);
		// A new version: the deployed worker changes by one byte; the page finds it on update().
		const file = 'build/service-worker.js';
		const original = readFileSync(file, 'utf8');
		writeFileSync(file, `${original}\n// next version ${Date.now()}\n`);
		try {
			await page.evaluate(async () => {
				const registration = await navigator.serviceWorker.getRegistration();
				await registration?.update();
			});
			await expect(page.getByTestId('update-banner')).toBeVisible({ timeout: 20_000 });
			await page.getByTestId('update-banner').getByRole('button', { name: '更新' }).click();
			await page.waitForEvent('load');
		} finally {
			writeFileSync(file, original);
		}
		await waitForHook(page);
		await expect(page.getByTestId('update-banner')).toHaveCount(0);
		expect(await statusOf(page, [saved[0]!.id])).toEqual(['pending']);
		await context.unroute('**/rest/v1/rpc/apply_actions');
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect
			.poll(async () => (await statusOf(page, [saved[0]!.id]))[0], { timeout: 20_000 })
			.toBe('acked');
		expect(await myStatus(activity)).toBe('registered');
	});

	test('T41 logout keeps pending actions for their owner only; another user never sends them; the owner does', async ({
		page,
		context
	}) => {
		await signIn(page);
		// Offline navigation below needs the service worker in control.
		await controlledBySw(page);
		const owner = (await hookState(page)).userId!;
		const activities = [await nextActivity(), await nextActivity()];
		for (const id of activities) await openActivity(page, id);
		const bodies: string[] = [];
		await context.route('**/rest/v1/rpc/apply_actions', async (route) => {
			bodies.push(route.request().postData() ?? '');
			await route.fallback();
		});
		await goOffline(context);
		for (const id of activities) {
			await openActivity(page, id);
			await page.getByRole('button', { name: '提交报名' }).click();
			await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		}
		const saved = (await rows(page)).filter((row) => row.status === 'pending');
		expect(saved).toHaveLength(2);
		expect(await cacheKeys(page, owner)).not.toHaveLength(0);

		// Log out: the dialog counts them; "keep" is the default (focused) choice.
		await page.getByRole('button', { name: '退出', exact: true }).click();
		const dialog = page.getByTestId('logout-dialog');
		await expect(dialog.getByRole('heading', { name: '有 2 条操作尚未上传' })).toBeVisible();
		await expect(dialog.getByRole('button', { name: '退出，保留到下次登录时上传' })).toBeFocused();
		await expect(dialog.getByRole('button', { name: '删除这 2 条操作并退出' })).toBeVisible();
		await dialog.getByRole('button', { name: '退出，保留到下次登录时上传' }).click();
		await expect(page).toHaveURL(/\/login/);
		// Personal reads are off the phone; the actions are not.
		await expect.poll(() => cacheKeys(page, owner)).toEqual([]);
		expect(
			await statusOf(
				page,
				saved.map((row) => row.id)
			)
		).toEqual(['pending', 'pending']);

		// Another member signs in online: nothing of the first one's goes up under their session.
		await goOnline(context);
		await signIn(page, ORGANIZER);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await page.waitForTimeout(1_500);
		expect(
			await statusOf(
				page,
				saved.map((row) => row.id)
			)
		).toEqual(['pending', 'pending']);
		for (const body of bodies) {
			for (const row of saved) expect(body).not.toContain(row.id);
			expect(body).not.toContain(owner);
		}
		expect((await hookState(page)).pending).toBe(0);
		await expect(page.getByTestId('sync-status')).toHaveCount(0);

		// The organizer has nothing pending: logging out asks only "this phone or everywhere".
		await page.getByRole('button', { name: '退出', exact: true }).click();
		await expect(dialog.getByRole('heading', { name: '退出登录？' })).toBeVisible();
		await dialog.getByRole('button', { name: '退出', exact: true }).click();
		await expect(page).toHaveURL(/\/login/);
		// The owner signs in again: their actions go up now, under their own session.
		await signIn(page);
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
		expect(bodies.some((body) => body.includes(saved[0]!.id))).toBe(true);
		for (const id of activities) expect(await myStatus(id)).toBe('registered');
	});

	test('T45 offline sign-up then cancel while another member takes the last seat: a consistent end', async ({
		page,
		context
	}) => {
		test.setTimeout(90_000);
		await signIn(page);
		const tripId = await activityIdOf(TRIP);
		const status = await myStatus(tripId);
		if (status !== null && status !== 'cancelled') {
			await api.rpc('cancel_registration', { activity_id: tripId });
		}
		// Fill the trip until one seat is left, as other members through the API.
		const fillers = await fillUntil(tripId, 1);
		await openActivity(page, tripId);
		await goOffline(context);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		const mine = page.getByRole('region', { name: '我的报名' });
		await expect(mine.getByText('待同步')).toBeVisible();
		await mine.getByRole('button', { name: '取消报名' }).click();
		await page
			.getByRole('dialog', { name: '确定取消报名吗？' })
			.getByRole('button', { name: '确认取消' })
			.click();
		await expect(page.getByTestId('outcome')).toContainText('联网后会自动取消报名');
		const cancel = (await rows(page)).find(
			(row) => row.activityId === tripId && row.kind === 'cancel_signup'
		);
		// The cancel names the registration it is for: the one this sign-up will make.
		expect((cancel as { payload?: { generation?: number } }).payload?.generation).toBeGreaterThan(
			0
		);

		// Meanwhile another member takes the last seat online.
		const taken = await takeSeat(tripId, fillers);
		expect(taken).toBe(true);

		await goOnline(context);
		await page.evaluate(() => window.dispatchEvent(new Event('online')));
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', {
			timeout: 20_000
		});
		const settled = (await rows(page)).filter((row) => row.activityId === tripId);
		expect(settled.map((row) => row.status)).not.toContain('pending');
		// The sign-up waited in the queue (full), and the cancel took it out again.
		expect(await myStatus(tripId)).toBe('cancelled');
		const { data } = await api.rpc('get_activity', { activity_id: tripId });
		const trip = data as { capacity: number; seats_taken: number; waitlist_length: number };
		expect(trip.seats_taken).toBe(trip.capacity);
		await page.reload();
		await waitForHook(page);
		await expect(page.getByText('名额已满，提交后将进入候补队列。')).toBeVisible();
		await expect(page.getByRole('button', { name: '加入候补' })).toBeEnabled();
	});

	test('WeChat’s in-app browser and browsers without service workers: no worker, nothing breaks', async ({
		browser
	}) => {
		const { defaultBrowserType: _type, ...pixel } = devices['Pixel 7'];
		const variants: Array<{ name: string; userAgent?: string; noWorker?: boolean }> = [
			{
				name: 'wechat',
				userAgent: `${pixel.userAgent} MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI Language/zh_CN`
			},
			{ name: 'no-sw', noWorker: true }
		];
		for (const variant of variants) {
			const context = await browser.newContext({
				...pixel,
				...(variant.userAgent === undefined ? {} : { userAgent: variant.userAgent }),
				baseURL: test.info().project.use.baseURL,
				locale: 'zh-CN'
			});
			try {
				const page = await context.newPage();
				const errors: string[] = [];
				page.on('pageerror', (error) => errors.push(error.message));
				if (variant.noWorker === true) {
					await page.addInitScript(() => {
						delete (Navigator.prototype as unknown as { serviceWorker?: unknown }).serviceWorker;
					});
				}
				await signIn(page);
				await openActivity(page, await nextActivity());
				await page.getByRole('button', { name: '提交报名' }).click();
				await expect(page.getByRole('heading', { name: '报名成功！' })).toBeVisible();
				const registered = await page.evaluate(async () =>
					'serviceWorker' in navigator
						? (await navigator.serviceWorker.getRegistrations()).length
						: -1
				);
				expect(registered, variant.name).toBeLessThanOrEqual(0);
				expect(errors, variant.name).toEqual([]);
			} finally {
				await context.close();
			}
		}
	});

	test('T46 persistent storage is asked for and shown on /diagnostics; organizers on iOS Safari get the Home Screen nudge', async ({
		page,
		browser
	}) => {
		await signIn(page);
		await page.goto('/diagnostics');
		await expect(page.getByTestId('diag-persisted')).not.toHaveText('未知');
		await expect(page.getByTestId('home-screen-nudge')).toHaveCount(0);

		const iphone = await newIphone(browser);
		try {
			const organizer = await iphone.newPage();
			await signIn(organizer, ORGANIZER);
			await expect(organizer.getByTestId('home-screen-nudge')).toContainText('添加到主屏幕');
			await organizer.getByTestId('home-screen-nudge').getByRole('button').click();
			await expect(organizer.getByTestId('home-screen-nudge')).toHaveCount(0);
		} finally {
			await iphone.close();
		}
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

	test('R8 a proxy answering 400 text/html keeps the action and retries it until it goes through, once; a dead letter never shows "all synced"', async ({
		page
	}) => {
		test.setTimeout(90_000);
		await signIn(page);
		const [activity, poisoned] = [await nextActivity(), await nextActivity()];
		const origin = new URL(page.url()).origin;
		const PROXY_ANSWERS = 7;
		let proxied = 0;
		const delivered: string[] = [];
		await page.route('**/rest/v1/rpc/apply_actions', async (route) => {
			const body = route.request().postDataJSON() as {
				actions: Array<{ id: string; payload: { activity_id: string } }>;
			};
			if (body.actions.some((action) => action.payload.activity_id === poisoned)) {
				// A real, repeatable PostgREST error for this one action.
				await route.fulfill({
					status: 400,
					contentType: 'application/json',
					headers: { 'access-control-allow-origin': origin },
					body: JSON.stringify({ code: 'PGRST100', message: 'bad', details: null, hint: null })
				});
				return;
			}
			if (proxied < PROXY_ANSWERS) {
				proxied += 1;
				await route.fulfill({
					status: 400,
					contentType: 'text/html',
					headers: { 'access-control-allow-origin': origin },
					body: '<html><body><h1>Bad Request (proxy)</h1></body></html>'
				});
				return;
			}
			const response = await route.fetch();
			if (response.ok()) delivered.push(...body.actions.map((action) => action.id));
			await route.fulfill({ response });
		});
		await openActivity(page, activity);
		await page.getByRole('button', { name: '提交报名' }).click();
		await expect(page.getByTestId('outcome')).toContainText('已保存在本机，等待同步');
		const saved = (await rows(page)).find((row) => row.activityId === activity)!;
		// Each "Sync now" skips the backoff: more proxy answers than the poison limit (5).
		for (let answer = 1; answer <= PROXY_ANSWERS; answer += 1) {
			await expect
				.poll(
					async () => {
						if (proxied < answer) await syncNow(page);
						return proxied;
					},
					{ timeout: 10_000 }
				)
				.toBeGreaterThanOrEqual(answer);
			expect((await statusOf(page, [saved.id]))[0]).toBe('pending');
		}
		await syncNow(page);
		await expect
			.poll(async () => (await statusOf(page, [saved.id]))[0], { timeout: 20_000 })
			.toBe('acked');
		expect(delivered.filter((id) => id === saved.id)).toHaveLength(1);
		expect(await myStatus(activity)).toBe('registered');
		await expect(page.getByTestId('sync-status')).toHaveAttribute('data-attention', '0');

		// A repeatable PostgREST error does block its action: "needs attention", never "all synced".
		const dead = await enqueueSignup(page, poisoned);
		await expect
			.poll(
				async () => {
					await syncNow(page);
					return (await statusOf(page, [dead.id]))[0];
				},
				{ timeout: 20_000 }
			)
			.toBe('blocked');
		const pill = page.getByTestId('sync-status');
		await expect(pill).toHaveAttribute('data-attention', '1');
		await expect(pill).toContainText('1 项需要处理');
		await expect(pill).not.toContainText('已全部同步');
		await page.unroute('**/rest/v1/rpc/apply_actions');
	});

	test('R9 a read refused with "JWT expired" while the stored session looks fresh refreshes once and keeps the member signed in', async ({
		page,
		context
	}) => {
		test.setTimeout(60_000);
		await signIn(page);
		await page.goto('/my?e2e');
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		// A slow clock: the token's exp has passed on the server, expires_at not yet on the phone.
		await storeExpiredAccessToken(page);
		const auth: string[] = [];
		context.on('request', (request) => {
			const url = new URL(request.url());
			if (isRefresh(url)) auth.push('refresh');
			if (url.pathname.endsWith('/auth/v1/logout')) auth.push('logout');
		});
		await page.reload();
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		await waitForHook(page);
		await expect(page).toHaveURL(/\/my/);
		expect((await hookState(page)).userId).not.toBeNull();
		expect(auth.filter((kind) => kind === 'refresh').length).toBeGreaterThanOrEqual(1);
		expect(auth).not.toContain('logout');
		// Another page's reads work with the refreshed session.
		await page.goto('/');
		await expect(page).toHaveURL((url) => url.pathname === '/');
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	});

	test('R10 a user switch in a second tab: the first tab’s late 401 for the old user never signs the new user out', async ({
		page,
		context
	}) => {
		test.setTimeout(90_000);
		await signIn(page);
		const origin = new URL(page.url()).origin;
		const second = await context.newPage();
		await second.goto('/?e2e');
		await waitForHook(second);
		// The first tab's read of the employee's list is held, then refused as a stale token is.
		let release = (): void => undefined;
		const released = new Promise<void>((resolve) => {
			release = resolve;
		});
		let held = 0;
		await page.route('**/rest/v1/rpc/list_my_registrations', async (route) => {
			held += 1;
			await released;
			await route.fulfill({
				status: 401,
				contentType: 'application/json',
				headers: { 'access-control-allow-origin': origin },
				body: JSON.stringify({
					code: 'PGRST303',
					message: 'JWT expired',
					details: null,
					hint: null
				})
			});
		});
		await page.goto('/my?e2e');
		await expect.poll(() => held).toBeGreaterThan(0);

		// The second tab: the employee logs out, the organizer signs in.
		await logOut(second);
		await signIn(second, ORGANIZER);
		const organizer = (await hookState(second)).userId;
		expect(organizer).not.toBeNull();
		const auth: string[] = [];
		context.on('request', (request) => {
			const url = new URL(request.url());
			if (isRefresh(url)) auth.push('refresh');
			if (url.pathname.endsWith('/auth/v1/logout')) auth.push('logout');
		});
		release();
		// The first tab answers the 401: it checks the session it holds now before anything else.
		await expect.poll(() => auth.length, { timeout: 15_000 }).toBeGreaterThan(0);
		expect(auth).not.toContain('logout');
		await expect(second).toHaveURL((url) => url.pathname === '/');
		expect((await hookState(second)).userId).toBe(organizer);
		await second.reload();
		await waitForHook(second);
		expect((await hookState(second)).userId).toBe(organizer);
		await expect(second).toHaveURL((url) => url.pathname === '/');
		await page.unroute('**/rest/v1/rpc/list_my_registrations');
		await second.close();
	});

	test('R11 a refresh that failed offline does not hold uploads back once online: 立即同步 uploads at once', async ({
		page,
		context
	}) => {
		await signIn(page);
		await goOffline(context);
		const row = await enqueueSignup(page, await nextActivity());
		await expireStoredSession(page);
		const refreshes: string[] = [];
		context.on('request', (request) => {
			if (isRefresh(new URL(request.url()))) refreshes.push(request.url());
		});
		// Offline, the flusher needs a new token: auth-js's refresh fails for lack of network (it
		// retries for up to 30 s first), and auth-js keeps that failure for 60 s.
		test.setTimeout(90_000);
		await syncNow(page);
		expect(refreshes.length).toBeGreaterThan(0);
		expect((await statusOf(page, [row.id]))[0]).toBe('pending');
		await goOnline(context);
		// auth-js would serve its cached failure for 60 s; the app asks for a real refresh now.
		const syncButton = page.getByTestId('sync-status').getByRole('button', { name: '立即同步' });
		await expect
			.poll(
				async () => {
					// Tapped while shown and enabled (it is disabled while an upload runs).
					await syncButton.click({ timeout: 500 }).catch(() => undefined);
					return (await statusOf(page, [row.id]))[0];
				},
				{ timeout: 10_000 }
			)
			.toBe('acked');
	});

	test('R11 Retry-After on a 503 passes the stand-in’s CORS exposure and sets the next attempt', async ({
		page
	}) => {
		await signIn(page);
		const activity = await nextActivity();
		let answeredAt = 0;
		await page.route('**/rest/v1/rpc/apply_actions', async (route) => {
			if (answeredAt === 0) {
				// The stand-in's own CORS headers (from a harmless request), on a 503 with Retry-After.
				const real = await route.fetch({ url: `${config.supabaseUrl}/rest/v1/`, method: 'GET' });
				const cors = Object.fromEntries(
					Object.entries(real.headers()).filter(([name]) => name.startsWith('access-control-'))
				);
				answeredAt = Date.now();
				await route.fulfill({
					status: 503,
					contentType: 'text/plain',
					headers: { ...cors, 'retry-after': '60' },
					body: 'busy'
				});
				return;
			}
			await route.fallback();
		});
		const row = await enqueueSignup(page, activity);
		await expect.poll(() => answeredAt).toBeGreaterThan(0);
		await expect
			.poll(async () => (await hookState(page)).nextAttemptAt ?? 0)
			.toBeGreaterThanOrEqual(answeredAt + 59_000);
		expect((await statusOf(page, [row.id]))[0]).toBe('pending');
		await page.unroute('**/rest/v1/rpc/apply_actions');
		await syncNow(page);
		await expect
			.poll(async () => (await statusOf(page, [row.id]))[0], { timeout: 20_000 })
			.toBe('acked');
	});

	test('R11 site data cleared under the running app: the pill stops claiming "saved" and says the actions are gone', async ({
		page,
		context
	}) => {
		await signIn(page);
		await goOffline(context);
		await enqueueSignup(page, await nextActivity());
		const pill = page.getByTestId('sync-status');
		await expect(pill).toContainText('1 项已保存在本机');
		const cdp = await context.newCDPSession(page);
		await cdp.send('Storage.clearDataForOrigin', {
			origin: new URL(page.url()).origin,
			storageTypes: 'indexeddb'
		});
		await expect(page.getByTestId('storage-lost')).toContainText('1 项');
		await expect(page.getByTestId('storage-lost')).toContainText('已丢失');
		await expect(page.getByText('已保存在本机')).toHaveCount(0);
		await goOnline(context);
	});

	test('R11 logout signs out this phone only; signing out everywhere is a separate choice', async ({
		page
	}) => {
		const otherPhone = createClient(config.supabaseUrl, config.supabaseKey, {
			auth: { persistSession: false, autoRefreshToken: false }
		});
		const { error } = await otherPhone.auth.signInWithPassword({
			email: ORGANIZER,
			password: PASSWORD
		});
		expect(error).toBeNull();
		const logouts: string[] = [];
		page.on('request', (request) => {
			const url = new URL(request.url());
			if (url.pathname.endsWith('/auth/v1/logout'))
				logouts.push(url.searchParams.get('scope') ?? '');
		});

		await signIn(page, ORGANIZER);
		await page.getByRole('button', { name: '退出', exact: true }).click();
		const dialog = page.getByTestId('logout-dialog');
		await expect(dialog.getByRole('button', { name: '退出', exact: true })).toBeFocused();
		await dialog.getByRole('button', { name: '退出', exact: true }).click();
		await expect(page).toHaveURL(/\/login/);
		expect(logouts).toEqual(['local']);
		expect((await otherPhone.auth.refreshSession()).error).toBeNull();

		await signIn(page, ORGANIZER);
		await page.getByRole('button', { name: '退出', exact: true }).click();
		await dialog.getByRole('button', { name: '在所有设备上退出' }).click();
		await expect(page).toHaveURL(/\/login/);
		expect(logouts).toEqual(['local', 'global']);
		expect((await otherPhone.auth.refreshSession()).error).not.toBeNull();
	});
});

async function openActivity(page: Page, activityId: string): Promise<void> {
	await page.goto(`/activities/${activityId}`);
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	// What was read is stored for offline use once the tab is idle: wait for it, as a member who
	// reads the page for a moment does, before the next page or the network goes away.
	await snapshotsStored(page);
}

async function snapshotsStored(page: Page): Promise<void> {
	await waitForHook(page);
	await page.evaluate(() =>
		(
			window as unknown as { __unionOutbox: { snapshotsStored(): Promise<void> } }
		).__unionOutbox.snapshotsStored()
	);
}

async function activityIdOf(title: string): Promise<string> {
	const { data, error } = await api.rpc('list_activities');
	if (error !== null) throw error;
	const found = (data as Array<{ id: string; title: string }>).find((a) => a.title === title);
	if (found === undefined) throw new Error(`no activity ${title}`);
	return found.id;
}

async function seatsLeftOf(activityId: string): Promise<number> {
	const { data, error } = await api.rpc('get_activity', { activity_id: activityId });
	if (error !== null) throw error;
	const activity = data as { capacity: number; seats_taken: number };
	return activity.capacity - activity.seats_taken;
}

/** Signs roster members up (with up to 2 guests) until `left` seats remain; returns unused ones. */
async function fillUntil(activityId: string, left: number): Promise<string[]> {
	const unused: string[] = [];
	for (const email of FILLERS) {
		const free = await seatsLeftOf(activityId);
		if (free <= left) {
			unused.push(email);
			continue;
		}
		const client = await apiClientFor(config, email);
		const guests = ['家属甲', '家属乙'].slice(0, Math.max(0, Math.min(2, free - left - 1)));
		const { error } = await client.rpc('sign_up', { activity_id: activityId, guest_names: guests });
		if (error !== null && error.message !== 'already_registered') unused.push(email);
	}
	expect(await seatsLeftOf(activityId)).toBe(left);
	return unused;
}

/** Another member takes one seat online (the first of `emails` who is not signed up yet). */
async function takeSeat(activityId: string, emails: string[]): Promise<boolean> {
	for (const email of emails) {
		const client = await apiClientFor(config, email);
		const { data, error } = await client.rpc('sign_up', { activity_id: activityId });
		if (error === null && (data as { outcome: string }).outcome === 'registered') return true;
	}
	return false;
}

/** The read-cache keys stored on the phone for a user (IndexedDB `union-offline`). */
function cacheKeys(page: Page, userId: string): Promise<string[]> {
	return page.evaluate(
		(user) =>
			new Promise<string[]>((resolve, reject) => {
				const open = indexedDB.open('union-offline');
				open.onerror = () => {
					reject(new Error('cannot open'));
				};
				open.onsuccess = () => {
					const db = open.result;
					const request = db.transaction('cache').objectStore('cache').getAllKeys();
					request.onsuccess = () => {
						db.close();
						resolve((request.result as string[]).filter((key) => key.startsWith(`${user}:`)));
					};
				};
			}),
		userId
	);
}

/** An iPhone in Safari (a tab, not the Home Screen app), on Chromium. */
function newIphone(browser: Browser): Promise<BrowserContext> {
	const { defaultBrowserType: _type, ...iphone } = devices['iPhone 13'];
	return browser.newContext({
		...iphone,
		baseURL: test.info().project.use.baseURL,
		locale: 'zh-CN'
	});
}

function syncNow(page: Page): Promise<void> {
	return page.evaluate(() =>
		(window as unknown as { __unionOutbox: { syncNow(): Promise<void> } }).__unionOutbox.syncNow()
	);
}

/** Logs out from the header, keeping any pending actions, on this phone only. */
async function logOut(page: Page): Promise<void> {
	await page.getByRole('button', { name: '退出', exact: true }).click();
	const dialog = page.getByTestId('logout-dialog');
	const choice = await Promise.race([
		page.waitForURL(/\/login/).then(() => 'done' as const),
		dialog.waitFor({ state: 'visible' }).then(() => 'dialog' as const)
	]);
	if (choice === 'dialog') {
		const keep = dialog.getByRole('button', { name: '退出，保留到下次登录时上传' });
		await (
			(await keep.count()) > 0 ? keep : dialog.getByRole('button', { name: '退出', exact: true })
		).click();
	}
	await page.waitForURL(/\/login/);
}

/**
 * Replaces the stored access token with one whose `exp` has passed (signed with the stand-in's
 * development secret), leaving `expires_at` in the future: a phone whose clock runs slow.
 */
async function storeExpiredAccessToken(page: Page): Promise<void> {
	const stored = await page.evaluate(() => {
		for (let i = 0; i < localStorage.length; i += 1) {
			const key = localStorage.key(i);
			if (key?.startsWith('sb-') === true && key.endsWith('-auth-token')) {
				return { key, value: localStorage.getItem(key) ?? '{}' };
			}
		}
		return null;
	});
	if (stored === null) throw new Error('no stored session');
	const session = JSON.parse(stored.value) as { access_token: string; expires_at: number };
	const claims = JSON.parse(
		Buffer.from(session.access_token.split('.')[1]!, 'base64url').toString('utf8')
	) as Record<string, unknown>;
	const now = Math.floor(Date.now() / 1000);
	session.access_token = await signJwt(
		{ ...claims, iat: now - 3_700, exp: now - 100 },
		DEFAULT_JWT_SECRET
	);
	session.expires_at = now + 1_800;
	await page.evaluate(
		([key, value]) => {
			localStorage.setItem(key, value);
		},
		[stored.key, JSON.stringify(session)] as const
	);
}

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
