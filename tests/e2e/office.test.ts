// The union office, as a new office user would use it: sign in with the mailbox code, import the
// roster (UTF-8, GBK and a file full of mistakes), create and publish an activity with sessions,
// read the participation figures and export them (CSV with BOM, XLSX parsed back in Node), print
// a sign-in sheet to PDF, and an organizer of one branch who sees nothing of the others.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import type { SupabaseClient } from '@supabase/supabase-js';
import readXlsxFile from 'read-excel-file/node';
import { parseCsv } from '../../src/lib/domain/csv.ts';
import { apiClientFor, readConfig, signInWithOtp } from './support.ts';

const OFFICE = 'office@union.example';
const ORGANIZER = 'organizer@union.example';
/** The organizer's branch in the seed, and branches they must never see. */
const OWN_BRANCH = '护理分工会';
const OTHER_BRANCHES = ['内科分工会', '外科分工会', '医技分工会'];
const BOM = [0xef, 0xbb, 0xbf];

interface ExpectedLine {
	line: number;
	employee_no: string;
	expect: string;
}

test.describe.configure({ mode: 'serial' });

let officePage: Page;
let officeApi: SupabaseClient;

async function newPage(browser: Browser, testInfo: TestInfo): Promise<Page> {
	const context = await browser.newContext({
		...testInfo.project.use,
		baseURL: testInfo.project.use.baseURL,
		acceptDownloads: true
	});
	return context.newPage();
}

async function downloadBytes(page: Page, click: () => Promise<void>): Promise<Buffer> {
	const [download] = await Promise.all([page.waitForEvent('download'), click()]);
	const path = await download.path();
	return readFileSync(path);
}

/**
 * The text of a PDF as Chromium writes it. Content streams are deflated; text is shown as hex
 * glyph codes (`<81> Tj`) in the current font (`/F4 32 Tf`); each font's ToUnicode CMap maps its
 * codes (one or two bytes, per its code space) to characters. CJK glyphs often come as one Type 3
 * font per character, so the font is followed through the stream.
 */
function pdfText(pdf: Buffer): string {
	const raw = pdf.toString('latin1');
	const objects = new Map<number, { dict: string; stream: string | null }>();
	for (const match of raw.matchAll(/(\d+) 0 obj\b/g)) {
		const start = match.index + match[0].length;
		const end = raw.indexOf('endobj', start);
		const body = raw.slice(start, end);
		const streamAt = body.search(/stream\r?\n/);
		let stream: string | null = null;
		if (streamAt >= 0) {
			const dataStart = start + streamAt + (body.slice(streamAt).startsWith('stream\r\n') ? 8 : 7);
			const dataEnd = raw.lastIndexOf('endstream', end);
			const bytes = pdf.subarray(dataStart, dataEnd);
			try {
				stream = body.includes('/FlateDecode')
					? inflateSync(bytes).toString('latin1')
					: bytes.toString('latin1');
			} catch {
				stream = null;
			}
		}
		objects.set(Number(match[1]), { dict: streamAt >= 0 ? body.slice(0, streamAt) : body, stream });
	}
	interface CMap {
		bytes: number;
		map: Map<number, string>;
	}
	const utf16 = (hex: string): string =>
		String.fromCharCode(...(hex.match(/.{4}/g) ?? []).map((unit) => parseInt(unit, 16)));
	function cmapOf(stream: string): CMap {
		const map = new Map<number, string>();
		const space = /begincodespacerange\s*<([0-9A-Fa-f]+)>/.exec(stream);
		const bytes = space === null ? 2 : space[1]!.length / 2;
		for (const block of stream.match(/beginbfchar[\s\S]*?endbfchar/g) ?? []) {
			for (const [, src, dst] of block.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
				map.set(parseInt(src!, 16), utf16(dst!));
			}
		}
		for (const block of stream.match(/beginbfrange[\s\S]*?endbfrange/g) ?? []) {
			for (const [, lo, hi, dst] of block.matchAll(
				/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g
			)) {
				const first = parseInt(dst!, 16);
				for (let code = parseInt(lo!, 16); code <= parseInt(hi!, 16); code += 1) {
					map.set(code, String.fromCharCode(first + code - parseInt(lo!, 16)));
				}
			}
		}
		return { bytes, map };
	}
	// Font resource names (/F4) → their ToUnicode CMaps.
	const fonts = new Map<string, CMap>();
	for (const { dict } of objects.values()) {
		for (const [, name, ref] of dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
			const font = objects.get(Number(ref));
			const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(font?.dict ?? '');
			const cmap = toUnicode === null ? undefined : objects.get(Number(toUnicode[1]))?.stream;
			if (cmap != null) fonts.set(name!, cmapOf(cmap));
		}
	}
	let text = '';
	for (const { stream } of objects.values()) {
		if (stream === null || !/\bBT\b/.test(stream)) continue;
		let font: CMap | undefined;
		for (const token of stream.matchAll(/\/(F\d+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]+)>|\bET\b/g)) {
			if (token[1] !== undefined) font = fonts.get(token[1]);
			else if (token[2] !== undefined && font !== undefined) {
				const width = font.bytes * 2;
				for (let i = 0; i < token[2].length; i += width) {
					text += font.map.get(parseInt(token[2].slice(i, i + width), 16)) ?? '';
				}
			} else if (token[0] === 'ET') text += '\n';
		}
	}
	return text;
}

