// XLSX export of 150,000 rows in the browser: the app's own writer (src/lib/domain/xlsx-writer.ts
// in the worker of src/lib/export/xlsx.ts), bundled by Vite as the app bundles it and served with
// the app's security headers, in headless Chromium. Peer in the same run: write-excel-file's
// browser bundle on the same data, when it is installed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import readXlsxFile from 'read-excel-file/node';
import { build } from 'vite';
import { createAppServer } from '../../scripts/lib/static-server.ts';
import { DEFAULT_LEVEL } from '../../src/lib/domain/xlsx-writer.ts';
import {
	CHROMIUM_ARGS,
	CHROMIUM_PATH,
	ROOT,
	TMP,
	budget,
	median,
	ms,
	p95,
	ratio
} from '../lib/common.ts';
import type { Context, SectionResult } from '../lib/common.ts';

const require = createRequire(import.meta.url);
const ROWS = 150_000;
const HEADERS = ['工号', '姓名', '单位', '活动', '日期', '家属', '补录', '人次'];
const WIDTHS = [12, 10, 16, 20, 12, 6, 6, 6];

interface PageRun {
	buildMs: number;
	writeMs: number;
	totalMs: number;
	/** The longest the page's main thread went without running a 5 ms timer during the export. */
	stallMs: number;
	bytes: number;
	heapAfterData: number;
	heapAfterCells: number;
}

type Measured = PageRun & { rssBefore: number; peakRss: number; peakHeap: number };

function rendererRss(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = /VmRSS:\s+(\d+) kB/.exec(status);
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** The bench page's script: the app's modules, bundled by Vite (the worker as its own file). */
async function bundleAppWriter(): Promise<string> {
	const dir = join(TMP, 'xlsx-page');
	mkdirSync(TMP, { recursive: true });
	const entry = join(TMP, 'xlsx-entry.ts');
	writeFileSync(
		entry,
		[
			"import { buildTable, xlsxSheets } from '#lib/domain/export-sheets.ts';",
			"import { xlsxBlob } from '#lib/export/xlsx.ts';",
			'Object.assign(window, { xlsxBench: { buildTable, xlsxSheets, xlsxBlob } });',
			''
		].join('\n')
	);
	await build({
		configFile: false,
		root: ROOT,
		base: './',
		logLevel: 'warn',
		build: {
			outDir: dir,
			emptyOutDir: true,
			rollupOptions: { input: entry, output: { entryFileNames: 'assets/entry.js' } }
		}
	});
	// Written after the build, which empties the directory.
	writeFileSync(
		join(dir, 'index.html'),
		'<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>xlsx bench</title><script type="module" src="./assets/entry.js"></script>\n'
	);
	return dir;
}

/** Samples the renderer processes' RSS and the page's JS heap while `work` runs. */
async function measure<T extends PageRun>(
	browser: Browser,
	page: Page,
	work: () => Promise<T>
): Promise<T & { rssBefore: number; peakRss: number; peakHeap: number }> {
	const cdp = await browser.newBrowserCDPSession();
	const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
		processInfo: { type: string; id: number }[];
	};
	const renderers = info.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
	await new Promise((resolve) => setTimeout(resolve, 100));
	// The largest renderer is the page's (with the worker); others are idle or spare.
	const rssBefore = Math.max(0, ...renderers.map(rendererRss));
	let peakRss = 0;
	const sampler = setInterval(() => {
		for (const pid of renderers) peakRss = Math.max(peakRss, rendererRss(pid));
	}, 25);
	const pageCdp = await page.context().newCDPSession(page);
	await pageCdp.send('Performance.enable');
	let peakHeap = 0;
	const state = { sampling: true };
	const heapSampler = (async () => {
		while (state.sampling) {
			const { metrics } = await pageCdp.send('Performance.getMetrics');
			const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
			peakHeap = Math.max(peakHeap, used);
			await new Promise((resolve) => setTimeout(resolve, 25));
		}
	})();
	try {
		const result = await work();
		return { ...result, rssBefore, peakRss, peakHeap };
	} finally {
		state.sampling = false;
		await heapSampler;
		clearInterval(sampler);
		await cdp.detach();
	}
}

