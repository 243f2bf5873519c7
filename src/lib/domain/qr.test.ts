import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { QUIET_ZONE, qrDrawing, type QrDrawing } from './qr.ts';
import { ticketUrl } from './ticket-url.ts';

/** The drawing as the screen shows it: RGBA pixels, `scale` pixels a module. */
function rasterize(
	drawing: QrDrawing,
	scale = 4
): { data: Uint8ClampedArray<ArrayBuffer>; side: number } {
	const side = drawing.size * scale;
	const data = new Uint8ClampedArray(new ArrayBuffer(side * side * 4)).fill(255);
	for (const [, x, y, width] of drawing.path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
		for (let row = Number(y) * scale; row < (Number(y) + 1) * scale; row += 1) {
			for (let col = Number(x) * scale; col < (Number(x) + Number(width)) * scale; col += 1) {
				data.fill(0, (row * side + col) * 4, (row * side + col) * 4 + 3);
			}
		}
	}
	return { data, side };
}

async function decode(drawing: QrDrawing): Promise<string | null> {
	const wasm = readFileSync(
		createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm')
	);
	await prepareZXingModule({
		overrides: {
			wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)
		},
		fireImmediately: true
	});
	const { data, side } = rasterize(drawing);
	const results = await readBarcodes(
		{ data, width: side, height: side, colorSpace: 'srgb' },
		{ formats: ['QRCode'], tryHarder: false }
	);
	return results.find((result) => result.isValid)?.text ?? null;
}

describe('ticketUrl', () => {
	it('points at /t/<secret> on the app origin', () => {
		expect(ticketUrl('https://union.example/', 'abc-_123')).toBe(
			'https://union.example/t/abc-_123'
		);
	});
});

describe('qrDrawing', () => {
	it('draws a square with a quiet zone and finder patterns in the corners', () => {
		const drawing = qrDrawing('https://union.example/t/q2xkJ8mP0aZ1bC3dE4fG5hI6');
		// Version 3 is 29 modules for a URL of this length at level M.
		expect(drawing.size).toBeGreaterThanOrEqual(21 + 2 * QUIET_ZONE);
		// The top-left finder pattern starts with a run of 7 dark modules at the quiet zone's edge.
		expect(drawing.path.startsWith(`M${QUIET_ZONE} ${QUIET_ZONE}h7v1h-7z`)).toBe(true);
		expect(drawing.path).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
	});

	it('reads back as the ticket URL, byte for byte', async () => {
		const url = ticketUrl('https://union.example', 'q2xkJ8mP0aZ1bC3dE4fG5hI6-_Zz09');
		expect(await decode(qrDrawing(url))).toBe(url);
	});

	it('is deterministic', () => {
		expect(qrDrawing('x')).toEqual(qrDrawing('x'));
	});
});
