import { describe, expect, it } from 'vitest';
import { FirstRead } from './first-read.ts';

describe('FirstRead', () => {
	it('hands the early answer to the first read only', async () => {
		const first = new FirstRead(Promise.resolve(['list']));
		await expect(first.take()).resolves.toEqual(['list']);
		expect(first.take()).toBeNull();
	});

	it('keeps it for the thing it was asked about', async () => {
		const first = new FirstRead(Promise.resolve('a1 detail'), 'a1');
		expect(first.take('a2')).toBeNull();
		await expect(first.take('a1')).resolves.toBe('a1 detail');
		expect(first.take('a1')).toBeNull();
	});

	it('leaves no unhandled rejection when nobody takes a failed answer, and reports it to whoever does', async () => {
		const unhandled: unknown[] = [];
		const listener = (reason: unknown) => unhandled.push(reason);
		process.on('unhandledRejection', listener);
		const failed = new FirstRead(Promise.reject(new Error('offline')));
		await new Promise((resolve) => setTimeout(resolve, 10));
		process.off('unhandledRejection', listener);
		expect(unhandled).toEqual([]);
		await expect(failed.take()).rejects.toThrow('offline');
	});
});
