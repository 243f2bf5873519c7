// Grabs camera frames (downscaled to at most 640 px wide: ~3 ms per decode in zxing-wasm) and
// hands them to the decoder, one in flight at a time. Every decoded text goes to `onText`; the
// caller drops repeats. Decode times are kept for the performance bench (`scanStats`).
import type { Decoder } from './decoder.ts';

const MAX_WIDTH = 640;

export interface ScanStats {
	frames: number;
	/** zxing's own time per frame (ms), the last 100. */
	decodeMs: number[];
}

/** Rolling decode statistics, also on `window.__unionScanStats` for the bench. */
export const scanStats: ScanStats = { frames: 0, decodeMs: [] };

export function startFrameLoop(
	video: HTMLVideoElement,
	decoder: Decoder,
	onText: (text: string) => void
): () => void {
	let stopped = false;
	const isStopped = (): boolean => stopped;
	const canvas = document.createElement('canvas');
	const context = canvas.getContext('2d', { willReadFrequently: true });
	if (typeof window !== 'undefined') Object.assign(window, { __unionScanStats: scanStats });

	const schedule = (): void => {
		if (stopped) return;
		if ('requestVideoFrameCallback' in video) {
			video.requestVideoFrameCallback(() => void tick());
		} else {
			requestAnimationFrame(() => void tick());
		}
	};

	async function tick(): Promise<void> {
		if (stopped) return;
		if (context === null || decoder.busy || video.readyState < 2 || video.videoWidth === 0) {
			schedule();
			return;
		}
		const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
		const width = Math.round(video.videoWidth * scale);
		const height = Math.round(video.videoHeight * scale);
		if (canvas.width !== width) canvas.width = width;
		if (canvas.height !== height) canvas.height = height;
		context.drawImage(video, 0, 0, width, height);
		const image = context.getImageData(0, 0, width, height);
		schedule();
		const { texts, ms } = await decoder.decode(image);
		if (isStopped()) return;
		scanStats.frames += 1;
		scanStats.decodeMs.push(ms);
		if (scanStats.decodeMs.length > 100) scanStats.decodeMs.shift();
		const [text] = texts;
		if (text !== undefined) {
			// Scan-to-verdict starts here; the scanner marks 'scan-verdict' when it has shown one.
			performance.mark('scan-decoded', { detail: { decodeMs: ms } });
			onText(text);
		}
	}

	schedule();
	return () => {
		stopped = true;
	};
}
