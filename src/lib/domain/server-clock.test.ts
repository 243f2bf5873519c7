import { describe, expect, it } from 'vitest';
import { serverTimeNow } from './server-clock.ts';

describe('serverTimeNow', () => {
	const anchor = { serverTime: new Date('2027-03-01T02:00:00Z'), monotonicAt: 1000 };

	it('adds the elapsed monotonic time to the server reading', () => {
		expect(serverTimeNow(anchor, 61_000).toISOString()).toBe('2027-03-01T02:01:00.000Z');
	});

	it('never goes back before the reading', () => {
		expect(serverTimeNow(anchor, 0).toISOString()).toBe('2027-03-01T02:00:00.000Z');
	});
});
