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
