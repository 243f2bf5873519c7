// QR decoding per frame: zxing-wasm (what the scanner uses) against the decoders a PWA would pick
// instead, @zxing/library (inside html5-qrcode) and jsQR, on the same generated camera frames.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import QRCode from 'qrcode';
import jsQR from 'jsqr';
import zxingLibraryModule from '@zxing/library';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import type { ReaderOptions } from 'zxing-wasm/reader';
import { budget, median, ms, p95, pct, ratio } from '../lib/common.ts';
import type { Context, SectionResult, Table } from '../lib/common.ts';

const require = createRequire(import.meta.url);

/** The reader options a scanner should use: QR only, one symbol, no rotation/inversion passes. */
export const QR_READER_OPTIONS: ReaderOptions = {
	formats: ['QRCode'],
	tryHarder: true,
	tryRotate: false,
	tryInvert: false,
	tryDownscale: true,
	maxNumberOfSymbols: 1
};

interface Frame {
	width: number;
	height: number;
	rgba: Uint8ClampedArray;
	expected: string;
}

// ---------------------------------------------------------------------------------------------
// A tiny seeded random source and image ops on 8-bit grey images
// ---------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function gaussian(random: () => number): number {
	const u = Math.max(random(), 1e-12);
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface Grey {
	width: number;
	height: number;
	data: Float32Array;
}

/** A camera-like scene: a lit background with a phone screen showing the ticket's QR. */
function scene(text: string, width: number, height: number, random: () => number): Grey {
	const modules = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
	const quiet = 4;
	const side = modules.size + 2 * quiet;
	const target = Math.round(height * 0.55);
	const scale = Math.max(2, Math.floor(target / side));
	const px = side * scale;
	const x0 = Math.floor((width - px) / 2 + (random() - 0.5) * (width - px) * 0.5);
	const y0 = Math.floor((height - px) / 2 + (random() - 0.5) * (height - px) * 0.5);
	const data = new Float32Array(width * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			// A soft gradient with a darker "hand" region around the screen.
			data[y * width + x] = 90 + 60 * (x / width) + 30 * (y / height);
		}
	}
	// The phone's bezel and its white screen.
	const bezel = Math.round(scale * 3);
	for (let y = y0 - bezel; y < y0 + px + bezel; y++) {
		for (let x = x0 - bezel; x < x0 + px + bezel; x++) {
			if (x < 0 || y < 0 || x >= width || y >= height) continue;
			const inside = x >= x0 && x < x0 + px && y >= y0 && y < y0 + px;
			data[y * width + x] = inside ? 235 : 25;
		}
	}
	for (let row = 0; row < modules.size; row++) {
		for (let col = 0; col < modules.size; col++) {
			if (!modules.get(row, col)) continue;
			for (let dy = 0; dy < scale; dy++) {
				const y = y0 + (row + quiet) * scale + dy;
				for (let dx = 0; dx < scale; dx++) {
					const x = x0 + (col + quiet) * scale + dx;
					if (x >= 0 && y >= 0 && x < width && y < height) data[y * width + x] = 30;
				}
			}
		}
	}
	return { width, height, data };
}

function addNoise(image: Grey, sigma: number, random: () => number): Grey {
	const data = new Float32Array(image.data.length);
	for (let i = 0; i < data.length; i++) data[i] = image.data[i]! + sigma * gaussian(random);
	return { ...image, data };
}

/** Box blur of radius r, applied twice in each direction (close to a Gaussian). */
function blur(image: Grey, radius: number): Grey {
	const { width, height } = image;
	let src = image.data;
	for (let pass = 0; pass < 2; pass++) {
		const horizontal = new Float32Array(src.length);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				let sum = 0;
				let n = 0;
				for (let k = -radius; k <= radius; k++) {
					const xx = x + k;
					if (xx >= 0 && xx < width) {
						sum += src[y * width + xx]!;
						n++;
					}
				}
				horizontal[y * width + x] = sum / n;
			}
		}
		const vertical = new Float32Array(src.length);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				let sum = 0;
				let n = 0;
				for (let k = -radius; k <= radius; k++) {
					const yy = y + k;
					if (yy >= 0 && yy < height) {
						sum += horizontal[yy * width + x]!;
						n++;
					}
				}
				vertical[y * width + x] = sum / n;
			}
		}
		src = vertical;
	}
	return { ...image, data: src };
}

type Point = [number, number];

