// The main thread's side of the decoder worker: one frame in flight at a time, so a slow phone
// drops frames instead of queueing them, and the UI stays smooth.
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';
import type { DecodeReply, DecodeRequest } from './decoder.worker.ts';

export interface Decoder {
	/** Decodes one frame; resolves with the texts found (empty when none) and the worker's ms. */
	decode(image: ImageData): Promise<{ texts: string[]; ms: number }>;
	readonly busy: boolean;
	close(): void;
}

/**
 * Fetches the decoder's .wasm (about 1 MB) while the phone is online, so the service worker keeps
 * it for offline scanning. Only scanner pages call this: employees never download it.
 */
export async function warmDecoder(): Promise<void> {
	try {
		await fetch(wasmUrl);
	} catch {
		// Offline already: the worker reports a missing decoder when the camera starts.
	}
}

export function createDecoder(onError?: (message: string) => void): Decoder {
	const worker = new Worker(new URL('./decoder.worker.ts', import.meta.url), { type: 'module' });
	worker.postMessage({ type: 'init', wasmUrl } satisfies DecodeRequest);
	let nextId = 1;
	let pending: { id: number; resolve: (r: { texts: string[]; ms: number }) => void } | null = null;
	worker.onmessage = (event: MessageEvent<DecodeReply | { type: 'error'; message: string }>) => {
		const data = event.data;
		if (data.type === 'error') {
			onError?.(data.message);
			return;
		}
		if (pending !== null && pending.id === data.id) {
			const { resolve } = pending;
			pending = null;
			resolve({ texts: data.texts, ms: data.ms });
		}
	};
	worker.onerror = (event) => {
		onError?.(event.message);
	};
	return {
		get busy() {
			return pending !== null;
		},
		decode(image) {
			return new Promise((resolve) => {
				const id = nextId++;
				pending = { id, resolve };
				worker.postMessage({ type: 'decode', id, image } satisfies DecodeRequest, [
					image.data.buffer
				]);
			});
		},
		close() {
			worker.terminate();
			pending?.resolve({ texts: [], ms: 0 });
			pending = null;
		}
	};
}