test.beforeAll(async ({ browser }, testInfo) => {
	officePage = await newPage(browser, testInfo);
	await signInWithOtp(officePage, OFFICE, '/office/reports');
	officeApi = await apiClientFor(await readConfig(officePage.request), OFFICE);
});

test.afterAll(async () => {
	await officePage.context().close();
});

test('roster import: UTF-8, GBK and a file with mistakes, each line with its outcome', async () => {
	const page = officePage;
	await page.goto('/office/roster');
	await expect(page.getByRole('heading', { level: 1, name: '名册导入' })).toBeVisible();
	const file = page.getByLabel('文件', { exact: true });

	// The file full of mistakes: every line has the outcome the fixture names.
	await file.setInputFiles('tests/fixtures/roster-bad.csv');
	const preview = page.getByTestId('import-preview');
	await expect(preview).toBeVisible({ timeout: 20_000 });
	const expected = JSON.parse(
		readFileSync('tests/fixtures/roster-bad.expected.json', 'utf8')
	) as ExpectedLine[];
	for (const line of expected) {
		const row = preview.locator(`tr[data-line="${line.line}"]`);
		const ok = line.expect.startsWith('ok') || /plain text|normalised/.test(line.expect);
		await expect(row, `line ${line.line}: ${line.expect}`).toContainText(ok ? '可导入' : '有问题');
		if (!ok) await expect(row.locator('td').last()).not.toBeEmpty();
	}
	await expect(preview.locator('tr[data-line="12"]')).toContainText('10011');
	const okCount = expected.filter((line) => /^ok|plain text|normalised/.test(line.expect)).length;
	await page.getByRole('button', { name: `导入 ${okCount} 行有效数据` }).click();
	await expect(page.getByText(`已导入 ${okCount} 行`)).toBeVisible({ timeout: 20_000 });

	// A GBK file (Excel on a Chinese Windows): read as GBK, every line valid.
	await file.setInputFiles('tests/fixtures/roster-gbk.csv');
	await expect(page.getByText(/（GBK）/)).toBeVisible({ timeout: 20_000 });
	await expect(page.getByTestId('import-summary')).toContainText('有问题 0 行');

	// The full roster (UTF-8 with BOM) in full mode: those missing from it are counted and warned of.
	await page.getByLabel('完整名册：文件中没有的会员标记为离会').check();
	await file.setInputFiles('supabase/seed/roster.csv');
	await expect(page.getByTestId('leaving-warning')).toContainText(/有 \d+ 名会员不在此文件中/, {
		timeout: 20_000
	});
	await expect(page.getByTestId('import-summary')).toContainText('可导入 640 行');
});

test('R16 unit import: a rename and a move are previewed with what changes, then applied', async () => {
	const page = officePage;
	await page.goto('/office/roster');
	await page.getByRole('radio', { name: '单位' }).check();
	const csv =
		'单位编码,单位名称,上级编码\nU0502,后勤保障工会小组（更名）,U05\nU0402,放射科工会小组,U02\n';
	await page.getByLabel('文件', { exact: true }).setInputFiles({
		name: 'units.csv',
		mimeType: 'text/csv',
		buffer: Buffer.from(csv, 'utf8')
	});
	const preview = page.getByTestId('import-preview');
	await expect(preview.locator('tr[data-line="2"]')).toContainText(
		'更名：后勤保障工会小组 → 后勤保障工会小组（更名）',
		{ timeout: 20_000 }
	);
	await expect(preview.locator('tr[data-line="3"]')).toContainText('上级：U04 → U02');
	await page.getByRole('button', { name: '导入 2 行有效数据' }).click();
	await expect(page.getByText('已导入 2 行')).toBeVisible({ timeout: 20_000 });
	await expect(page.getByText(/服务器/)).toHaveCount(0);
});

