/**
 * An answer a page's `load` asked for as soon as the API was known, alongside the member's profile
 * instead of after it. The page's first read takes it (once); later reads ask the server again.
 */
export class FirstRead<T> {
	#answer: Promise<T> | null;
	readonly #about: string | null;

	/** `about`: what was asked for (an id), when the page may ask about something else later. */
	constructor(answer: Promise<T>, about: string | null = null) {
		this.#answer = answer;
		this.#about = about;
		// Taken and reported by the page; a page never shown leaves no unhandled rejection.
		answer.catch(() => undefined);
	}

	/** The early answer the first time (if it is about the same thing), then null. */
	take(about: string | null = null): Promise<T> | null {
		if (about !== this.#about) return null;
		const answer = this.#answer;
		this.#answer = null;
		return answer;
	}
}
