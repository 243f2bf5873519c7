// The venue scanner end to end: Chromium's fake camera plays a Y4M video of real ticket QRs of
// the seed (made at setup with the `qrcode` package), the page decodes them with zxing-wasm in a
// worker and shows a verdict; then two phones scan overlapping people offline and converge after
// syncing (T37: one attendance each, one duplicate warning).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
	chromium,
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Page
} from '@playwright/test';
import { SYSTEM_CHROMIUM_ARGS, systemChromium } from '../../scripts/lib/browser.ts';
import { writeQrVideo } from './fixtures/make-video.ts';
import { unionDay } from '../../src/lib/domain/union-day.ts';
import {
	EMPLOYEE,
	OFFICE,
	counterOf,
	foreignTicket,
	openScanner,
	passwordClient,
	prepareVenue,
	signIn,
	ticketOf,
	type Venue
} from './fixtures/scanner-setup.ts';

// Outside test-results/ (which other Playwright runs clean) so the screenshots stay for review.
const SHOTS = join(import.meta.dirname, '..', '..', '.data', 'scanner-shots');

interface SeenVerdict {
	serial: number;
	kind: string;
	name: string | null;
}

test.describe.configure({ mode: 'serial' });

let venue: Venue;
let foreign: string;
let browser: Browser;
/** Fake camera without the ticket video (a test pattern): phones that type codes. */
let plainBrowser: Browser;
let origin: string;

test.beforeAll(async ({ request, baseURL }) => {
	test.setTimeout(180_000);
	origin = baseURL ?? '';
	// Ticket 6 is for R18 (a fully percent-encoded ticket link).
	venue = await prepareVenue(request, 7);
	foreign = await foreignTicket(venue);
	// Ticket 2 is cancelled before the phones download the roster: red "cancelled" at the door.
	const cancelled = venue.tickets[2];
	if (!cancelled) throw new Error('no third ticket');
	const { error } = await cancelled.member.rpc('cancel_registration', {
		activity_id: venue.activityId
	});
	if (error !== null) throw new Error(`cancel: ${error.message}`);

	mkdirSync(SHOTS, { recursive: true });
	const video = join(SHOTS, 'tickets.y4m');
	const url = (secret: string): string => `${origin}/t/${secret}`;
	const [first, second] = venue.tickets;
	if (!first || !second) throw new Error('tickets missing');
	writeQrVideo(video, [
		url(first.secret),
		// A bare secret with a trailing newline, as a keyboard-wedge scanner sends it (A15).
		`${second.secret}\n`,
		url(foreign),
		url(cancelled.secret),
		'https://weixin.qq.com/r/not-a-ticket',
		url(first.secret)
	]);
	const executablePath = systemChromium();
	const fakeCamera = [
		...SYSTEM_CHROMIUM_ARGS,
		'--use-fake-ui-for-media-stream',
		'--use-fake-device-for-media-stream'
	];
	browser = await chromium.launch({
		...(executablePath ? { executablePath } : {}),
		args: [...fakeCamera, `--use-file-for-fake-video-capture=${video}`]
	});
	plainBrowser = await chromium.launch({
		...(executablePath ? { executablePath } : {}),
		args: fakeCamera
	});
});

test.afterAll(async () => {
	await browser.close();
	await plainBrowser.close();
});

async function phone(
	width = 390,
	withVideo = false,
	height = 844
): Promise<{ context: BrowserContext; page: Page }> {
	const context = await (withVideo ? browser : plainBrowser).newContext({
		baseURL: origin,
		viewport: { width, height },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai',
		permissions: ['camera']
	});
	const page = await context.newPage();
	return { context, page };
}

/** Collects every final verdict the scanner shows (by serial), in the page. */
async function collectVerdicts(page: Page): Promise<void> {
	await page.evaluate(() => {
		const seen: Record<number, { serial: number; kind: string; name: string | null }> = {};
		Object.assign(window, { __seenVerdicts: seen });
		setInterval(() => {
			const scanner = (window as unknown as { __unionScanner?: { verdict: unknown } })
				.__unionScanner;
			const verdict = scanner?.verdict as
				| { serial: number; kind: string; checking: boolean; entry: { name: string } | null }
				| null
				| undefined;
			if (verdict == null || verdict.checking) return;
			seen[verdict.serial] = {
				serial: verdict.serial,
				kind: verdict.kind,
				name: verdict.entry?.name ?? null
			};
		}, 40);
	});
}

