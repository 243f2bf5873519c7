import { describe, expect, it } from 'vitest';
import { QUIET_ZONE, qrDrawing, ticketUrl } from './qr.ts';

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

	it('is deterministic', () => {
		expect(qrDrawing('x')).toEqual(qrDrawing('x'));
	});
});
