import { create } from 'qrcode';

// The ticket's QR as SVG path data: drawn by the page itself (no innerHTML), crisp at any size.

export interface QrDrawing {
	/** Side of the square in modules, quiet zone included: the SVG viewBox is 0 0 size size. */
	size: number;
	/** One path of 1×1 squares, one per dark module. */
	path: string;
}

/** Modules of white border around the code; the standard asks for 4. */
export const QUIET_ZONE = 4;

/**
 * Error correction M (15 %): a phone screen in sunlight has glare, not torn paper, and M keeps the
 * modules large for a URL of this length.
 */
export function qrDrawing(text: string): QrDrawing {
	// One byte-mode segment: a URL with lower-case letters is byte mode anyway, and naming it
	// spares the library's search for the best mix of modes, half the work on a cold page.
	const { modules } = create([{ data: new TextEncoder().encode(text), mode: 'byte' }], {
		errorCorrectionLevel: 'M'
	});
	const parts: string[] = [];
	for (let row = 0; row < modules.size; row += 1) {
		let col = 0;
		while (col < modules.size) {
			if (modules.get(row, col)) {
				// Merge a run of dark modules on the row into one rectangle.
				let end = col;
				while (end + 1 < modules.size && modules.get(row, end + 1)) end += 1;
				parts.push(
					`M${col + QUIET_ZONE} ${row + QUIET_ZONE}h${end - col + 1}v1h-${end - col + 1}z`
				);
				col = end + 1;
			} else {
				col += 1;
			}
		}
	}
	return { size: modules.size + 2 * QUIET_ZONE, path: parts.join('') };
}
