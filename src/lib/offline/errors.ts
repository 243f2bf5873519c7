// The offline layer's errors, apart from the engine so that pages can tell them apart without
// loading the engine itself (it is fetched after the first render).

export type OutboxWriteErrorKind = 'quota' | 'unavailable' | 'invalid';

/** enqueue() failed: nothing was saved and nothing may be shown as saved. */
export class OutboxWriteError extends Error {
	readonly kind: OutboxWriteErrorKind;

	constructor(kind: OutboxWriteErrorKind, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'OutboxWriteError';
		this.kind = kind;
	}
}

export type DirectSendErrorKind = 'offline' | 'signed_out' | 'server';

/** No offline storage on this phone and the action could not be sent now. Nothing was saved. */
export class DirectSendError extends Error {
	readonly kind: DirectSendErrorKind;

	constructor(kind: DirectSendErrorKind, message: string) {
		super(message);
		this.name = 'DirectSendError';
		this.kind = kind;
	}
}
