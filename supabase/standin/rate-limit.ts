// Fixed-window counters for the auth limits. `take` checks and counts in one synchronous step, so
// requests running at once (PostgreSQL runs them in parallel) can never all pass a check that
// none of them has been counted in yet. In memory: one stand-in process, like GoTrue's limiter.

export type Taken = { ok: true } | { ok: false; retryAfterSeconds: number };

export class WindowCounter {
	readonly #limit: number;
	readonly #windowMs: number;
	readonly #hits = new Map<string, { count: number; since: number }>();

	/** `limit` takes per key and window; 0 disables the counter. */
	constructor(limit: number, windowMs: number) {
		this.#limit = limit;
		this.#windowMs = windowMs;
	}

	take(key: string, now = Date.now()): Taken {
		if (this.#limit <= 0) return { ok: true };
		this.#forgetExpired(now);
		const entry = this.#hits.get(key);
		if (!entry || now - entry.since >= this.#windowMs) {
			this.#hits.set(key, { count: 1, since: now });
			return { ok: true };
		}
		if (entry.count >= this.#limit) {
			return {
				ok: false,
				retryAfterSeconds: Math.max(1, Math.ceil((entry.since + this.#windowMs - now) / 1000))
			};
		}
		entry.count += 1;
		return { ok: true };
	}

	/** Gives one take back (the request it was for did not count after all). */
	release(key: string): void {
		const entry = this.#hits.get(key);
		if (entry && entry.count > 0) entry.count -= 1;
	}

	#forgetExpired(now: number): void {
		if (this.#hits.size < 10_000) return;
		for (const [key, entry] of this.#hits) {
			if (now - entry.since >= this.#windowMs) this.#hits.delete(key);
		}
	}
}

/** Takes one from each counter, or none when any is full (the ones taken are given back). */
export function takeAll(takes: Array<[WindowCounter, string]>, now = Date.now()): Taken {
	const taken: Array<[WindowCounter, string]> = [];
	for (const [counter, key] of takes) {
		const result = counter.take(key, now);
		if (!result.ok) {
			for (const [done, doneKey] of taken) done.release(doneKey);
			return result;
		}
		taken.push([counter, key]);
	}
	return { ok: true };
}
