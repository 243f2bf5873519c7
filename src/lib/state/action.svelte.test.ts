import { describe, expect, it } from 'vitest';
import { AppError } from '#lib/data/errors.ts';
import { Action } from './action.svelte.ts';

describe('Action', () => {
	it('is busy while it runs and not after', async () => {
		const action = new Action();
		let release!: () => void;
		const running = action.run(() => new Promise<void>((resolve) => (release = resolve)));
		expect(action.busy).toBe(true);
		release();
		expect(await running).toBe(true);
		expect(action.busy).toBe(false);
		expect(action.error).toBeNull();
	});

	it('keeps the failure as an AppError and is no longer busy', async () => {
		const action = new Action();
		const done = await action.run(() => Promise.reject(new AppError('forbidden', 'no')));
		expect(done).toBe(false);
		expect(action.busy).toBe(false);
		expect(action.error?.kind).toBe('forbidden');
	});

	it('turns a network failure into an AppError too', async () => {
		const action = new Action();
		await action.run(() => Promise.reject(new TypeError('Failed to fetch')));
		expect(action.error?.kind).toBe('network');
	});

	it('runs a second tap once: not while the first still runs', async () => {
		const action = new Action();
		let runs = 0;
		let release!: () => void;
		const first = action.run(() => {
			runs++;
			return new Promise<void>((resolve) => (release = resolve));
		});
		expect(await action.run(() => Promise.resolve(runs++))).toBe(false);
		release();
		await first;
		expect(runs).toBe(1);
	});

	it('clears the last failure when the next action starts', async () => {
		const action = new Action();
		await action.run(() => Promise.reject(new Error('first')));
		expect(action.error).not.toBeNull();
		await action.run(() => Promise.resolve());
		expect(action.error).toBeNull();
	});
});
