import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as IdleModule from './idle.ts';

// Each test takes a fresh copy of the module: "the first page was shown" is once per page load.
async function freshIdle(): Promise<typeof IdleModule> {
	vi.resetModules();
	return import('./idle.ts');
}

describe('afterFirstPage', () => {
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it('waits for the first page, then for an idle moment', async () => {
		const idle = await freshIdle();
		const work = vi.fn();
		idle.afterFirstPage(work, 100);
		await vi.advanceTimersByTimeAsync(1000);
		expect(work).not.toHaveBeenCalled();
		idle.markFirstPageShown();
		await vi.advanceTimersByTimeAsync(0);
		expect(work).not.toHaveBeenCalled();
		await vi.advanceTimersByTimeAsync(100);
		expect(work).toHaveBeenCalledOnce();
	});

	it('runs work asked for after the first page without waiting for another', async () => {
		const idle = await freshIdle();
		idle.markFirstPageShown();
		idle.markFirstPageShown();
		const work = vi.fn();
		idle.afterFirstPage(work, 50);
		await vi.advanceTimersByTimeAsync(50);
		expect(work).toHaveBeenCalledOnce();
	});

	it('does not wait forever for a page that never reads (sign-in)', async () => {
		const idle = await freshIdle();
		const work = vi.fn();
		idle.afterFirstPage(work, 100);
		await vi.advanceTimersByTimeAsync(idle.FIRST_PAGE_WAIT_MS - 1);
		expect(work).not.toHaveBeenCalled();
		await vi.advanceTimersByTimeAsync(101);
		expect(work).toHaveBeenCalledOnce();
	});
});
