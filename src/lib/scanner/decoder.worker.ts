// The QR decoder, off the main thread: zxing-wasm (WebAssembly) with QR-only options. Its .wasm
// is self-hosted: the page imports it with `?url` (so it lands among the app's hashed assets,
// which the service worker precaches: offline and on an intranet it loads from the phone) and
// hands the URL over in the first message. One frame in, one answer out.
import { prepareZXingModule, readBarcodes, type ReaderOptions } from 'zxing-wasm/reader';

function prepare(wasmUrl: string): void {
	prepareZXingModule({
		overrides: {
			locateFile: (path: string, prefix: string) =>
				path.endsWith('.wasm') ? wasmUrl : prefix + path
		},
		fireImmediately: true
	}).catch((error: unknown) => {
		postMessage({ type: 'error', message: String(error) });
	});
}

// QR only: 7–12× faster than the defaults (STACK-NOTES). One code per frame is all a door needs.
const OPTIONS: ReaderOptions = {
	formats: ['QRCode'],
	tryHarder: true,
	tryInvert: false,
	tryRotate: true,
	tryDownscale: true,
	maxNumberOfSymbols: 1
};

export type DecodeRequest =
	{ type: 'init'; wasmUrl: string } | { type: 'decode'; id: number; image: ImageData };

export interface DecodeReply {
	type: 'result';
	id: number;
	texts: string[];
	/** Time spent in zxing for this frame (ms). */
	ms: number;
}

self.onmessage = async (event: MessageEvent<DecodeRequest>) => {
	if (event.data.type === 'init') {
		prepare(event.data.wasmUrl);
		return;
	}
	const { id, image } = event.data;
	const start = performance.now();
	try {
		const results = await readBarcodes(image, OPTIONS);
		const texts = results.filter((r) => r.isValid && r.text !== '').map((r) => r.text);
		postMessage({ type: 'result', id, texts, ms: performance.now() - start } satisfies DecodeReply);
	} catch (error) {
		postMessage({ type: 'result', id, texts: [], ms: performance.now() - start });
		console.warn('decode failed', error);
	}
};
