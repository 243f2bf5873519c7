import type { QrDrawing } from '#lib/domain/qr.ts';

/** What the page sends the QR worker, and what it answers. */
export interface QrRequest {
	id: number;
	text: string;
}
export type QrResponse = { id: number; drawing: QrDrawing } | { id: number; error: string };

let worker: Worker | null = null;
let workerBroken = false;
let nextId = 0;
const waiting = new Map<
	number,
	{ resolve: (drawing: QrDrawing | Promise<QrDrawing>) => void; text: string }
>();

/** The same drawing on the page's thread: no workers, or the worker's file could not load. */
async function drawHere(text: string): Promise<QrDrawing> {
	const { qrDrawing } = await import('#lib/domain/qr.ts');
	return qrDrawing(text);
}

function giveUpOnWorker(): void {
	workerBroken = true;
	worker?.terminate();
	worker = null;
	// Whatever was asked of it is drawn here instead.
	for (const [id, { resolve, text }] of waiting) {
		waiting.delete(id);
		resolve(drawHere(text));
	}
}

function startWorker(): Worker | null {
	if (workerBroken || typeof Worker === 'undefined') return null;
	if (worker !== null) return worker;
	try {
		worker = new Worker(new URL('./qr.worker.ts', import.meta.url), {
			type: 'module',
			name: 'ticket-qr'
		});
	} catch {
		giveUpOnWorker();
		return null;
	}
	worker.addEventListener('message', (event: MessageEvent<QrResponse>) => {
		const entry = waiting.get(event.data.id);
		if (entry === undefined) return;
		waiting.delete(event.data.id);
		if ('drawing' in event.data) entry.resolve(event.data.drawing);
		else entry.resolve(drawHere(entry.text));
	});
	worker.addEventListener('error', (event) => {
		// Its file did not load (or it crashed): reported here, drawn on the page instead.
		event.preventDefault();
		giveUpOnWorker();
	});
	return worker;
}

/** Starts the worker (its file loads while the ticket is read); drawQr would start it too. */
export function prepareQrWorker(): void {
	startWorker();
}

/**
 * A ticket's QR, encoded in a worker: on a cold page encoding takes tens of milliseconds, which
 * would otherwise hold up the page's first taps. Falls back to the page's own thread.
 */
export function drawQr(text: string): Promise<QrDrawing> {
	const target = startWorker();
	if (target === null) return drawHere(text);
	const id = (nextId += 1);
	return new Promise<QrDrawing>((resolve) => {
		waiting.set(id, { resolve, text });
		target.postMessage({ id, text } satisfies QrRequest);
	});
}
