// A page's action (save, grant, import…) with its busy flag and its failure, instead of a
// hand-written `busy = true; try … catch … finally busy = false` block in every page.
import { toAppError, type AppError } from '#lib/data/errors.ts';

export class Action {
	/** True while an action runs: buttons disable, and a double tap runs it once. */
	busy = $state(false);
	/** Why the last action failed; cleared when the next one starts. */
	error: AppError | null = $state.raw(null);

	/**
	 * Runs `fn` unless one is already running. True when it finished; false when it failed (the
	 * reason is in `error`) or did not run.
	 */
	async run(fn: () => Promise<unknown>): Promise<boolean> {
		if (this.busy) return false;
		this.busy = true;
		this.error = null;
		try {
			await fn();
			return true;
		} catch (error) {
			this.error = toAppError(error);
			return false;
		} finally {
			this.busy = false;
		}
	}
}