async function seenVerdicts(page: Page): Promise<SeenVerdict[]> {
	return page.evaluate(() =>
		Object.values(
			(window as unknown as { __seenVerdicts: Record<number, SeenVerdict> }).__seenVerdicts
		).sort((a, b) => a.serial - b.serial)
	);
}

test('the fake camera feeds real ticket QRs: green, red for each wrong one, amber on a rescan', async () => {
	test.setTimeout(120_000);
	const { context, page } = await phone(390, true);
	await signIn(page, OFFICE);
	const before = await counterOf(venue);
	await openScanner(page, venue);
	await collectVerdicts(page);
	const [first, second, cancelled] = venue.tickets;
	if (!first || !second || !cancelled) throw new Error('tickets missing');

	// One loop of the video is ~12.5 s; wait until every kind has been shown once.
	await expect
		.poll(async () => new Set((await seenVerdicts(page)).map((v) => v.kind)), {
			timeout: 60_000,
			intervals: [500]
		})
		.toEqual(new Set(['checked_in', 'wrong_activity', 'cancelled', 'malformed', 'already']));
	const verdicts = await seenVerdicts(page);
	const greens = verdicts.filter((v) => v.kind === 'checked_in').map((v) => v.name);
	expect(greens).toEqual(expect.arrayContaining([first.name, second.name]));
	expect(verdicts.find((v) => v.kind === 'cancelled')?.name).toBe(cancelled.name);
	expect(verdicts.find((v) => v.kind === 'already')?.name).toBe(first.name);

	// The verdict card says it in words and with an icon, not colour alone.
	const card = page.getByTestId('verdict');
	await expect(card.locator('[aria-live="assertive"]')).toBeAttached();
	await expect(card.locator('svg.icon')).toBeVisible();

	// Every green scan went into the outbox and reached the server exactly once.
	await expect(page.getByTestId('pending-uploads')).toContainText('已全部上传', {
		timeout: 15_000
	});
	await expect.poll(() => counterOf(venue), { timeout: 15_000 }).toBe(before + 2);
	await expect(page.getByTestId('checkin-counter')).toContainText(`${String(before + 2)} /`, {
		timeout: 20_000
	});

	// Scan-to-verdict is measured for the bench.
	const measures = await page.evaluate(
		() => performance.getEntriesByName('scan-to-verdict').length
	);
	expect(measures).toBeGreaterThan(0);

	await page.screenshot({ path: join(SHOTS, 'scanner-390-camera.png'), fullPage: true });
	await page.setViewportSize({ width: 320, height: 700 });
	await page.screenshot({ path: join(SHOTS, 'scanner-320-camera.png'), fullPage: true });
	await context.close();
});

test('on a 320 × 568 phone the camera and the verdict are on screen, above the tab bar, without scrolling', async () => {
	const { context, page } = await phone(320, false, 568);
	await signIn(page, OFFICE);
	await openScanner(page, venue);
	await expect(page.getByRole('button', { name: '暂停扫码' })).toBeVisible({ timeout: 15_000 });
	// The whole verdict card sits between the top of the screen and the tab bar, and the camera's
	// picture starts on screen.
	const inView = async (): Promise<boolean> => {
		const nav = await page.getByRole('navigation', { name: '主导航' }).boundingBox();
		const verdict = await page.getByTestId('verdict').boundingBox();
		const camera = await page.getByRole('region', { name: '扫码' }).boundingBox();
		if (nav === null || verdict === null || camera === null) return false;
		return verdict.y >= 0 && verdict.y + verdict.height <= nav.y && camera.y >= 0;
	};
	await expect.poll(inView).toBe(true);
	await page.screenshot({ path: join(SHOTS, 'scanner-320x568.png') });
	await context.close();
});

