// XLSX export of 150,000 rows in the browser: write-excel-file's browser bundle in headless
// Chromium, cells built the way src/lib/domain/export-sheets.ts builds them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH, budget, median, ms, p95 } from '../lib/common.ts';
import type { Context, SectionResult } from '../lib/common.ts';

const require = createRequire(import.meta.url);
const ROWS = 150_000;

interface PageRun {
	buildMs: number;
	writeMs: number;
	totalMs: number;
	bytes: number;
	heapBefore: number;
	heapAfterData: number;
	heapAfterCells: number;
	heapAfter: number;
}

function rendererRss(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = /VmRSS:\s+(\d+) kB/.exec(status);
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

export async function xlsxSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const bundle = join(
		dirname(require.resolve('write-excel-file/package.json')),
		'bundle',
		'write-excel-file.min.js'
	);
	const version = (
		JSON.parse(readFileSync(require.resolve('write-excel-file/package.json'), 'utf8')) as {
			version: string;
		}
	).version;
	const runs = ctx.quick ? 1 : ctx.runs;
	const results: (PageRun & { peakRss: number; peakHeap: number })[] = [];
	const browser = await chromium.launch({
		executablePath: CHROMIUM_PATH,
		args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc']
	});
	try {
		for (let run = 0; run < runs; run++) {
			ctx.log(`xlsx: run ${run + 1}/${runs}`);
			// A fresh page (and renderer) per run, so one run's garbage doesn't count in the next.
			const page = await browser.newPage();
			await page.setContent('<!doctype html><title>xlsx bench</title>');
			await page.addScriptTag({ path: bundle });
			const cdp = await browser.newBrowserCDPSession();
			const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
				processInfo: { type: string; id: number }[];
			};
			const renderers = info.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
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
			const result = await page.evaluate(async (rows: number) => {
				type Cell = {
					value?: string | number;
					type?: unknown;
					format?: string;
					fontWeight?: string;
				} | null;
				const w = window as unknown as {
					gc?: () => void;
					writeXlsxFile: (sheets: unknown) => { toBlob(): Promise<Blob> };
				};
				const heap = () =>
					(performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
				w.gc?.();
				const heapBefore = heap();
				// The rows as report_drilldown hands them to the page (plain values).
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
				const heapAfterData = heap();
				const t0 = performance.now();
				const header: Cell[] = ['工号', '姓名', '单位', '活动', '日期', '家属', '补录', '人次'].map(
					(h) => ({
						value: h,
						type: String,
						fontWeight: 'bold'
					})
				);
				const sheetData: Cell[][] = [header];
				for (const r of data) {
					sheetData.push(
						r.map((v): Cell =>
							typeof v === 'number'
								? { value: v, type: Number, format: '0' }
								: typeof v === 'boolean'
									? { value: v ? '是' : '', type: String }
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
							columns: [12, 10, 16, 20, 12, 6, 6, 6].map((width) => ({ width })),
							stickyRowsCount: 1
						}
					])
					.toBlob();
				const t2 = performance.now();
				return {
					buildMs: t1 - t0,
					writeMs: t2 - t1,
					totalMs: t2 - t0,
					bytes: blob.size,
					heapBefore,
					heapAfterData,
					heapAfterCells,
					heapAfter: heap()
				};
			}, ROWS);
			state.sampling = false;
			await heapSampler;
			clearInterval(sampler);
			results.push({ ...result, peakRss, peakHeap });
			await page.close();
		}
	} finally {
		await browser.close();
	}
	const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
	const totals = results.map((r) => r.totalMs);
	return {
		id: 'xlsx',
		title: `XLSX export of ${ROWS.toLocaleString('en')} rows in the browser (Chromium)`,
		status: 'measured',
		runs,
		notes: [
			`write-excel-file ${version} (its browser bundle) in headless Chromium; 8 columns like the office's drill-down (工号, 姓名, 单位, 活动, 日期, 家属, 补录, 人次), cells made as src/lib/domain/export-sheets.ts makes them (typed, numbers with a format, a bold frozen header). Time = building the cell objects + writeXlsxFile(...).toBlob(); the rows themselves (as the RPC would deliver them) are made before the clock starts.`,
			"Peak memory: the page's JS heap sampled over CDP (Performance.getMetrics, every 25 ms when the main thread lets it answer) and the renderer process's peak resident memory sampled from /proc every 25 ms. The data rows alone occupy the heap before the export starts (shown)."
		],
		tables: [
			{
				head: [
					'run',
					'cells',
					'write (zip)',
					'total',
					'file',
					'JS heap: rows / +cells / peak seen',
					'renderer peak RSS'
				],
				rows: results.map((r, i) => [
					i + 1,
					ms(r.buildMs),
					ms(r.writeMs),
					ms(r.totalMs),
					mb(r.bytes),
					`${mb(r.heapAfterData)} / ${mb(r.heapAfterCells)} / ${mb(Math.max(r.peakHeap, r.heapAfterCells))}`,
					mb(r.peakRss)
				])
			}
		],
		budgets: [
			budget(`XLSX of ${ROWS.toLocaleString('en')} rows (median total)`, median(totals), 5000, ms)
		],
		data: { runs: results, medianMs: median(totals), p95Ms: p95(totals) }
	};
}
