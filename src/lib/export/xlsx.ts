// XLSX export for the page: the workbook is written in a worker (xlsx.worker.ts) and comes back
// as a Blob to download. Import this module dynamically, when the office exports: neither it,
// the worker nor the writer belongs in any page's initial JavaScript. Where a worker cannot start
// (no Worker, or its script refused), the same writer runs on the page instead.
import { sheetHead, type XlsxSheet } from '#lib/domain/xlsx-xml.ts';
import type { WriteOptions } from '#lib/domain/xlsx-writer.ts';
import { XLSX_MIME, type XlsxReply, type XlsxRequest } from './xlsx-protocol.ts';

export { XLSX_MIME };

/** Rows per message to the worker. */
const SLICE_ROWS = 2_000;
/** The longest the page spends copying rows before it lets other work run. */
const SLICE_MS = 10;

/** The worker did not start or died before answering: the page can do the work itself. */
class WorkerUnavailable extends Error {}

/** Lets the page handle input and paint, without the 4 ms clamp of nested timers. */
function yieldToPage(): Promise<void> {
	return new Promise((resolve) => {
		const channel = new MessageChannel();
		channel.port1.onmessage = () => {
			channel.port1.close();
			resolve();
		};
		channel.port2.postMessage(null);
	});
}

async function sendRows(
	worker: Worker,
	sheets: readonly XlsxSheet[],
	options: WriteOptions,
	stopped: () => boolean
): Promise<void> {
	const post = (message: XlsxRequest) => {
		worker.postMessage(message);
	};
	post({ kind: 'start', sheets: sheets.map(sheetHead), options });
	let sliceStart = performance.now();
	for (const [index, sheet] of sheets.entries()) {
		for (let from = 0; from < sheet.rows.length; from += SLICE_ROWS) {
			post({ kind: 'rows', sheet: index, rows: sheet.rows.slice(from, from + SLICE_ROWS) });
			if (performance.now() - sliceStart > SLICE_MS) {
				await yieldToPage();
				if (stopped()) return;
				sliceStart = performance.now();
			}
		}
	}
	post({ kind: 'end' });
}

function inWorker(sheets: readonly XlsxSheet[], options: WriteOptions): Promise<Blob> {
	let worker: Worker;
	try {
		worker = new Worker(new URL('./xlsx.worker.ts', import.meta.url), {
			type: 'module',
			name: 'xlsx-export'
		});
	} catch (error) {
		return Promise.reject(new WorkerUnavailable(String(error)));
	}
	let settled = false;
	return new Promise<Blob>((resolve, reject) => {
		worker.onmessage = (event: MessageEvent<XlsxReply>) => {
			if (event.data.ok) resolve(event.data.blob);
			else reject(new Error(event.data.message));
		};
		worker.onerror = (event) => {
			event.preventDefault();
			reject(new WorkerUnavailable(event.message || 'the XLSX worker failed to start'));
		};
		worker.onmessageerror = () => {
			reject(new Error('the XLSX worker sent an unreadable reply'));
		};
		sendRows(worker, sheets, options, () => settled).catch(reject);
	}).finally(() => {
		settled = true;
		worker.terminate();
	});
}

async function inPage(sheets: readonly XlsxSheet[], options: WriteOptions): Promise<Blob> {
	const { writeXlsx } = await import('#lib/domain/xlsx-writer.ts');
	return new Blob(writeXlsx(sheets, options), { type: XLSX_MIME });
}

/** The workbook as an .xlsx Blob, written off the main thread where the browser allows. */
export async function xlsxBlob(
	sheets: readonly XlsxSheet[],
	options: WriteOptions = {}
): Promise<Blob> {
	if (typeof Worker === 'undefined') return inPage(sheets, options);
	try {
		return await inWorker(sheets, options);
	} catch (error) {
		if (!(error instanceof WorkerUnavailable)) throw error;
		console.warn('xlsx worker unavailable; writing on the page', error);
		return inPage(sheets, options);
	}
}