test('T37 two phones scan overlapping people offline; after sync each counts once and one warns', async () => {
	test.setTimeout(120_000);
	const [, , , d, e, f] = venue.tickets;
	if (!d || !e || !f) throw new Error('tickets missing');
	// The second phone belongs to a check-in staff member named by 工号 (scanner-only grant).
	const employee = await passwordClient(venue.config, EMPLOYEE);
	const { data: who } = await employee.rpc('whoami');
	const employeeNo = (who as { member: { employee_no: string } }).member.employee_no;
	const granted = await venue.office.rpc('grant_checkin_staff', {
		activity_id: venue.activityId,
		employee_no: employeeNo
	});
	expect(granted.error).toBeNull();

	const before = await counterOf(venue);
	const one = await phone();
	const two = await phone();
	await signIn(one.page, OFFICE);
	await signIn(two.page, EMPLOYEE);
	await openScanner(one.page, venue);
	await openScanner(two.page, venue);
	// Check-in staff see no staff panel and cannot accept unknown tickets.
	await expect(two.page.getByText('签到员', { exact: true })).toHaveCount(0);

	await one.context.setOffline(true);
	await two.context.setOffline(true);

	async function typeCode(page: Page, code: string, name: string): Promise<void> {
		await page.getByLabel('票码或票的链接').fill(code);
		await page.getByRole('button', { name: '核验' }).click();
		const card = page.getByTestId('verdict');
		await expect(card).toHaveAttribute('data-kind', 'checked_in');
		await expect(card).toContainText(name);
		await expect(card).toContainText('签到成功');
		await expect(card.getByTestId('verdict-saved')).toHaveText('已保存在本机');
	}

	await typeCode(one.page, `${origin}/t/${d.secret}`, d.name);
	await typeCode(one.page, ` ${e.secret} `, e.name);
	await typeCode(two.page, `${origin}/t/${e.secret}`, e.name);
	await typeCode(two.page, f.secret, f.name);
	// Offline, the same ticket again on the same phone is amber at once (its own queue).
	await one.page.getByLabel('票码或票的链接').fill(d.secret);
	await one.page.getByRole('button', { name: '核验' }).click();
	await expect(one.page.getByTestId('verdict')).toHaveAttribute('data-kind', 'already');
	await expect(one.page.getByTestId('verdict')).toContainText('本机');
	// Offline, a ticket the roster does not know is refused; the organizer may let them in.
	await one.page.getByLabel('票码或票的链接').fill('AAAAAAAAAAAAAAAAAAAAAAAA');
	await one.page.getByRole('button', { name: '核验' }).click();
	await expect(one.page.getByTestId('verdict')).toHaveAttribute('data-kind', 'unknown');
	await expect(one.page.getByRole('button', { name: '临时放行' })).toBeVisible();
	await two.page.getByLabel('票码或票的链接').fill('AAAAAAAAAAAAAAAAAAAAAAAA');
	await two.page.getByRole('button', { name: '核验' }).click();
	await expect(two.page.getByTestId('verdict')).toHaveAttribute('data-kind', 'unknown');
	await expect(two.page.getByRole('button', { name: '临时放行' })).toHaveCount(0);

	await expect(one.page.getByTestId('pending-uploads')).toContainText('2 条待上传');
	await expect(two.page.getByTestId('pending-uploads')).toContainText('2 条待上传');
	await one.page.screenshot({ path: join(SHOTS, 'scanner-390-offline.png'), fullPage: true });
	expect(await counterOf(venue)).toBe(before);

	await one.context.setOffline(false);
	await expect(one.page.getByTestId('pending-uploads')).toContainText('已全部上传', {
		timeout: 20_000
	});
	await two.context.setOffline(false);
	await expect(two.page.getByTestId('pending-uploads')).toContainText('已全部上传', {
		timeout: 20_000
	});

	// The server counts D, E and F once each.
	await expect.poll(() => counterOf(venue), { timeout: 15_000 }).toBe(before + 3);
	// Both phones converge on the same counter (10 s polling).
	const expected = `${String(before + 3)} /`;
	await expect(one.page.getByTestId('checkin-counter')).toContainText(expected, {
		timeout: 25_000
	});
	await expect(two.page.getByTestId('checkin-counter')).toContainText(expected, {
		timeout: 25_000
	});
	// The phone that uploaded E second shows the duplicate warning, naming the other phone.
	await expect(two.page.getByTestId('recent-scans')).toContainText('重复：另一台手机');
	await expect(one.page.getByTestId('recent-scans')).not.toContainText('重复');
	await two.page.screenshot({ path: join(SHOTS, 'scanner-390-duplicate.png'), fullPage: true });

	await one.context.close();
	await two.context.close();
});

