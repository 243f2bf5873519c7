// The page side of the XLSX export and its worker, in Node: a stand-in Worker hands the page's
// messages (structured-cloned, as a browser would) to the real worker module and its replies back.
import readXlsxFile from 'read-excel-file/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { XlsxSheet } from '#lib/domain/xlsx-xml.ts';
import type { XlsxReply, XlsxRequest } from './xlsx-protocol.ts';

interface WorkerScope {
	onmessage: ((event: { data: XlsxRequest }) => void) | null;
	postMessage(message: XlsxReply): void;
}

/** The page's end of the worker that is running: where the worker's replies go. */
interface PageEnd {
	onmessage: ((event: { data: XlsxReply }) => void) | null;
}

const scope: WorkerScope = {
	onmessage: null,
	postMessage(message) {
		queueMicrotask(() => workers.at(-1)?.onmessage?.({ data: message }));
	}
};
const workers: PageEnd[] = [];
const received: XlsxRequest['kind'][] = [];

class FakeWorker implements PageEnd {
	onmessage: ((event: { data: XlsxReply }) => void) | null = null;
	onerror: ((event: { message: string; preventDefault(): void }) => void) | null = null;
	onmessageerror: (() => void) | null = null;
	terminated = false;

	constructor(url: URL, options: { type: string }) {
		expect(url.pathname).toMatch(/\/xlsx\.worker\.ts$/);
		expect(options.type).toBe('module');
		workers.push(this);
	}

	postMessage(message: XlsxRequest): void {
		const copy = structuredClone(message);
		received.push(copy.kind);
		queueMicrotask(() => scope.onmessage?.({ data: copy }));
	}

	terminate(): void {
		this.terminated = true;
	}
}

const rows = Array.from({ length: 4_321 }, (_, i) => [`第${i}行`, i, i % 3 === 0 ? null : 0.5]);
const sheets: XlsxSheet[] = [
	{
		name: '签到明细',
		header: ['名称', '序号', '比例'],
		columns: [{ width: 20 }, { width: 8, format: '0' }, { width: 8, format: '0.0%' }],
		rows
	},
	{ name: '按类别', header: ['类别'], columns: [], rows: [['=1+1'], ['文体']] }
];

async function readBack(blob: Blob) {
	expect(blob.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
	return readXlsxFile(Buffer.from(await blob.arrayBuffer()));
}

afterEach(() => {
	workers.length = 0;
	received.length = 0;
	vi.unstubAllGlobals();
});

describe('xlsxBlob', () => {
	it('sends the rows to the worker in slices and gets the workbook back', async () => {
		vi.stubGlobal('self', scope);
		await import('./xlsx.worker.ts');
		vi.stubGlobal('Worker', FakeWorker);
		const { xlsxBlob } = await import('./xlsx.ts');
		const read = await readBack(await xlsxBlob(sheets));
		expect(received[0]).toBe('start');
		expect(received.filter((kind) => kind === 'rows').length).toBeGreaterThan(2);
		expect(received.at(-1)).toBe('end');
		expect((workers[0] as FakeWorker).terminated).toBe(true);
		expect(read.map((sheet) => sheet.sheet)).toEqual(['签到明细', '按类别']);
		expect(read[0]?.data).toHaveLength(4_322);
		expect(read[0]?.data[4_321]).toEqual(['第4320行', 4320, null]);
		expect(read[1]?.data).toEqual([['类别'], ["'=1+1"], ['文体']]);
	});

	it('passes on an error from the worker', async () => {
		vi.stubGlobal('self', scope);
		await import('./xlsx.worker.ts');
		// A message out of order: the worker answers with an error, not a file.
		const replies: XlsxReply[] = [];
		workers.push({ onmessage: (event) => replies.push(event.data) });
		scope.onmessage?.({ data: { kind: 'rows', sheet: 0, rows: [] } });
		await Promise.resolve();
		expect(replies).toEqual([{ ok: false, message: 'rows before the start of a workbook' }]);

		vi.stubGlobal(
			'Worker',
			class extends FakeWorker {
				override postMessage(message: XlsxRequest): void {
					if (message.kind !== 'end') return;
					queueMicrotask(() => this.onmessage?.({ data: { ok: false, message: 'out of memory' } }));
				}
			}
		);
		const { xlsxBlob } = await import('./xlsx.ts');
		await expect(xlsxBlob(sheets)).rejects.toThrow('out of memory');
	});

	it('writes on the page where a worker cannot start', async () => {
		vi.stubGlobal('Worker', function refused() {
			throw new Error('refused by CSP');
		});
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
		const { xlsxBlob } = await import('./xlsx.ts');
		const read = await readBack(await xlsxBlob(sheets));
		expect(read[0]?.data).toHaveLength(4_322);
		expect(warn).toHaveBeenCalledOnce();
	});
});
