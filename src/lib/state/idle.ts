/**
 * Runs `work` once the page is idle (at the latest after `timeoutMs`): background reads and
 * warm-ups that must not compete with the first screen for the network or the main thread.
 */
export function whenIdle(work: () => void, timeoutMs = 2000): void {
	if (typeof requestIdleCallback === 'function') {
		requestIdleCallback(work, { timeout: timeoutMs });
	} else {
		setTimeout(work, Math.min(timeoutMs, 500));
	}
}

/**
 * Ends the current task so the browser can paint and answer input before the next piece of
 * work: what renders after it becomes its own task instead of lengthening one long one.
 */
export function yieldToMain(): Promise<void> {
	const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
	if (typeof scheduler?.yield === 'function') return scheduler.yield();
	return new Promise((resolve) => setTimeout(resolve, 0));
}

let showFirstPage: () => void = () => undefined;
const firstPageShown = new Promise<void>((resolve) => {
	showFirstPage = resolve;
});

/** The first page's own content has arrived (its first read answered or failed). Idempotent. */
export function markFirstPageShown(): void {
	showFirstPage();
}

/** How long background work waits for a first page that never reads (sign-in, not on roster). */
export const FIRST_PAGE_WAIT_MS = 3000;

/**
 * Background work (the offline engine, auth-js, storing reads for offline use) that must not
 * compete with the first page for the network or the main thread: it waits until that page's
 * content has arrived (at most FIRST_PAGE_WAIT_MS), then until the tab is idle.
 */
export function afterFirstPage(work: () => void, idleTimeoutMs = 2000): void {
	const latest = new Promise<void>((resolve) => setTimeout(resolve, FIRST_PAGE_WAIT_MS));
	void Promise.race([firstPageShown, latest]).then(() => {
		whenIdle(work, idleTimeoutMs);
	});
}