/** A day (YYYY-MM-DD) in the union's time zone, `offset` days from now. */
function dayFromToday(offset: number): string {
	return unionDay(new Date(Date.now() + offset * 86_400_000), 'Asia/Shanghai');
}

async function call<T>(
	client: Venue['office'],
	fn: string,
	args: Record<string, unknown>
): Promise<T> {
	const { data, error } = await client.rpc(fn, args);
	if (error !== null) throw new Error(`${fn}: ${error.message}`);
	return data as T;
}

test("R1 offline, a ticket for another day's session is refused naming its day; the counter expects the day's people", async () => {
	test.setTimeout(120_000);
	// A three-day tournament from tomorrow with a session each day; A books day 1, B and C day 2.
	const days = [dayFromToday(1), dayFromToday(2), dayFromToday(3)] as const;
	const { office } = venue;
	const admin = await call<{ owner_unit_id: string }>(office, 'get_activity_admin', {
		activity_id: venue.activityId
	});
	const saved = await call<{ id: string }>(office, 'save_activity', {
		activity: {
			title: `R1 三天锦标赛 ${String(Date.now())}`,
			category: 'sports',
			owner_unit_id: admin.owner_unit_id,
			starts_at: `${days[0]}T08:00:00+08:00`,
			ends_at: `${days[2]}T18:00:00+08:00`,
			signup_opens_at: new Date(Date.now() - 3_600_000).toISOString(),
			signup_closes_at: new Date(Date.now() + 3_600_000).toISOString(),
			cancel_deadline: new Date(Date.now() + 3_600_000).toISOString(),
			capacity: 30
		}
	});
	await call(office, 'publish_activity', { activity_id: saved.id });
	await call(office, 'generate_sessions', {
		activity_id: saved.id,
		start_time: '08:30',
		end_time: '11:30',
		days: [...days]
	});
	const { sessions, title } = await call<{
		title: string;
		sessions: { id: string; starts_at: string }[];
	}>(office, 'get_activity_admin', { activity_id: saved.id });
	const byDay = [...sessions].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
	const roster = await call<{
		entries: { member_id: string; employee_no: string; name: string }[];
	}>(office, 'get_checkin_roster', { activity_id: venue.activityId });
	const [a, b, c] = roster.entries;
	if (!a || !b || !c || byDay.length !== 3) throw new Error('setup incomplete');
	for (const [member, session] of [
		[a, byDay[0]],
		[b, byDay[1]],
		[c, byDay[1]]
	] as const) {
		const signed = await call<{ applied: number }>(office, 'sign_up_on_behalf', {
			activity_id: saved.id,
			member_ids: [member.member_id],
			session_id: session?.id
		});
		expect(signed.applied).toBe(1);
	}
	const ticketA = await ticketOf(venue.config, a.employee_no, saved.id);
	const ticketB = await ticketOf(venue.config, b.employee_no, saved.id);

	const { context, page } = await phone();
	await signIn(page, OFFICE);
	await page.goto(`/scan/${saved.id}?day=${days[0]}`);
	await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
	await expect(page.getByTestId('roster-status')).toContainText('3 人报名', { timeout: 15_000 });
	// Day 1 expects A alone (not the three of all days), with day 1's session line only.
	const counter = page.getByTestId('checkin-counter');
	await expect(counter).toContainText('0 / 1');
	await expect(page.locator('.sessions li')).toHaveCount(1);

	await context.setOffline(true);
	const card = page.getByTestId('verdict');
	await page.getByLabel('票码或票的链接').fill(ticketB.secret);
	await page.getByRole('button', { name: '核验' }).click();
	await expect(card).toHaveAttribute('data-kind', 'wrong_day');
	await expect(card).toContainText('今天不是这张票的签到日');
	await expect(card).toContainText(b.name);
	const [, month, day] = days[1].split('-').map(Number);
	await expect(card.getByTestId('ticket-session')).toContainText(
		`${String(month)}月${String(day)}日`
	);
	await expect(card.getByTestId('ticket-session')).toContainText('08:30');
	// The organizer may still let B in, flagged for review.
	await expect(card.getByRole('button', { name: '仍然签到（标记待核查）' })).toBeVisible();
	await card.screenshot({ path: join(SHOTS, 'scanner-390-wrong-day-verdict.png') });
	await expect(page.getByTestId('pending-uploads')).toContainText('已全部上传');

	await page.getByLabel('票码或票的链接').fill(ticketA.secret);
	await page.getByRole('button', { name: '核验' }).click();
	await expect(card).toHaveAttribute('data-kind', 'checked_in');
	await expect(counter).toContainText('1 / 1');
	await page.screenshot({ path: join(SHOTS, 'scanner-390-wrong-day.png'), fullPage: true });
	await context.close();
});