/** The homography mapping the unit square's corners to the quad (x0..x3 clockwise from top left). */
function squareToQuad(q: Point[]): number[] {
	const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q as [Point, Point, Point, Point];
	const dx3 = x0 - x1 + x2 - x3;
	const dy3 = y0 - y1 + y2 - y3;
	if (dx3 === 0 && dy3 === 0) return [x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0, 0];
	const dx1 = x1 - x2;
	const dx2 = x3 - x2;
	const dy1 = y1 - y2;
	const dy2 = y3 - y2;
	const den = dx1 * dy2 - dx2 * dy1;
	const g = (dx3 * dy2 - dx2 * dy3) / den;
	const h = (dx1 * dy3 - dx3 * dy1) / den;
	return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h];
}

/**
 * Tilts the picture: the frame's content seen on a plane turned about the vertical axis and
 * slightly rotated. Output pixel (u,v) samples the source where the inverse mapping sends it.
 */
function perspective(image: Grey, strength: number, random: () => number): Grey {
	const { width, height } = image;
	const s = strength;
	const rot = (random() - 0.5) * 0.35;
	// Where the source's corners land in the output: the right edge shrinks (turned away).
	const corners: Point[] = [
		[0, 0],
		[width, height * s * 0.5],
		[width, height * (1 - s * 0.5)],
		[0, height]
	].map(([x, y]) => {
		const cx = x! - width / 2;
		const cy = y! - height / 2;
		return [
			width / 2 + cx * Math.cos(rot) - cy * Math.sin(rot) * 0.9,
			height / 2 + cx * Math.sin(rot) * 0.9 + cy * Math.cos(rot)
		];
	});
	// Forward: unit square → output quad; we need output → source, i.e. inverse of it.
	const [a, b, c, d, e, f, g, h] = squareToQuad(corners) as [
		number,
		number,
		number,
		number,
		number,
		number,
		number,
		number
	];
	// Inverse of the 3×3 [[a b c][d e f][g h 1]].
	const A = e - f * h;
	const B = c * h - b;
	const C = b * f - c * e;
	const D = f * g - d;
	const E = a - c * g;
	const F = c * d - a * f;
	const G = d * h - e * g;
	const H = b * g - a * h;
	const I = a * e - b * d;
	const data = new Float32Array(width * height).fill(60);
	for (let v = 0; v < height; v++) {
		for (let u = 0; u < width; u++) {
			const w = G * u + H * v + I;
			const sx = ((A * u + B * v + C) / w) * width;
			const sy = ((D * u + E * v + F) / w) * height;
			if (sx < 0 || sy < 0 || sx >= width - 1 || sy >= height - 1) continue;
			const x = Math.floor(sx);
			const y = Math.floor(sy);
			const fx = sx - x;
			const fy = sy - y;
			const i = y * width + x;
			const src = image.data;
			data[v * width + u] =
				(src[i]! * (1 - fx) + src[i + 1]! * fx) * (1 - fy) +
				(src[i + width]! * (1 - fx) + src[i + width + 1]! * fx) * fy;
		}
	}
	return { ...image, data };
}

function toRgba(image: Grey): Uint8ClampedArray {
	const out = new Uint8ClampedArray(image.width * image.height * 4);
	for (let i = 0; i < image.data.length; i++) {
		const v = image.data[i]!;
		// A slight colour cast, as a camera gives.
		out[i * 4] = v + 4;
		out[i * 4 + 1] = v;
		out[i * 4 + 2] = v - 6;
		out[i * 4 + 3] = 255;
	}
	return out;
}

export const VARIANTS = [
	'clean',
	'noise σ20',
	'noise σ45',
	'blur',
	'perspective',
	'persp.+blur+noise'
] as const;
export type Variant = (typeof VARIANTS)[number];

function makeFrame(
	text: string,
	width: number,
	height: number,
	variant: Variant,
	seed: number
): Frame {
	const random = rng(seed);
	let image = scene(text, width, height, random);
	const blurRadius = width >= 1280 ? 3 : 2;
	switch (variant) {
		case 'clean':
			image = addNoise(image, 3, random);
			break;
		case 'noise σ20':
			image = addNoise(image, 20, random);
			break;
		case 'noise σ45':
			image = addNoise(image, 45, random);
			break;
		case 'blur':
			image = addNoise(blur(image, blurRadius), 3, random);
			break;
		case 'perspective':
			image = addNoise(perspective(image, 0.35, random), 3, random);
			break;
		case 'persp.+blur+noise':
			image = addNoise(blur(perspective(image, 0.3, random), blurRadius - 1), 15, random);
			break;
	}
	return { width, height, rgba: toRgba(image), expected: text };
}

function ticketText(random: () => number): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	let secret = '';
	for (let i = 0; i < 24; i++) secret += alphabet.charAt(Math.floor(random() * 64));
	return `https://union.example/t/${secret}`;
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

type Decoder = { name: string; decode(frame: Frame): Promise<string | null> };

