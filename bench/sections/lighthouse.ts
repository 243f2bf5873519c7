// Lighthouse (mobile, its default simulated throttling) on the activity list, a ticket and the
// scanner, signed in by a session put into localStorage before Lighthouse loads the page; the
// JavaScript each route loads, as transferred and gzipped.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { freePort } from '../../scripts/lib/net.ts';
import {
	CHROMIUM_ARGS,
	CHROMIUM_PATH,
	ROOT,
	TMP,
	budget,
	errorText,
	kb,
	median
} from '../lib/common.ts';
import type { Budget, Context, SectionResult, Table } from '../lib/common.ts';
import { passwordSession, startApp } from '../lib/app.ts';
import type { RunningApp } from '../lib/app.ts';
import { initialScripts } from '../lib/bundle.ts';
import type { InitialScripts } from '../lib/bundle.ts';

interface PageSpec {
	name: string;
	/** The SvelteKit route id, for the route's initial JavaScript (bench/lib/bundle.ts). */
	routeId: string;
	employeePage: boolean;
	account: string;
	path: (app: RunningApp) => Promise<string>;
}

const PAGES: PageSpec[] = [
	{
		name: 'activity list (/)',
		routeId: '/',
		employeePage: true,
		account: 'employee@union.example',
		path: async () => '/'
	},
	{
		name: 'ticket (/tickets/[id])',
		routeId: '/tickets/[registrationId]',
		employeePage: true,
		account: 'employee@union.example',
		path: async (app) => {
			// The demo employee's admitted registration, or one made for the bench on an open activity.
			const rows = await app.standIn.backend.transaction(async (tx) => {
				const found = await tx.query<{ id: string }>(
					`select r.id from private.registrations r join private.members m on m.id = r.member_id
					where m.email = 'employee@union.example' and r.status = 'registered'
					order by r.created_at limit 1`
				);
				if (found.length > 0) return found;
				return tx.query<{ id: string }>(
					`insert into private.registrations (activity_id, member_id, status, source)
					select a.id, m.id, 'registered', 'self'
					from private.activities a, private.members m
					where m.email = 'employee@union.example' and a.status = 'published' and a.starts_at > now()
						and (a.capacity is null or a.capacity > a.seats_taken)
						and not exists (select 1 from private.registrations x where x.activity_id = a.id and x.member_id = m.id)
					order by a.starts_at limit 1
					returning id`
				);
			});
			if (!rows[0]) throw new Error('the demo employee has no admitted registration');
			return `/tickets/${rows[0].id}`;
		}
	},
	{
		name: 'activity detail (/activities/[id])',
		routeId: '/activities/[id]',
		employeePage: true,
		account: 'employee@union.example',
		path: async (app) => {
			// An activity the demo employee may sign up for: the page shows the sign-up form.
			const rows = await app.standIn.backend.transaction((tx) =>
				tx.query<{ id: string }>(
					`select a.id from private.activities a
					where a.status = 'published' and a.starts_at > now()
						and (a.signup_closes_at is null or a.signup_closes_at > now())
						and a.eligible_genders is null
					order by a.starts_at limit 1`
				)
			);
			const id = rows[0]?.id;
			if (id === undefined) throw new Error('no open activity in the demo union');
			return `/activities/${id}`;
		}
	},
	{
		name: 'scanner (/scan)',
		routeId: '/scan',
		employeePage: false,
		account: 'organizer@union.example',
		path: async () => '/scan'
	}
];

interface Run {
	performance: number;
	accessibility: number;
	bestPractices: number;
	jsTransfer: number;
	jsGzip: number;
	jsFiles: number;
	/** The metrics the performance score is made of (ms; CLS unitless). */
	metrics: { fcp: number; lcp: number; tbt: number; si: number; cls: number };
	failedAudits: string[];
}

function gzipSizeOf(url: string, appUrl: string): number {
	if (!url.startsWith(appUrl)) return 0;
	try {
		return gzipSync(readFileSync(join(ROOT, 'build', new URL(url).pathname)), { level: 9 }).length;
	} catch {
		return 0;
	}
}