test('R18 online, an unknown typed ticket reads as refused (never uploaded); a percent-encoded link is a ticket', async () => {
	test.setTimeout(90_000);
	const encoded = venue.tickets[6];
	if (!encoded) throw new Error('tickets missing');
	const { context, page } = await phone();
	await signIn(page, OFFICE);
	await openScanner(page, venue);
	const card = page.getByTestId('verdict');
	const type = async (code: string): Promise<void> => {
		// Enter, as a keyboard-wedge scanner ends a code (the tab bar may cover the button).
		await page.getByLabel('票码或票的链接').fill(code);
		await page.getByLabel('票码或票的链接').press('Enter');
	};

	// A well-formed ticket neither the roster nor the server knows: the server is asked.
	await type('BBBBBBBBBBBBBBBBBBBBBBBB');
	await expect(card).toHaveAttribute('data-kind', 'unknown', { timeout: 15_000 });
	await expect(card).toHaveAttribute('data-checking', 'false');
	await expect(card).toContainText('无效票');
	await expect(card.getByTestId('verdict-saved')).toHaveText('服务器已核对');
	const row = page.getByTestId('recent-scans').getByRole('listitem').filter({ hasText: '未知票' });
	await expect(row).toContainText('无效票');
	await expect(row).not.toContainText('已上传');

	// What some QR generators and chat apps make of https://host/t/<secret>.
	await type(encodeURIComponent(`${origin}/t/${encoded.secret}`));
	await expect(card).toHaveAttribute('data-kind', 'checked_in');
	await expect(card).toContainText(encoded.name);
	await expect(card.getByTestId('verdict-saved')).toHaveText('已上传', { timeout: 15_000 });
	await context.close();
});

test('screens at 320 and 390 px: list, manual search, staff panel, conflicts inbox', async () => {
	test.setTimeout(90_000);
	for (const width of [320, 390]) {
		const { context, page } = await phone(width);
		await signIn(page, OFFICE);
		await page.goto('/scan');
		await expect(page.getByRole('heading', { level: 1, name: '签到' })).toBeVisible();
		await expect(page.getByRole('link', { name: new RegExp(venue.title) })).toBeVisible();
		await page.screenshot({ path: join(SHOTS, `scan-list-${String(width)}.png`), fullPage: true });

		await openScanner(page, venue);
		const [first] = venue.tickets;
		if (!first) throw new Error('tickets missing');
		await page.getByText('按姓名签到').click();
		await page.getByLabel('姓名、工号或手机尾号').fill(first.name);
		await expect(page.getByText(first.name).first()).toBeVisible();
		await page.getByText('签到员', { exact: true }).click();
		await expect(page.getByText('签到员只能为本活动扫码签到')).toBeVisible();
		await page.screenshot({
			path: join(SHOTS, `scanner-${String(width)}-manual.png`),
			fullPage: true
		});

		await page.goto('/office/conflicts');
		await expect(page.getByRole('heading', { level: 1, name: '签到冲突' })).toBeVisible();
		await expect(page.getByTestId('conflicts')).toContainText('多台手机重复签到');
		await page.screenshot({ path: join(SHOTS, `conflicts-${String(width)}.png`), fullPage: true });
		await context.close();
	}
});

test('the conflict inbox confirms or reverses a flagged check-in, with the audit trail', async () => {
	const { context, page } = await phone();
	await signIn(page, OFFICE);
	await page.goto('/office/conflicts');
	const item = page
		.getByTestId('conflicts')
		.getByRole('listitem')
		.filter({ hasText: '多台手机重复签到' })
		.first();
	await item.getByLabel('备注（可选）').fill('两台手机各扫了一次');
	await item.getByRole('button', { name: /确认有效/ }).click();
	await page.getByLabel('显示已处理的').check();
	await expect(page.getByTestId('conflicts')).toContainText('已确认');
	await expect(page.getByTestId('conflicts')).toContainText('两台手机各扫了一次');
	await context.close();
});
