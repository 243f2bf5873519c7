/// <reference lib="webworker" />
// Encodes ticket QRs off the page's main thread (src/lib/ticket/qr-client.ts asks).
import { qrDrawing } from '#lib/domain/qr.ts';
import type { QrRequest, QrResponse } from './qr-client.ts';

addEventListener('message', (event: MessageEvent<QrRequest>) => {
	const { id, text } = event.data;
	let response: QrResponse;
	try {
		response = { id, drawing: qrDrawing(text) };
	} catch (error) {
		response = { id, error: error instanceof Error ? error.message : String(error) };
	}
	postMessage(response);
});
