// 代报名 as a liaison-only account (工会小组长) uses it: the office grants the role on the staff
// screen, the liaison signs in with the emailed code, opens 代报名, pages through their group,
// finds colleagues by name and signs them up, and reads per person what happened.
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { apiClientFor, readConfig, rosterEmail, signInWithOtp } from './support.ts';

const OFFICE = 'office@union.example';
/** 武艳洁, an ordinary member of 病区护理工会小组 (U0302) in the seed, with no role of her own. */
const LIAISON_NO = '90716';
const GROUP = '病区护理工会小组';
const ACTIVITY = '三八节女职工插花活动（代报名测试）';

test.describe.configure({ mode: 'serial' });

let liaisonPage: Page;

async function newPage(browser: Browser, testInfo: TestInfo): Promise<Page> {
	const context = await browser.newContext({
		...testInfo.project.use,
		baseURL: testInfo.project.use.baseURL
	});
	return context.newPage();
}

/** A women-only activity open for sign-up, created and published by the office over the API. */
async function createWomenOnlyActivity(page: Page): Promise<void> {
	const office = await apiClientFor(await readConfig(page.request), OFFICE);
	const found = await office.rpc('list_signup_members', { query: LIAISON_NO });
	if (found.error) throw found.error;
	const ownerUnitId = (found.data as { members: { unit_id: string }[] }).members[0]?.unit_id;
	const day = 24 * 3600_000;
	const at = (offset: number) => new Date(Date.now() + offset).toISOString();
	const saved = await office.rpc('save_activity', {
		activity: {
			title: ACTIVITY,
			category: 'culture',
			owner_unit_id: ownerUnitId,
			starts_at: at(20 * day),
			ends_at: at(20 * day + 2 * 3600_000),
			place: '职工之家',
			signup_opens_at: at(-day),
			signup_closes_at: at(15 * day),
			cancel_deadline: at(18 * day),
			capacity: 30,
			eligible_genders: ['female']
		}
	});
	if (saved.error) throw saved.error;
	const published = await office.rpc('publish_activity', {
		activity_id: (saved.data as { id: string }).id
	});
	if (published.error) throw published.error;
}

/** Searches the colleague list and ticks the one with this name. */
async function choose(page: Page, name: string): Promise<void> {
	await page.getByRole('searchbox', { name: '按姓名、工号或手机尾号查找' }).fill(name);
	const people = page.getByRole('group', { name: /同事（已选/ });
	await expect(people.getByRole('checkbox')).toHaveCount(1);
	await people.getByRole('checkbox', { name: new RegExp(name) }).check();
}

test('R5 a liaison-only account granted on the staff screen pages through the group, finds a colleague and signs her up', async ({
	browser
}, testInfo) => {
	test.setTimeout(120_000);
	// The office grants 工会小组长 for U0302 on the staff screen.
	const officePage = await newPage(browser, testInfo);
	await signInWithOtp(officePage, OFFICE, '/office/staff');
	await officePage.getByRole('textbox', { name: '工号' }).fill(LIAISON_NO);
	await officePage.getByRole('combobox', { name: '角色' }).selectOption({ label: '工会小组长' });
	await officePage.getByRole('combobox', { name: '工会小组' }).fill('U0302');
	await officePage.getByRole('button', { name: '授权', exact: true }).click();
	await expect(officePage.getByText(`已授予 ${LIAISON_NO}：工会小组长。`)).toBeVisible();
	await createWomenOnlyActivity(officePage);
	await officePage.context().close();

	// She signs in with the emailed code and opens 代报名: her group, no refusal.
	liaisonPage = await newPage(browser, testInfo);
	const page = liaisonPage;
	await signInWithOtp(page, rosterEmail(LIAISON_NO), '/office/liaison');
	await expect(page.getByRole('heading', { name: '为同事代报名' })).toBeVisible();
	await page.getByRole('combobox', { name: '活动' }).selectOption({ label: ACTIVITY });
	await expect(page.getByRole('alert')).toHaveCount(0);

	// The list says how many it shows of how many, and loads the rest on request.
	const count = page.getByText(/^显示 \d+ \/ 共 \d+ 人$/);
	await expect(count).toHaveText(/^显示 50 \/ 共 \d+ 人$/);
	const total = Number(/共 (\d+) 人/.exec((await count.textContent()) ?? '')?.[1]);
	expect(total).toBeGreaterThan(50);
	await page.getByRole('button', { name: '加载更多' }).click();
	await expect(count).toHaveText(`显示 ${String(total)} / 共 ${String(total)} 人`);
	await expect(page.getByRole('button', { name: '加载更多' })).toHaveCount(0);
	const people = page.getByRole('group', { name: /同事（已选/ });
	await expect(people.getByText(GROUP, { exact: false })).toHaveCount(total);

	// Found by name, shown with unit and 工号, signed up.
	await choose(page, '邓敏秀');
	await expect(people.getByText(`${GROUP} · 34713`)).toBeVisible();
	await page.getByRole('button', { name: '为 1 人报名' }).click();
	const results = page.getByRole('region', { name: '报名结果' });
	await expect(results.getByRole('listitem').filter({ hasText: '邓敏秀' })).toContainText('已报名');
	const mine = page.getByRole('region', { name: /已报名（\d+）/ });
	await expect(mine.getByRole('listitem').filter({ hasText: '邓敏秀' })).toContainText('已报名');
	await expect(mine.getByRole('listitem')).toHaveCount(1);

	// At 320 px nothing spills sideways.
	await page.setViewportSize({ width: 320, height: 640 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
	await page.screenshot({ path: '.data/screens/liaison-320.png', fullPage: true });
});

test('R6 signing up a man and a woman for a women-only activity says per person what happened and why', async () => {
	const page = liaisonPage;
	await choose(page, '钱洋');
	await expect(
		page.getByRole('group', { name: /同事（已选/ }).getByText(`${GROUP} · 90913`)
	).toBeVisible();
	await choose(page, '尹慧芳');
	await page.getByRole('button', { name: '为 2 人报名' }).click();
	const results = page.getByRole('region', { name: '报名结果' });
	await expect(results.getByRole('status')).toHaveText('已为 2 人提交：1 人成功，1 人未能报名。');
	await expect(results.getByRole('listitem').filter({ hasText: '钱洋' })).toContainText(
		'未能报名：该活动仅限女职工参加。'
	);
	await expect(results.getByRole('listitem').filter({ hasText: '尹慧芳' })).toContainText('已报名');
	await page.screenshot({ path: '.data/screens/liaison-results-390.png', fullPage: true });
	// In English too.
	await page.getByRole('button', { name: /English/ }).click();
	const english = page.getByRole('region', { name: 'Results' });
	await expect(english.getByRole('listitem').filter({ hasText: '钱洋' })).toContainText(
		'Not signed up: This activity is for women members only.'
	);
	await page.context().close();
});