test('an activity with sessions is created, checked and published', async () => {
	const page = officePage;
	await page.goto('/office/activities/new');
	await expect(page.getByRole('heading', { level: 1, name: '新建活动' })).toBeVisible();
	// The form refuses what the server would refuse, with the field named.
	await page.getByRole('button', { name: '保存' }).click();
	await expect(page.getByText('请填写此项。').first()).toBeVisible();
	await page.getByLabel('活动名称').fill('=年度体检（测试）');
	await page.getByLabel('开始时间').fill('2027-05-10T08:00');
	await page.getByLabel('结束时间').fill('2027-05-14T11:00');
	await page.getByLabel('地点').fill('体检中心');
	await page.getByLabel('名额', { exact: true }).fill('200');
	await page.getByRole('button', { name: '保存' }).click();
	await expect(page.getByText('已保存。')).toBeVisible({ timeout: 15_000 });
	await expect(page).toHaveURL(/\/office\/activities\/[0-9a-f-]{36}$/);

	await page.getByRole('button', { name: '生成场次' }).click();
	await expect(page.getByText(/已生成 5 个场次/)).toBeVisible({ timeout: 15_000 });
	await page.getByRole('button', { name: '发布' }).click();
	await expect(page.getByText('活动已发布。')).toBeVisible({ timeout: 15_000 });

	// The sign-in sheet's CSV starts with the title, formula text neutralised.
	const activityUrl = page.url();
	await page.goto(`${activityUrl}/sheet`);
	await expect(page.getByRole('heading', { name: /签到表/ }).first()).toBeVisible({
		timeout: 20_000
	});
	const sheetCsv = await downloadBytes(page, () =>
		page.getByRole('button', { name: '下载 CSV' }).click()
	);
	expect([...sheetCsv.subarray(0, 3)]).toEqual(BOM);
	const firstCell = parseCsv(sheetCsv.subarray(3).toString('utf8'))[0]?.[0] ?? '';
	expect(firstCell.startsWith("'=年度体检（测试）")).toBe(true);
	await page.goto(activityUrl);
	await expect(page.getByLabel('活动名称')).toHaveValue('=年度体检（测试）', { timeout: 20_000 });

	// Lowering the capacity below the seats taken is the server's to refuse; a plain mistake the form's.
	await page.getByLabel('名额', { exact: true }).fill('0');
	await page.getByRole('button', { name: '保存' }).click();
	await expect(page.getByText('请填写正整数。')).toBeVisible();
});

test('reports: the figures on screen, CSV with BOM and XLSX with a sheet per grouping agree', async () => {
	const page = officePage;
	await page.goto('/office/reports');
	const attendances = page.locator('[data-figure="attendances"]');
	await expect(attendances).toHaveText(/^\d+$/, { timeout: 30_000 });
	const total = Number(await attendances.textContent());
	const participants = Number(await page.locator('[data-figure="participants"]').textContent());
	const rate = (await page.locator('[data-figure="participation-rate"]').textContent())!.trim();
	expect(total).toBeGreaterThan(0);

	const csv = await downloadBytes(page, () =>
		page.getByRole('button', { name: /下载 CSV（按单位）/ }).click()
	);
	expect([...csv.subarray(0, 3)]).toEqual(BOM);
	const records = parseCsv(csv.subarray(3).toString('utf8'));
	expect(records[0]?.slice(0, 3)).toEqual(['单位', '人次', '人数']);
	// The first row is the whole union, rolled up through the tree.
	expect(Number(records[1]?.[1])).toBe(total);
	expect(Number(records[1]?.[2])).toBe(participants);
	expect(records[1]?.[7]).toBe(rate);

	const xlsx = await downloadBytes(page, () =>
		page.getByRole('button', { name: /下载 Excel/ }).click()
	);
	const sheets = await readXlsxFile(xlsx);
	expect(sheets.map((sheet) => sheet.sheet)).toEqual(['按单位', '按类别', '按月份', '按活动']);
	const byUnit = sheets[0]!.data;
	expect(byUnit[0]?.slice(0, 8)).toEqual([
		'单位',
		'人次',
		'人数',
		'家属人次',
		'录取报名',
		'到场率',
		'在册人数',
		'参与率'
	]);
	expect(byUnit[1]?.[1]).toBe(total);
	expect(`${((byUnit[1]?.[7] as number) * 100).toFixed(1)}%`).toBe(rate);
	const byMonth = sheets[2]!.data.slice(1);
	expect(byMonth.reduce((sum, row) => sum + Number(row[1]), 0)).toBe(total);

	// The yearly summary paragraph, in Chinese, ready to paste.
	await page.getByRole('button', { name: '生成年度总结' }).click();
	await expect(page.getByLabel('年度总结（可粘贴到工会工作报告）')).toHaveValue(
		new RegExp(`${total}人次`),
		{ timeout: 15_000 }
	);
});