/**
 * The rows as report_drilldown hands them to the page (plain values), made on the page before
 * the measurement starts; then a collection, so the renderer's memory before the export is known.
 */
function makeRows(page: Page): Promise<void> {
	return page.evaluate((rows: number) => {
		const units = Array.from({ length: 60 }, (_, i) => `第${i + 1}工会小组`);
		const data: (string | number | boolean)[][] = [];
		for (let i = 0; i < rows; i++) {
			data.push([
				`E${String(100000 + (i % 20000))}`,
				`职工${i % 20000}`,
				units[i % 60]!,
				`活动 ${i % 300}`,
				`2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
				i % 9 === 0 ? 1 : 0,
				i % 97 === 0,
				1
			]);
		}
		const w = window as unknown as { gc?: () => void; benchRows: unknown };
		w.benchRows = data;
		w.gc?.();
	}, ROWS);
}

/** The app's writer: rows → Table (buildTable) → sheets (xlsxSheets) → Blob from the worker. */
function runApp(page: Page): Promise<PageRun> {
	return page.evaluate(
		async ({ headers, widths }) => {
			type CellValue = string | number | null;
			interface Bench {
				buildTable: (
					name: string,
					columns: {
						header: string;
						kind: 'text' | 'integer';
						width: number;
						value: (row: (string | number | boolean)[]) => CellValue;
					}[],
					rows: (string | number | boolean)[][]
				) => unknown;
				xlsxSheets: (tables: unknown[]) => unknown[];
				xlsxBlob: (sheets: unknown[]) => Promise<Blob>;
			}
			const w = window as unknown as {
				gc?: () => void;
				xlsxBench: Bench;
				exported?: Blob;
				benchRows: (string | number | boolean)[][];
			};
			const heap = () =>
				(performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
			const data = w.benchRows;
			w.gc?.();
			const heapAfterData = heap();
			let stallMs = 0;
			let last = performance.now();
			const ticker = setInterval(() => {
				const now = performance.now();
				stallMs = Math.max(stallMs, now - last);
				last = now;
			}, 5);
			const t0 = performance.now();
			last = t0;
			const columns = headers.map((header, index) => ({
				header,
				kind: index === 5 || index === 7 ? ('integer' as const) : ('text' as const),
				width: widths[index]!,
				value:
					index === 6
						? (row: (string | number | boolean)[]) => (row[6] === true ? '是' : null)
						: (row: (string | number | boolean)[]) => row[index] as CellValue
			}));
			const sheets = w.xlsxBench.xlsxSheets([w.xlsxBench.buildTable('签到明细', columns, data)]);
			const t1 = performance.now();
			const heapAfterCells = heap();
			const blob = await w.xlsxBench.xlsxBlob(sheets);
			const t2 = performance.now();
			stallMs = Math.max(stallMs, t2 - last);
			clearInterval(ticker);
			w.exported = blob;
			return {
				buildMs: t1 - t0,
				writeMs: t2 - t1,
				totalMs: t2 - t0,
				stallMs,
				bytes: blob.size,
				heapAfterData,
				heapAfterCells
			};
		},
		{ headers: HEADERS, widths: WIDTHS }
	);
}

/** The file the last export made, as base64 (read after the measurement). */
function exportedFile(page: Page): Promise<string> {
	return page.evaluate(async () => {
		const blob = (window as unknown as { exported: Blob }).exported;
		const bytes = new Uint8Array(await blob.arrayBuffer());
		let binary = '';
		for (let i = 0; i < bytes.length; i += 0x8000) {
			binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
		}
		return btoa(binary);
	});
}

/** write-excel-file on the same rows, cells made as export-sheets.ts made them for it. */
function runPeer(page: Page): Promise<PageRun> {
	return page.evaluate(
		async ({ headers, widths }) => {
			type Cell = {
				value?: string | number;
				type?: unknown;
				format?: string;
				fontWeight?: string;
			} | null;
			const w = window as unknown as {
				gc?: () => void;
				writeXlsxFile: (sheets: unknown) => { toBlob(): Promise<Blob> };
				benchRows: (string | number | boolean)[][];
			};
			const heap = () =>
				(performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
			const data = w.benchRows;
			w.gc?.();
			const heapAfterData = heap();
			let stallMs = 0;
			let last = performance.now();
			const ticker = setInterval(() => {
				const now = performance.now();
				stallMs = Math.max(stallMs, now - last);
				last = now;
			}, 5);
			const t0 = performance.now();
			last = t0;
			const header: Cell[] = headers.map((h) => ({ value: h, type: String, fontWeight: 'bold' }));
			const sheetData: Cell[][] = [header];
			for (const r of data) {
				sheetData.push(
					r.map((v): Cell =>
						typeof v === 'number'
							? { value: v, type: Number, format: '0' }
							: typeof v === 'boolean'
								? v
									? { value: '是', type: String }
									: null
								: { value: v, type: String }
					)
				);
			}
			const t1 = performance.now();
			const heapAfterCells = heap();
			const blob = await w
				.writeXlsxFile([
					{
						sheet: '签到明细',
						data: sheetData,
						columns: widths.map((width) => ({ width })),
						stickyRowsCount: 1
					}
				])
				.toBlob();
			const t2 = performance.now();
			stallMs = Math.max(stallMs, t2 - last);
			clearInterval(ticker);
			return {
				buildMs: t1 - t0,
				writeMs: t2 - t1,
				totalMs: t2 - t0,
				stallMs,
				bytes: blob.size,
				heapAfterData,
				heapAfterCells
			};
		},
		{ headers: HEADERS, widths: WIDTHS }
	);
}

function peerBundle(): { path: string; version: string } | null {
	try {
		const pkg = require.resolve('write-excel-file/package.json');
		const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
		return { path: join(dirname(pkg), 'bundle', 'write-excel-file.min.js'), version };
	} catch {
		return null;
	}
}

export async function xlsxSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const runs = ctx.quick ? 1 : ctx.runs;
	const fflateVersion = (
		JSON.parse(readFileSync(require.resolve('fflate/package.json'), 'utf8')) as { version: string }
	).version;
	ctx.log('xlsx: bundling the app writer with Vite');
	const dir = await bundleAppWriter();
	const server = createAppServer({
		root: dir,
		fallback: 'index.html',
		apiOrigins: [],
		config: () => ({})
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const peer = peerBundle();
	const app: Measured[] = [];
	const peers: Measured[] = [];
	let readBack = '';
	const browser = await chromium.launch({
		executablePath: CHROMIUM_PATH,
		args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc']
	});
	try {
		for (let run = 0; run < runs; run++) {
			ctx.log(`xlsx: run ${run + 1}/${runs} (app writer)`);
			// A fresh page (and renderer) per run, so one run's garbage doesn't count in the next.
			const page = await browser.newPage();
			const errors: string[] = [];
			page.on('console', (message) => {
				if (message.type() === 'warning' || message.type() === 'error') {
					errors.push(message.text());
				}
			});
			await page.goto(`${origin}/index.html`);
			await page.waitForFunction(() => 'xlsxBench' in window);
			await makeRows(page);
			app.push(await measure(browser, page, () => runApp(page)));
			if (errors.length > 0) throw new Error(`the bench page complained: ${errors.join('; ')}`);
			const file = run === 0 ? await exportedFile(page) : undefined;
			await page.close();
			if (file !== undefined) {
				// The file opens: read back in Node, every row there.
				const sheets = await readXlsxFile(Buffer.from(file, 'base64'));
				const rows = sheets[0]?.data ?? [];
				if (rows.length !== ROWS + 1 || rows[0]?.[0] !== '工号' || rows[1]?.[5] !== 1) {
					throw new Error(`the exported file reads back wrong: ${rows.length} rows`);
				}
				readBack = `read back with read-excel-file: ${rows.length.toLocaleString('en')} rows including the header`;
			}
			if (peer !== null) {
				ctx.log(`xlsx: run ${run + 1}/${runs} (write-excel-file)`);
				const peerPage = await browser.newPage();
				await peerPage.setContent('<!doctype html><title>xlsx bench</title>');
				await peerPage.addScriptTag({ path: peer.path });
				await makeRows(peerPage);
				peers.push(await measure(browser, peerPage, () => runPeer(peerPage)));
				await peerPage.close();
			}
		}
	} finally {
		await browser.close();
		server.close();
	}
	const mb = (b: number) => `${(b / 1048576).toFixed(b < 10 * 1048576 ? 1 : 0)} MB`;
	const row = (who: string, r: Measured, i: number) => [
		i + 1,
		who,
		ms(r.buildMs),
		ms(r.writeMs),
		ms(r.totalMs),
		ms(r.stallMs),
		mb(r.bytes),
		`${mb(r.heapAfterData)} / ${mb(r.heapAfterCells)} / ${mb(Math.max(r.peakHeap, r.heapAfterCells))}`,
		`${mb(r.rssBefore)} → ${mb(r.peakRss)}`
	];
	const totals = app.map((r) => r.totalMs);
	const peerRatios = peers.map((r, i) => r.totalMs / app[i]!.totalMs);
	const rssRatios = peers.map((r, i) => r.peakRss / app[i]!.peakRss);
	return {
		id: 'xlsx',
		title: `XLSX export of ${ROWS.toLocaleString('en')} rows in the browser (Chromium)`,
		status: 'measured',
		runs,
		notes: [
			`The app's writer: src/lib/domain/xlsx-writer.ts (sheet XML written as strings, inline strings, deflate level ${DEFAULT_LEVEL} through fflate ${fflateVersion}'s streaming Zip; rows sent to the worker in slices and written as they arrive) in the worker of src/lib/export/xlsx.ts, bundled by Vite and served with the app's security headers (CSP), in headless Chromium. 8 columns like the office's drill-down (工号, 姓名, 单位, 活动, 日期, 家属, 补录, 人次), typed, numbers with a format, a bold frozen header. Time = buildTable + xlsxSheets (export-sheets.ts) on the page + xlsxBlob (worker start, copying the rows to it, writing, the Blob back); the rows themselves (as the RPC would deliver them) are made before the clock starts. ${readBack}.`,
			peer === null
				? 'write-excel-file is not installed: no peer measurement.'
				: `Peer in the same run: write-excel-file ${peer.version} (its browser bundle, on the page's main thread) on the same rows, cells made as export-sheets.ts made them for it. Ratio (median of per-run ratios): write-excel-file ÷ app writer = ${ratio(median(peerRatios))} in time, ${ratio(median(rssRatios))} in renderer peak RSS.`,
			"Main-thread stall: the longest gap between runs of a 5 ms timer on the page during the export, building the table included (the page can't answer input for that long). Peak memory: the page's JS heap sampled over CDP (Performance.getMetrics, every 25 ms when the main thread lets it answer; a worker's heap is not in it) and the renderer process's peak resident memory sampled from /proc every 25 ms (the worker runs in the renderer, so its memory is in it). The data rows alone occupy the heap before the export starts (shown)."
		],
		tables: [
			{
				head: [
					'run',
					'writer',
					'cells',
					'write',
					'total',
					'main-thread stall',
					'file',
					'JS heap: rows / +cells / peak seen',
					'renderer RSS: before → peak'
				],
				rows: [
					...app.map((r, i) => row('app (worker)', r, i)),
					...peers.map((r, i) => row('write-excel-file', r, i))
				]
			}
		],
		budgets: [
			budget(`XLSX of ${ROWS.toLocaleString('en')} rows (median total)`, median(totals), 5000, ms)
		],
		data: {
			runs: app,
			medianMs: median(totals),
			p95Ms: p95(totals),
			peer: peer === null ? null : { version: peer.version, runs: peers },
			peerRatioTime: median(peerRatios),
			peerRatioRss: median(rssRatios)
		}
	};
}