async function zxingWasm(): Promise<Decoder> {
	const wasmPath = require.resolve('zxing-wasm/reader/zxing_reader.wasm');
	const bytes = readFileSync(wasmPath);
	await prepareZXingModule({
		overrides: {
			wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
		},
		fireImmediately: true
	});
	return {
		name: 'zxing-wasm',
		async decode(frame) {
			const results = await readBarcodes(
				{ data: frame.rgba, width: frame.width, height: frame.height, colorSpace: 'srgb' },
				QR_READER_OPTIONS
			);
			return results.find((r) => r.isValid)?.text ?? null;
		}
	};
}

function zxingLibrary(): Decoder {
	// CommonJS: named imports don't resolve under Node's ESM loader.
	const { BinaryBitmap, DecodeHintType, HybridBinarizer, QRCodeReader, RGBLuminanceSource } =
		zxingLibraryModule;
	// html5-qrcode's decoder is a MultiFormatReader limited to QR codes, which hands each frame to
	// QRCodeReader; called directly here because MultiFormatReader 0.23 logs a stack trace per
	// miss under Node (its instanceof check fails), which would time console output.
	const hints = new Map<zxingLibraryModule.DecodeHintType, unknown>([
		[DecodeHintType.TRY_HARDER, true]
	]);
	const reader = new QRCodeReader();
	return {
		name: '@zxing/library',
		async decode(frame) {
			const { width, height, rgba } = frame;
			const luminance = new Uint8ClampedArray(width * height);
			for (let i = 0; i < luminance.length; i++) {
				luminance[i] = (306 * rgba[i * 4]! + 601 * rgba[i * 4 + 1]! + 117 * rgba[i * 4 + 2]!) >> 10;
			}
			try {
				const bitmap = new BinaryBitmap(
					new HybridBinarizer(new RGBLuminanceSource(luminance, width, height))
				);
				return reader.decode(bitmap, hints).getText();
			} catch {
				return null;
			} finally {
				reader.reset();
			}
		}
	};
}

function jsqr(): Decoder {
	return {
		name: 'jsQR',
		async decode(frame) {
			const result = jsQR(frame.rgba, frame.width, frame.height, {
				inversionAttempts: 'dontInvert'
			});
			return result?.data ?? null;
		}
	};
}

// ---------------------------------------------------------------------------------------------
// The section
// ---------------------------------------------------------------------------------------------

const SIZES: [number, number][] = [
	[640, 480],
	[1280, 720]
];