async function measure(app: RunningApp, spec: PageSpec, path: string): Promise<Run> {
	const port = await freePort();
	const profile = mkdtempSync(join(TMP, 'lh-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM_PATH,
		headless: true,
		args: [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`]
	});
	try {
		// The session, as supabase-js keeps it, set on the app's origin from a page that loads no
		// app code (so no service worker is installed and Lighthouse's load is a first visit).
		const session = await passwordSession(app, spec.account);
		const page = await context.newPage();
		await page.goto(`${app.url}/config.json`);
		await page.evaluate(({ key, value }) => {
			localStorage.setItem(key, value);
		}, session);
		await page.close();
		const result = await lighthouse(`${app.url}${path}`, {
			port,
			output: 'json',
			logLevel: 'error',
			onlyCategories: ['performance', 'accessibility', 'best-practices'],
			disableStorageReset: true,
			formFactor: 'mobile'
		});
		const lhr = result?.lhr;
		if (!lhr) throw new Error('Lighthouse returned no result');
		// A run Lighthouse could not score (its runtimeError, e.g. NO_LCP) is reported, not averaged.
		if (lhr.runtimeError !== undefined || lhr.categories.performance?.score == null) {
			throw new Error(
				`Lighthouse could not score the load: ${lhr.runtimeError?.code ?? 'no performance score'} ${lhr.runtimeError?.message ?? ''}`.trim()
			);
		}
		const score = (id: string) => Math.round((lhr.categories[id]?.score ?? Number.NaN) * 100);
		const requests = ((lhr.audits['network-requests']?.details as { items?: unknown[] } | undefined)
			?.items ?? []) as { url: string; resourceType?: string; transferSize?: number }[];
		const scripts = requests.filter((r) => r.resourceType === 'Script');
		const failedAudits = Object.values(lhr.audits)
			.filter(
				(a) =>
					a.score !== null &&
					a.score < 0.9 &&
					a.scoreDisplayMode !== 'informative' &&
					a.scoreDisplayMode !== 'manual' &&
					a.scoreDisplayMode !== 'notApplicable'
			)
			.map((a) => a.id);
		return {
			performance: score('performance'),
			accessibility: score('accessibility'),
			bestPractices: score('best-practices'),
			jsTransfer: scripts.reduce((n, r) => n + (r.transferSize ?? 0), 0),
			jsGzip: scripts.reduce((n, r) => n + gzipSizeOf(r.url, app.url), 0),
			jsFiles: scripts.length,
			metrics: {
				fcp: lhr.audits['first-contentful-paint']?.numericValue ?? Number.NaN,
				lcp: lhr.audits['largest-contentful-paint']?.numericValue ?? Number.NaN,
				tbt: lhr.audits['total-blocking-time']?.numericValue ?? Number.NaN,
				si: lhr.audits['speed-index']?.numericValue ?? Number.NaN,
				cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? Number.NaN
			},
			failedAudits
		};
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}

export async function lighthouseSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	// Five runs: total blocking time swings by hundreds of ms between runs on a shared machine.
	const runs = ctx.quick ? 1 : Math.max(ctx.runs, 5);
	const app = await startApp(ctx.log);
	const table: Table = {
		head: [
			'page',
			'performance',
			'accessibility',
			'best practices',
			'FCP / LCP / TBT / SI',
			'initial JS (gz)',
			'all JS of the load: transferred',
			'… gzipped',
			'JS files',
			'audits below 0.9'
		],
		rows: []
	};
	const budgets: Budget[] = [];
	const notes: string[] = [
		`Lighthouse ${(JSON.parse(readFileSync(join(ROOT, 'node_modules', 'lighthouse', 'package.json'), 'utf8')) as { version: string }).version}, mobile form factor with its default simulated throttling (slow 4G, 4× CPU), categories performance, accessibility and best practices; medians of the runs. The built app is served by scripts/lib/static-server.ts (as \`npm start\` serves it: CSP, caching, the precompressed twins) with a stand-in on the seeded demo union.`,
		"Signed in: a session from the stand-in's password grant is put into localStorage (supabase-js's key) on the app's origin before Lighthouse loads the page; the page is loaded for the first time in that profile (no service worker, empty cache).",
		"Initial JS: what the route needs before it can render, from the build's Vite manifest (bench/lib/bundle.ts): SvelteKit's entry, the root layout, the route's layouts and page and their static imports, each file gzipped (level 9). The budget 'initial JavaScript ≤ 100 KB gzipped on employee pages' is checked against this (100 KB = 102,400 bytes). Chunks imported with import() (the offline engine, English words, the QR encoder and its worker, the answer checks, staff words) are not in it; the activity page's sign-up form is (it ships with the page).",
		"What the first load does (README, 'How the first page gets on screen'): the HTML paints the header bar and starts /config.json, the profile (whoami) and the page's first read before any module has loaded (src/lib/data/early.ts); a route table in the HTML preloads the page's own modules and stylesheets alongside the start modules (src/lib/server/route-preloads.ts). After the header bar paints, the boot script starts the date formatter (ICU) and matches the fonts of each text size and weight in slices of about 8 ms, while the modules download. The page renders in a task after the shell's first mount, the list's first six cards before the rest, and the ticket's QR is encoded in a worker. auth-js, the offline engine, the answer checks and the member's registrations wait until the page's first read is answered and the tab is idle.",
		"Why single runs still differ (see the runs in report.json): total blocking time counts the main thread's long tasks between the first paint and interactivity, multiplied by 4 in the simulation, and on this shared two-core machine a task's observed length includes waiting for the CPU, which Chromium, Lighthouse and the app's servers share. One cause is specific to Linux and was traced: the first layout of each size and weight of Chinese text asks the browser process to match the font through fontconfig (1–5 ms each, 40 ms for a weight's first font file), which the boot script's warm-up now does before the page renders. The list page, with the most to render, varies most.",
		"All JS of the load: every script in Lighthouse's network records, as transferred (the static server sends the build's precompressed .br/.gz twins) and the same files gzipped (level 9); it includes the chunks fetched while or after the page renders."
	];
	const data: Record<string, Run[]> = {};
	const initialJs: Record<string, InitialScripts> = {};
	try {
		for (const spec of PAGES) {
			let path: string;
			try {
				path = await spec.path(app);
			} catch (error) {
				notes.push(`${spec.name}: not measured: ${errorText(error)}`);
				continue;
			}
			const list: Run[] = [];
			for (let run = 0; run < runs; run++) {
				ctx.log(`lighthouse: ${spec.name} run ${run + 1}/${runs}`);
				try {
					list.push(await measure(app, spec, path));
				} catch (error) {
					notes.push(`${spec.name} run ${run + 1}: ${errorText(error)}`);
				}
			}
			if (list.length === 0) continue;
			data[spec.name] = list;
			const perf = median(list.map((r) => r.performance));
			const a11y = median(list.map((r) => r.accessibility));
			const gz = median(list.map((r) => r.jsGzip));
			const initial = initialScripts(spec.routeId);
			initialJs[spec.name] = initial;
			table.rows.push([
				spec.name,
				perf,
				a11y,
				median(list.map((r) => r.bestPractices)),
				(['fcp', 'lcp', 'tbt', 'si'] as const)
					.map((m) => `${String(Math.round(median(list.map((r) => r.metrics[m]))))} ms`)
					.join(' / '),
				`${kb(initial.gzip)} (${String(initial.files.length)} files)`,
				kb(median(list.map((r) => r.jsTransfer))),
				kb(gz),
				median(list.map((r) => r.jsFiles)),
				[...new Set(list.flatMap((r) => r.failedAudits))].join(', ') || '–'
			]);
			budgets.push(
				budget(`Lighthouse performance, ${spec.name}`, perf, 95, (v) => String(v), {
					atLeast: true
				})
			);
			budgets.push(
				budget(`Lighthouse accessibility, ${spec.name}`, a11y, 100, (v) => String(v), {
					atLeast: true
				})
			);
			if (spec.employeePage)
				budgets.push(budget(`Initial JS gzipped, ${spec.name}`, initial.gzip, 100 * 1024, kb));
		}
	} finally {
		await app.close();
	}
	return {
		id: 'lighthouse',
		title: 'Lighthouse (mobile) and JavaScript per route',
		status:
			table.rows.length === PAGES.length
				? 'measured'
				: table.rows.length > 0
					? 'partial'
					: 'failed',
		runs,
		notes,
		tables: [table],
		budgets,
		data: { runs: data, initialJs }
	};
}