test('drill-down: the people behind the headcount, exported with formula text neutralised', async () => {
	const page = officePage;
	await page.goto('/office/reports');
	const union = page.getByRole('row').filter({ hasText: '市第一人民医院工会' }).first();
	await union.getByRole('button', { name: /在册人数/ }).click();
	await expect(page.getByRole('heading', { name: /在册人数 名单/ })).toBeVisible();
	await expect(page.getByText(/共 \d+ 行/)).toBeVisible({ timeout: 20_000 });
	const csv = await downloadBytes(page, () =>
		page.getByRole('button', { name: '下载名单 CSV' }).click()
	);
	expect([...csv.subarray(0, 3)]).toEqual(BOM);
	const text = csv.subarray(3).toString('utf8');
	const records = parseCsv(text);
	expect(records[0]).toEqual(['工号', '姓名', '单位', '人次']);
	// No cell a spreadsheet would evaluate: formula-like text starts with an apostrophe.
	for (const record of records) {
		for (const cell of record) expect(cell).not.toMatch(/^[=+\-@＝＋－＠\t\r]/);
	}
	const formulaMember = records.find((record) => record[0] === '10010');
	if (formulaMember !== undefined) expect(formulaMember[1]).toBe(`'=HYPERLINK("http://x","点我")`);
});

test('sign-in sheet: printed to PDF with the names on it', async () => {
	const page = officePage;
	const { data } = await officeApi.rpc('list_activities');
	const activities = (data ?? []) as { id: string; title: string; seats_taken: number }[];
	const busy = activities.filter((activity) => activity.seats_taken > 0).slice(0, 3);
	let names: string[] = [];
	for (const activity of busy) {
		await page.goto(`/office/activities/${activity.id}/sheet`);
		await expect(page.locator('.sheet').first()).toBeVisible({ timeout: 20_000 });
		names = (await page.locator('.sheet tbody tr td:nth-child(2)').allTextContents()).filter(
			(name) => name.trim() !== ''
		);
		if (names.length > 0) break;
	}
	expect(names.length).toBeGreaterThan(0);
	await expect(page.getByRole('columnheader', { name: '签名' }).first()).toBeVisible();
	await page.emulateMedia({ media: 'print' });
	await expect(page.getByRole('button', { name: '打印签到表' })).toBeHidden();
	const pdf = await page.pdf({ format: 'A4', printBackground: false });
	await page.emulateMedia({ media: 'screen' });
	expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
	const text = pdfText(pdf);
	for (const name of names.slice(0, 5)) expect(text).toContain(name.trim());
	expect(text).toContain('签到表');
});

test('an organizer of one branch sees only that branch, in figures and in people', async ({
	browser
}, testInfo) => {
	const page = await newPage(browser, testInfo);
	await signInWithOtp(page, ORGANIZER, '/office/reports');
	await expect(page.locator('[data-figure="attendances"]')).toHaveText(/^\d+$/, {
		timeout: 30_000
	});
	const table = page.getByRole('region', { name: '明细' });
	await expect(table.getByRole('rowheader', { name: OWN_BRANCH })).toBeVisible();
	for (const other of OTHER_BRANCHES) await expect(table.getByText(other)).toHaveCount(0);
	await expect(
		page.getByRole('navigation', { name: '管理导航' }).getByRole('link', { name: '名册' })
	).toHaveCount(0);

	// The people behind the branch's participants are all from inside the branch.
	const row = table
		.getByRole('row')
		.filter({ has: page.getByRole('rowheader', { name: OWN_BRANCH }) });
	await row.getByRole('button', { name: /的人数/ }).click();
	await expect(page.getByText(/共 \d+ 行/)).toBeVisible({ timeout: 20_000 });
	const units = await page.locator('.drill tbody td:nth-child(3)').allTextContents();
	expect(units.length).toBeGreaterThan(0);
	for (const unit of units) expect(unit).toMatch(/护理/);
	await page.context().close();
});
