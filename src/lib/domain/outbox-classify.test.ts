import { describe, expect, it } from 'vitest';
import { classify, type TransportOutcome } from './outbox-classify.ts';

const NOW = Date.UTC(2027, 2, 1, 8, 0, 0);

function answer(
	status: number,
	contentType: string | null,
	error: { code?: string; message?: string } | null
): TransportOutcome {
	return { type: 'response', status, data: null, error, contentType, retryAfter: null };
}

describe('classify', () => {
	it('R8 a 4xx that is not a PostgREST JSON error (HTML, plain text, no code) is transient', () => {
		const middleboxes = [
			answer(400, 'text/html', { code: '', message: '<html>Bad Request (proxy)</html>' }),
			answer(400, 'text/html; charset=utf-8', { message: '<html>captive portal</html>' }),
			answer(422, 'text/plain', { code: '', message: 'Unprocessable' }),
			answer(400, null, { code: '', message: '' }),
			// JSON, but not PostgREST's: a gateway or WAF error with no code.
			answer(400, 'application/json', { code: '', message: 'request blocked' }),
			// A code on a body that was not JSON cannot be PostgREST's either.
			answer(409, 'text/html', { code: 'PGRST100', message: '<html></html>' })
		];
		for (const outcome of middleboxes) {
			expect(classify(outcome, NOW), JSON.stringify(outcome)).toMatchObject({
				kind: 'transient',
				error: 'http'
			});
		}
		// A 413 from a proxy halves the batch and retries; it never blocks the action.
		expect(classify(answer(413, 'text/html', { code: '', message: '<html>' }), NOW)).toMatchObject({
			kind: 'transient',
			shrink: true
		});
	});

	it('R8 a parsed, repeatable PostgREST error (JSON with a code) still isolates its action', () => {
		expect(
			classify(
				answer(400, 'application/json; charset=utf-8', { code: 'PGRST100', message: 'bad' }),
				NOW
			)
		).toMatchObject({ kind: 'bug', status: 400, code: 'PGRST100' });
		expect(
			classify(answer(413, 'application/json', { code: 'PT413', message: 'too large' }), NOW)
		).toMatchObject({ kind: 'split', code: 'PT413' });
		expect(
			classify(answer(400, 'application/json', { code: '22023', message: 'bad value' }), NOW)
		).toMatchObject({ kind: 'split', code: '22023' });
	});
});