export async function decodeSection(ctx: Context): Promise<Omit<SectionResult, 'seconds'>> {
	const framesPerVariant = ctx.quick ? 3 : 4;
	// jsQR takes up to ~1.5 s on a noisy 1280×720 frame: two runs keep the section near 2 minutes.
	const runs = ctx.quick ? 1 : Math.min(ctx.runs, 2);
	const decoders = [await zxingWasm(), zxingLibrary(), jsqr()];
	const random = rng(2027);
	// times[decoder][size][variant] = per-frame times over all runs; ok counts likewise.
	type Cell = { times: number[]; ok: number; total: number; runMedians: number[] };
	const cells = new Map<string, Cell>();
	const key = (d: string, s: string, v: string) => `${d}|${s}|${v}`;
	const sizeLabel = (w: number, h: number) => `${w}×${h}`;

	for (const [width, height] of SIZES) {
		const label = sizeLabel(width, height);
		ctx.log(`decode: generating ${VARIANTS.length * framesPerVariant} frames at ${label}`);
		const frames: { variant: Variant; frame: Frame }[] = [];
		for (const variant of VARIANTS) {
			for (let i = 0; i < framesPerVariant; i++) {
				frames.push({
					variant,
					frame: makeFrame(ticketText(random), width, height, variant, Math.floor(random() * 1e9))
				});
			}
		}
		// Warm-up: one decode each, not timed.
		for (const decoder of decoders) await decoder.decode(frames[0]!.frame);
		for (let run = 0; run < runs; run++) {
			const perRun = new Map<string, number[]>();
			for (const { variant, frame } of frames) {
				// Let signals and timers in between frames (the decoders resolve synchronously).
				await new Promise((resolve) => setImmediate(resolve));
				// Decoders interleaved frame by frame, so machine noise hits them alike.
				for (const decoder of decoders) {
					const started = performance.now();
					const text = await decoder.decode(frame);
					const elapsed = performance.now() - started;
					const k = key(decoder.name, label, variant);
					const cell = cells.get(k) ?? { times: [], ok: 0, total: 0, runMedians: [] };
					cells.set(k, cell);
					cell.times.push(elapsed);
					cell.total++;
					if (text === frame.expected) cell.ok++;
					const all = key(decoder.name, label, '*');
					perRun.set(all, [...(perRun.get(all) ?? []), elapsed]);
				}
			}
			for (const [k, times] of perRun) {
				const cell = cells.get(k) ?? { times: [], ok: 0, total: 0, runMedians: [] };
				cells.set(k, cell);
				cell.runMedians.push(median(times));
			}
		}
		for (const decoder of decoders) {
			const all = cells.get(key(decoder.name, label, '*'))!;
			for (const variant of VARIANTS) {
				const cell = cells.get(key(decoder.name, label, variant))!;
				all.times.push(...cell.times);
				all.ok += cell.ok;
				all.total += cell.total;
			}
		}
	}

	const tables: Table[] = [];
	const data: Record<string, unknown> = {
		framesPerVariant,
		runs,
		readerOptions: QR_READER_OPTIONS
	};
	const summary: Table = {
		caption:
			'All variants together: time per frame and success rate; ratio = peer ÷ zxing-wasm, median of the per-run ratios',
		head: ['frame', 'decoder', 'median', 'p95', 'success', 'ratio (median time)'],
		rows: []
	};
	for (const [width, height] of SIZES) {
		const label = sizeLabel(width, height);
		const base = cells.get(key('zxing-wasm', label, '*'))!;
		for (const decoder of decoders) {
			const cell = cells.get(key(decoder.name, label, '*'))!;
			const ratios = cell.runMedians.map((m, i) => m / base.runMedians[i]!);
			summary.rows.push([
				label,
				decoder.name,
				ms(median(cell.times)),
				ms(p95(cell.times)),
				pct(cell.ok / cell.total),
				decoder.name === 'zxing-wasm' ? '1×' : ratio(median(ratios))
			]);
			data[`${decoder.name} ${label}`] = {
				medianMs: median(cell.times),
				p95Ms: p95(cell.times),
				success: cell.ok / cell.total,
				frames: cell.total,
				ratioToZxingWasm: median(ratios)
			};
		}
		const perVariant: Table = {
			caption: `${label}: median ms per frame (success rate) per variant, ${framesPerVariant} frames × ${runs} runs each`,
			head: ['variant', ...decoders.map((d) => d.name)],
			rows: []
		};
		for (const variant of VARIANTS) {
			perVariant.rows.push([
				variant,
				...decoders.map((d) => {
					const cell = cells.get(key(d.name, label, variant))!;
					return `${ms(median(cell.times))} (${pct(cell.ok / cell.total)})`;
				})
			]);
			for (const d of decoders) {
				const cell = cells.get(key(d.name, label, variant))!;
				data[`${d.name} ${label} ${variant}`] = {
					medianMs: median(cell.times),
					p95Ms: p95(cell.times),
					success: cell.ok / cell.total
				};
			}
		}
		tables.push(perVariant);
	}
	tables.unshift(summary);
	const at640 = cells.get(key('zxing-wasm', '640×480', '*'))!;
	return {
		id: 'decode',
		title: 'QR decoding per frame (Node, same frames for every decoder)',
		status: 'measured',
		runs,
		notes: [
			'Frames: a phone screen showing a ticket QR (error correction M, ~55 % of the frame height) on a lit background, as RGBA; variants add Gaussian noise, a double box blur (radius 2 at 640×480, 3 at 1280×720), a perspective tilt (35 %) with a small rotation, and all three together. Generated by the bench with a fixed seed.',
			`zxing-wasm with QR-only reader options ${JSON.stringify(QR_READER_OPTIONS)}; @zxing/library's QRCodeReader as html5-qrcode's QR-only MultiFormatReader calls it (HybridBinarizer, TRY_HARDER; greyscale conversion timed); jsQR with inversionAttempts "dontInvert". Success = the decoded text equals the encoded ticket URL.`,
			'Measured in Node (V8, the same engine as Chromium); in the browser add the canvas readback (getImageData) per frame.'
		],
		tables,
		budgets: [
			budget(
				'Decode per 640×480 frame (zxing-wasm, median over all variants)',
				median(at640.times),
				10,
				ms
			),
			budget(
				'Decode per 640×480 frame (zxing-wasm, p95 over all variants)',
				p95(at640.times),
				10,
				ms,
				{
					note: 'the budget names no percentile; p95 shown for the tail'
				}
			)
		],
		data
	};
}

/** A clean camera frame (8-bit grey) showing `text` as a QR, for the fake camera video. */
export function ticketFrameGrey(
	text: string,
	width: number,
	height: number,
	seed: number
): Uint8Array {
	const random = rng(seed);
	const image = addNoise(scene(text, width, height, random), 2, random);
	const out = new Uint8Array(width * height);
	for (let i = 0; i < out.length; i++)
		out[i] = Math.max(0, Math.min(255, Math.round(image.data[i]!)));
	return out;
}
