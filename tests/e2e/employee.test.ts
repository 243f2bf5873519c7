// Employees: find activities, sign up under every rule, hold a ticket. Each person signs in as a
// new user would, with the code the stand-in's mailbox received. The story tests run in order on
// one database (playwright.config.ts starts a fresh one per run).
import {
	devices,
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Page,
	type TestInfo
} from '@playwright/test';
import type { SupabaseClient } from '@supabase/supabase-js';
import {
	DEMO_EMPLOYEE,
	activityIdByTitle,
	apiClientFor,
	readConfig,
	rosterEmail,
	signInWithOtp,
	type RuntimeConfig
} from './support.ts';

const CHECKUP = '年度职工健康体检';
const TRIP = '“相约山水”秋季一日游';
const WOMENS_CHECKUP = '女职工妇科健康检查';

/** Colleague 吕婷 (nursing, no sign-ups in the seed), who ends up on the trip's waitlist. */
const COLLEAGUE = rosterEmail('45514');
/** 胡斌, a man on the roster: not eligible for the women's checkup. */
const MAN = rosterEmail('64799');
/** Roster members who fill the trip's remaining seats (the helper skips any already on it). */
const FILLERS = ['62488', '30121', '84803', '76799', '76403', '46462', '73203', '65922'].map(
	rosterEmail
);

async function newMemberPage(
	browser: Browser,
	testInfo: TestInfo
): Promise<{ context: BrowserContext; page: Page }> {
	const { defaultBrowserType: _browser, ...pixel } = devices['Pixel 7'];
	const context = await browser.newContext({
		...pixel,
		baseURL: testInfo.project.use.baseURL,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai'
	});
	return { context, page: await context.newPage() };
}

