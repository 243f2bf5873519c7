import { describe, expect, it } from 'vitest';
import { qrDrawing } from '#lib/domain/qr.ts';
import { drawQr } from './qr-client.ts';

describe('drawQr', () => {
	it('draws on the calling thread where there are no workers, the same drawing', async () => {
		expect(typeof Worker).toBe('undefined');
		const text = 'https://union.example/t/q2xkJ8mP0aZ1bC3dE4fG5hI6';
		expect(await drawQr(text)).toEqual(qrDrawing(text));
	});
});
