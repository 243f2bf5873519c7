// Scan-to-verdict in Chromium with the fake camera, offline: the built app's scanner reads a y4m
// video of real tickets; the time from its 'scan-decoded' mark to the following 'scan-verdict'.
import { existsSync, openSync, writeSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import {
	CHROMIUM_ARGS,
	CHROMIUM_PATH,
	ROOT,
	TMP,
	budget,
	errorText,
	median,
	ms,
	p95
} from '../lib/common.ts';
import type { Context, SectionResult } from '../lib/common.ts';
import { passwordSession, startApp } from '../lib/app.ts';
import { ticketFrameGrey } from './decode.ts';

const W = 640;
const H = 480;
const FPS = 10;

function notMeasured(reason: string): Omit<SectionResult, 'seconds'> {
	return {
		id: 'scan',
		title: 'Scan-to-verdict in Chromium (fake camera, offline)',
		status: 'not measured',
		runs: 0,
		notes: [reason],
		tables: [],
		budgets: [budget('Scan-to-verdict p95 offline', Number.NaN, 150, ms)],
		data: {}
	};
}

/** A y4m video: each ticket shown for `show` frames, then `gap` blank frames; loops in Chromium. */
function writeVideo(path: string, urls: string[], show: number, gap: number): void {
	const fd = openSync(path, 'w');
	writeSync(fd, `YUV4MPEG2 W${W} H${H} F${FPS}:1 Ip A1:1 C420jpeg\n`);
	const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
	const blank = Buffer.alloc(W * H, 120);
	urls.forEach((url, i) => {
		const luma = Buffer.from(ticketFrameGrey(url, W, H, 1000 + i));
		for (let f = 0; f < show + gap; f++) {
			writeSync(fd, 'FRAME\n');
			writeSync(fd, f < show ? luma : blank);
			writeSync(fd, chroma);
		}
	});
	closeSync(fd);
}

export async function scanSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	if (!existsSync(join(ROOT, 'src', 'routes', 'scan', '[activityId]'))) {
		return notMeasured(
			'Not measured yet: the scanner route (src/routes/scan/[activityId]) is missing.'
		);
	}
	const app = await startApp(ctx.log);
	const dir = mkdtempSync(join(TMP, 'scan-'));
	try {
		// An activity held now, run by the organizer's branch, with admitted tickets.
		const tickets = await app.standIn.backend.transaction(async (tx) => {
			const [activity] = await tx.query<{ id: string }>(
				`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at)
				select '扫码压测', 'sports', 'published', u.id, now() - interval '30 minutes', now() + interval '3 hours'
				from private.units u where u.code = 'U03' or u.id = (
					select s.unit_id from private.staff_roles s join private.members m on m.id = s.member_id
					where m.email = 'organizer@union.example' and s.role = 'organizer' and s.revoked_at is null limit 1)
				order by (u.code = 'U03') limit 1
				returning id`
			);
			if (!activity) throw new Error('no unit for the organizer');
			const rows = await tx.query<{ secret: string }>(
				`insert into private.registrations (activity_id, member_id, status, source)
				select $1::uuid, m.id, 'registered', 'self' from private.members m order by m.employee_no limit 40
				returning ticket_secret as secret`,
				[activity.id]
			);
			return { activityId: activity.id, secrets: rows.map((r) => r.secret) };
		});
		const count = ctx.quick ? 6 : 12;
		const video = join(dir, 'tickets.y4m');
		writeVideo(
			video,
			tickets.secrets.slice(0, count).map((s) => `${app.url}/t/${s}`),
			8,
			5
		);
		const profile = join(dir, 'profile');
		const context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM_PATH,
			headless: true,
			args: [
				...CHROMIUM_ARGS,
				'--use-fake-ui-for-media-stream',
				'--use-fake-device-for-media-stream',
				`--use-file-for-fake-video-capture=${video}`
			],
			permissions: ['camera']
		});
		try {
			const session = await passwordSession(app, 'organizer@union.example');
			const page = await context.newPage();
			await page.goto(`${app.url}/config.json`);
			await page.evaluate(({ key, value }) => {
				localStorage.setItem(key, value);
			}, session);
			await page.goto(`${app.url}/scan/${tickets.activityId}`);
			// The roster is downloaded when the scanner opens; then the network goes away.
			await page.waitForLoadState('networkidle', { timeout: 30_000 });
			await page.waitForTimeout(2000);
			await context.setOffline(true);
			await page.evaluate(() => {
				performance.clearMarks('scan-decoded');
				performance.clearMarks('scan-verdict');
			});
			const seconds = ((count * 13) / FPS) * (ctx.quick ? 1 : 2) + 2;
			ctx.log(`scan: watching the fake camera for ${seconds.toFixed(0)} s offline`);
			await page.waitForTimeout(seconds * 1000);
			const marks = await page.evaluate(() =>
				performance
					.getEntriesByType('mark')
					.filter((m) => m.name === 'scan-decoded' || m.name === 'scan-verdict')
					.map((m) => ({
						name: m.name,
						t: m.startTime,
						decodeMs: (m as PerformanceMark).detail as unknown
					}))
			);
			const durations: number[] = [];
			let decodedAt: number | undefined;
			for (const mark of marks) {
				// The verdict belongs to the latest decode before it (repeats of a shown ticket mark no verdict).
				if (mark.name === 'scan-decoded') decodedAt = mark.t;
				else if (decodedAt !== undefined) {
					durations.push(mark.t - decodedAt);
					decodedAt = undefined;
				}
			}
			if (durations.length === 0) {
				return {
					...notMeasured(
						`Not measured: the scanner page ran but recorded no scan-decoded → scan-verdict pair in ${seconds.toFixed(0)} s (${marks.length} marks).`
					),
					data: { marks }
				};
			}
			return {
				id: 'scan',
				title: 'Scan-to-verdict in Chromium (fake camera, offline)',
				status: 'measured',
				runs: 1,
				notes: [
					`The built app's scanner (/scan/[activityId]) as the demo organizer in headless Chromium, the camera replaced by a ${W}×${H} y4m video at ${FPS} fps showing ${count} real tickets of an activity held now (each for 0.8 s, then 0.5 s of nothing), looping. After the roster download the browser context goes offline. Time = from each 'scan-decoded' mark to the next 'scan-verdict' mark (the scanner's own performance marks); decode time itself is before 'scan-decoded'.`,
					`${durations.length} verdicts observed (repeats of a ticket included when the scanner shows them again).`
				],
				tables: [
					{
						head: ['verdicts', 'p50', 'p95', 'max'],
						rows: [
							[
								durations.length,
								ms(median(durations)),
								ms(p95(durations)),
								ms(Math.max(...durations))
							]
						]
					}
				],
				budgets: [budget('Scan-to-verdict p95 offline', p95(durations), 150, ms)],
				data: { durations }
			};
		} finally {
			await context.close();
		}
	} catch (error) {
		return notMeasured(`Not measured: ${errorText(error)}`);
	} finally {
		await app.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