async function openFromList(page: Page, title: string): Promise<void> {
	await page.goto('/');
	await page.getByRole('searchbox', { name: '搜索活动' }).fill(title.slice(-4));
	await page.getByRole('link', { name: title }).click();
	await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

interface ActivityAnswer {
	capacity: number | null;
	seats_taken: number;
}

async function seatsLeft(client: SupabaseClient, activityId: string): Promise<number> {
	const { data, error } = await client.rpc('get_activity', { activity_id: activityId });
	if (error) throw error;
	const activity = data as ActivityAnswer;
	return (activity.capacity ?? Infinity) - activity.seats_taken;
}

test('sign-in: the demo employee signs in with the mailbox code and sees open activities in Chinese', async ({
	page
}) => {
	await signInWithOtp(page, DEMO_EMPLOYEE);
	await expect(page).toHaveURL(/\/$/);
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
	await expect(page.getByRole('heading', { name: '孟婷雪，您好' })).toBeVisible();
	await expect(page.getByRole('heading', { name: '活动', exact: true })).toBeVisible();
	// "对我开放" is the default filter: every card is open to her.
	const cards = page.locator('article');
	await expect(cards.first()).toBeVisible();
	expect(await cards.count()).toBeGreaterThan(3);
	await expect(page.getByRole('link', { name: CHECKUP })).toBeVisible();
	await expect(page.getByText('报名中').first()).toBeVisible();
	await expect(page.getByRole('navigation', { name: '主导航' })).toBeVisible();
});

test('a signed-in page load takes its first reads from app.html and its modules from the preloads', async ({
	page
}) => {
	await signInWithOtp(page, DEMO_EMPLOYEE);
	const calls: string[] = [];
	const modules: string[] = [];
	const stylesheets: string[] = [];
	page.on('request', (request) => {
		const rpc = /\/rest\/v1\/rpc\/([a-z_]+)/.exec(request.url());
		if (rpc?.[1] && request.method() === 'POST') calls.push(rpc[1]);
		if (request.url().includes('/_app/immutable/nodes/')) modules.push(request.url());
		if (/\/_app\/immutable\/assets\/.*\.css$/.test(request.url())) stylesheets.push(request.url());
	});

	// A reload, as a member reopening the app: the list comes from the reads app.html started.
	await page.reload();
	await expect(page.getByRole('heading', { name: '孟婷雪，您好' })).toBeVisible();
	await expect(page.locator('article').first()).toBeVisible();
	const taken = await page.evaluate(() => {
		const reads = (window as { unionEarly?: { reads: Record<string, unknown> } }).unionEarly?.reads;
		return Object.entries(reads ?? {}).map(([key, answer]) => [key.split('\n')[0], answer]);
	});
	expect(taken.map(([url]) => String(url).replace(/.*\/rpc\//, '')).sort()).toEqual([
		'list_activities',
		'whoami'
	]);
	// Each was handed to the app (taken once), so neither was asked for twice.
	expect(taken.every(([, answer]) => answer === undefined)).toBe(true);
	expect(calls.filter((name) => name === 'whoami')).toHaveLength(1);
	expect(calls.filter((name) => name === 'list_activities')).toHaveLength(1);
	// The page's modules were preloaded by app.html's route table, once each.
	const preloaded = await page
		.locator('link[rel="modulepreload"][href*="/_app/immutable/nodes/"]')
		.evaluateAll((links) => links.map((link) => (link as HTMLLinkElement).href));
	expect(preloaded.length).toBeGreaterThanOrEqual(2);
	expect(new Set(modules).size).toBe(modules.length);
	// Its stylesheets too: a preload the router can't use (another CORS mode) is fetched twice.
	expect(stylesheets.length).toBeGreaterThan(0);
	expect(new Set(stylesheets).size).toBe(stylesheets.length);

	// An activity's page reads its activity early too.
	const card = page.locator('a[href^="/activities/"]').first();
	const href = await card.getAttribute('href');
	expect(href).toMatch(/^\/activities\/[0-9a-f-]{36}$/);
	calls.length = 0;
	await page.goto(href ?? '/');
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	expect(calls.filter((name) => name === 'get_activity')).toHaveLength(1);
	expect(calls.filter((name) => name === 'whoami')).toHaveLength(1);
});

test('a session about to expire is refreshed first: no early reads, and the list still loads', async ({
	page
}) => {
	await signInWithOtp(page, DEMO_EMPLOYEE);
	// The stored session says it expires within a minute (auth-js then refreshes it first),
	// written from a page without the app, whose token refresh would overwrite it.
	await page.goto('/config.json');
	await page.evaluate(() => {
		const key = Object.keys(localStorage).find((name) => /^sb-.*-auth-token$/.test(name));
		if (key === undefined) throw new Error('no stored session');
		const session = JSON.parse(localStorage.getItem(key) ?? '{}') as { expires_at: number };
		session.expires_at = Math.floor(Date.now() / 1000) + 60;
		localStorage.setItem(key, JSON.stringify(session));
	});
	await page.goto('/');
	await expect(page.getByRole('heading', { name: '孟婷雪，您好' })).toBeVisible();
	await expect(page.locator('article').first()).toBeVisible();
	const early = await page.evaluate(
		() => Object.keys((window as { unionEarly?: { reads: object } }).unionEarly?.reads ?? {}).length
	);
	expect(early).toBe(0);
});

test.describe.serial('the demo employee books, holds tickets and cancels', () => {
	let employee: Page;
	let employeeContext: BrowserContext;
	let config: RuntimeConfig;

	test.beforeAll(async ({ browser }, testInfo) => {
		({ context: employeeContext, page: employee } = await newMemberPage(browser, testInfo));
		config = await readConfig(employee.request);
		await signInWithOtp(employee, DEMO_EMPLOYEE);
	});

	test.afterAll(async () => {
		await employeeContext.close();
	});

	test('books a checkup session, answering the package question', async () => {
		await openFromList(employee, CHECKUP);
		await expect(employee.getByText('参加人员：在职、聘用。')).toBeVisible();

		// Sending without choices: the form says what is missing, and nothing is sent.
		const submit = employee.getByRole('button', { name: '提交报名' });
		await submit.click();
		await expect(employee.getByText('请选择一个场次。')).toBeVisible();
		await expect(employee.getByText('请回答此问题。')).toBeVisible();

		const sessions = employee.getByRole('group', { name: /选择场次/ });
		await sessions.getByRole('radio').nth(2).check();
		await employee.getByRole('radio', { name: 'B 套餐（含影像）' }).check();
		await submit.click();

		await expect(employee.getByRole('heading', { name: '报名成功！' })).toBeVisible();
		const mine = employee.getByRole('region', { name: '我的报名' });
		await expect(mine.getByText('已报名')).toBeVisible();
		await mine.getByRole('link', { name: '查看电子票' }).click();

		await expect(employee).toHaveURL(/\/tickets\//);
		await expect(employee.getByRole('img', { name: `签到二维码：${CHECKUP}` })).toBeVisible();
		await expect(employee.getByText('孟婷雪')).toBeVisible();
		await expect(employee.getByText('体检中心二楼')).toBeVisible();
	});

	test('books the day trip with two family members', async () => {
		await openFromList(employee, TRIP);
		await expect(employee.getByText('可携带家属，最多 2 人，家属也占名额。')).toBeVisible();
		await employee.getByRole('button', { name: '添加家属' }).click();
		await employee.getByRole('textbox', { name: '家属 1 姓名' }).fill('孟小雨');
		await employee.getByRole('button', { name: '添加家属' }).click();
		await employee.getByRole('textbox', { name: '家属 2 姓名' }).fill('  王建国 ');
		// At most two: no third line is offered.
		await expect(employee.getByRole('button', { name: '添加家属' })).toHaveCount(0);

		const submit = employee.getByRole('button', { name: '提交报名' });
		await submit.click();
		await expect(employee.getByRole('heading', { name: '报名成功！' })).toBeVisible();
		const mine = employee.getByRole('region', { name: '我的报名' });
		await expect(mine.getByText('孟小雨、王建国')).toBeVisible();
		// A repeated tap cannot send again: the form is gone once signed up.
		await expect(submit).toHaveCount(0);
	});

	test('sees both tickets on 我的', async () => {
		await employee
			.getByRole('navigation', { name: '主导航' })
			.getByRole('link', { name: '我的' })
			.click();
		await expect(employee.getByRole('heading', { level: 1, name: '我的报名' })).toBeVisible();
		const upcoming = employee.getByRole('region', { name: '即将开始' });
		for (const title of [CHECKUP, TRIP]) {
			const item = upcoming.getByRole('listitem').filter({ hasText: title });
			await expect(item.getByText('已报名')).toBeVisible();
			await expect(item.getByRole('link', { name: '电子票' })).toBeVisible();
		}
		await upcoming
			.getByRole('listitem')
			.filter({ hasText: TRIP })
			.getByRole('link', { name: '电子票' })
			.click();
		await expect(employee.getByRole('img', { name: `签到二维码：${TRIP}` })).toBeVisible();
		await expect(employee.getByText('孟小雨、王建国')).toBeVisible();
	});

	test('the QR link opens the ticket for its owner and explains itself to anyone else', async ({
		browser
	}, testInfo) => {
		const client = await apiClientFor(config, DEMO_EMPLOYEE);
		const { data, error } = await client.rpc('list_my_registrations');
		expect(error).toBeNull();
		const trip = (
			data as { id: string; ticket_secret: string; activity: { title: string } }[]
		).find((item) => item.activity.title === TRIP)!;
		await employee.goto(`/t/${trip.ticket_secret}`);
		await expect(employee).toHaveURL(new RegExp(`/tickets/${trip.id}$`));

		const { context, page: stranger } = await newMemberPage(browser, testInfo);
		try {
			await stranger.goto(`/t/${trip.ticket_secret}`);
			await expect(stranger.getByRole('heading', { name: '工会活动电子票' })).toBeVisible();
			await expect(stranger.getByRole('heading', { name: 'Union activity ticket' })).toBeVisible();
			// No personal data: neither her name nor the activity.
			await expect(stranger.getByText('孟婷雪')).toHaveCount(0);
			await expect(stranger.getByText(TRIP)).toHaveCount(0);
		} finally {
			await context.close();
		}
	});

	test('a waitlisted colleague is promoted when the employee cancels the trip', async ({
		browser
	}, testInfo) => {
		test.setTimeout(120_000);
		// Fill the trip's remaining seats as other members, through the API.
		const first = await apiClientFor(config, FILLERS[0]!);
		const tripId = await activityIdByTitle(first, TRIP);
		for (const email of FILLERS) {
			const left = await seatsLeft(first, tripId);
			if (left <= 0) break;
			const client = email === FILLERS[0] ? first : await apiClientFor(config, email);
			const guests = ['家属甲', '家属乙'].slice(0, Math.min(2, left - 1));
			const { data, error } = await client.rpc('sign_up', {
				activity_id: tripId,
				guest_names: guests
			});
			if (error?.message === 'already_registered') continue;
			expect(error).toBeNull();
			expect((data as { outcome: string }).outcome).toBe('registered');
		}
		expect(await seatsLeft(first, tripId)).toBe(0);

		// The colleague finds it full and joins the waitlist.
		const { context, page: colleague } = await newMemberPage(browser, testInfo);
		try {
			await signInWithOtp(colleague, COLLEAGUE);
			await openFromList(colleague, TRIP);
			await expect(colleague.getByText('名额已满，提交后将进入候补队列。')).toBeVisible();
			await colleague.getByRole('button', { name: '加入候补' }).click();
			await expect(
				colleague.getByRole('heading', { name: '已加入候补，当前排第 1 位。' })
			).toBeVisible();

			// The employee cancels her trip, with a confirm step.
			await openFromList(employee, TRIP);
			await employee.getByRole('button', { name: '取消报名' }).click();
			const dialog = employee.getByRole('dialog', { name: '确定取消报名吗？' });
			await expect(dialog).toBeVisible();
			await dialog.getByRole('button', { name: '确认取消' }).click();
			await expect(employee.getByRole('heading', { name: '已取消报名。' })).toBeVisible();
			await expect(employee.getByRole('button', { name: '提交报名' })).toBeVisible();

			// The colleague was promoted and holds a ticket now.
			await colleague.goto('/my');
			const item = colleague
				.getByRole('region', { name: '即将开始' })
				.getByRole('listitem')
				.filter({ hasText: TRIP });
			await expect(item.getByText('已报名')).toBeVisible();
			await item.getByRole('link', { name: '电子票' }).click();
			await expect(colleague.getByRole('img', { name: `签到二维码：${TRIP}` })).toBeVisible();
		} finally {
			await context.close();
		}

		// The employee's 我的 shows the trip as cancelled and keeps the checkup ticket.
		await employee.goto('/my');
		const upcoming = employee.getByRole('region', { name: '即将开始' });
		await expect(
			upcoming.getByRole('listitem').filter({ hasText: TRIP }).getByText('已取消报名')
		).toBeVisible();
		await expect(
			upcoming
				.getByRole('listitem')
				.filter({ hasText: CHECKUP })
				.getByRole('link', { name: '电子票' })
		).toBeVisible();
	});
});

test('a man sees why he cannot sign up for the women’s checkup, and the server refuses him', async ({
	page
}) => {
	await signInWithOtp(page, MAN);
	await page.getByRole('radio', { name: '全部' }).check();
	await page.getByRole('searchbox', { name: '搜索活动' }).fill('妇科');
	const card = page.locator('article').filter({ hasText: WOMENS_CHECKUP });
	await expect(card.getByText('不符合条件')).toBeVisible();
	await card.getByRole('link', { name: WOMENS_CHECKUP }).click();

	await expect(page.getByRole('heading', { name: '您不能报名此活动' })).toBeVisible();
	await expect(page.getByText('本活动仅限女职工参加，名册中您的信息不符合。')).toBeVisible();
	await expect(page.getByRole('button', { name: '提交报名' })).toHaveCount(0);
	await expect(page.getByRole('group', { name: /选择场次/ })).toHaveCount(0);

	// Calling the function directly changes nothing: the server refuses with its reason.
	const client = await apiClientFor(await readConfig(page.request), MAN);
	const activityId = await activityIdByTitle(client, WOMENS_CHECKUP);
	const detail = await client.rpc('get_activity', { activity_id: activityId });
	const session = (detail.data as { sessions: { id: string }[] }).sessions[2]!;
	const refused = await client.rpc('sign_up', { activity_id: activityId, session_id: session.id });
	expect(refused.data).toBeNull();
	expect(refused.status).toBe(403);
	expect(refused.error?.message).toBe('ineligible_gender');
	const after = await client.rpc('get_activity', { activity_id: activityId });
	expect((after.data as { my_registration: unknown }).my_registration).toBeNull();
});
