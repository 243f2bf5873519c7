// The flusher (docs/decisions.md §4): sends the signed-in user's pending actions, one activity's batch at
// a time in sequence order, from the page, in one tab at a time. Triggers: start, `online`,
// return to the foreground, each enqueue, "Sync now", and a timer while anything is pending.
// Backoff with full jitter and Retry-After; 401 → one refresh; a refused refresh → auth_required
// with nothing dropped; 413/timeouts halve the batch; a batch PostgREST keeps refusing is
// bisected until the one action that breaks it is blocked after POISON_LIMIT tries. Answers
// that are not PostgREST's (a proxy's HTML) never block anything: retried until they go through.
import {
	MAX_BATCH_SIZE,
	POISON_LIMIT,
	nextBatch,
	settleBatch,
	toWire,
	type OutboxRow,
	type RowError
} from '#lib/domain/outbox.ts';
import {
	DEFAULT_BACKOFF,
	backoffDelay,
	classify,
	type BackoffPolicy,
	type Verdict
} from '#lib/domain/outbox-classify.ts';
import type { FlushLock } from './lock.ts';
import type { Outbox } from './outbox-store.ts';
import type { AuthPort, Transport } from './transport.ts';

export type SyncPhase = 'idle' | 'syncing' | 'offline' | 'auth_required' | 'error';

export type FlushTrigger = 'start' | 'online' | 'visible' | 'enqueue' | 'manual' | 'timer' | 'auth';

export interface FlusherStatus {
	phase: SyncPhase;
	/** When a batch last came back with results (epoch ms). */
	lastSyncAt: number | null;
	/** What went wrong last, while phase is offline or error. */
	lastError: RowError | null;
	/** When the next automatic attempt is due, if one is scheduled. */
	nextAttemptAt: number | null;
}

export interface FlusherOptions {
	outbox: Outbox;
	transport: Transport;
	auth: AuthPort;
	lock: FlushLock;
	now?: () => number;
	random?: () => number;
	backoff?: BackoffPolicy;
	maxBatch?: number;
	poisonLimit?: number;
	/** Poll interval while actions are pending and nothing else is scheduled. */
	pendingPollMs?: number;
}

export class Flusher {
	#o: Required<Omit<FlusherOptions, 'backoff'>> & { backoff: BackoffPolicy };
	#userId: string | null = null;
	#status: FlusherStatus = {
		phase: 'idle',
		lastSyncAt: null,
		lastError: null,
		nextAttemptAt: null
	};
	#listeners = new Set<(status: FlusherStatus) => void>();
	#running: Promise<void> | null = null;
	#again = false;
	#timer: ReturnType<typeof setTimeout> | null = null;
	/** Consecutive transient failures of whole calls (the backoff exponent). */
	#failures = 0;
	/** Halved by timeouts and 413s, doubled back by each good answer. */
	#batchSize: number = MAX_BATCH_SIZE;
	#authBlocked = false;
	#stopped = true;

	constructor(options: FlusherOptions) {
		this.#batchSize = options.maxBatch ?? MAX_BATCH_SIZE;
		this.#o = {
			now: Date.now,
			random: Math.random,
			maxBatch: MAX_BATCH_SIZE,
			poisonLimit: POISON_LIMIT,
			pendingPollMs: 30_000,
			...options,
			backoff: options.backoff ?? DEFAULT_BACKOFF
		};
	}

	get status(): FlusherStatus {
		return this.#status;
	}

	get userId(): string | null {
		return this.#userId;
	}

	subscribe(listener: (status: FlusherStatus) => void): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	/** Starts flushing for this user (after sign-in). Another user's rows are never sent (I4). */
	start(userId: string): Promise<void> {
		if (this.#userId !== userId) {
			this.#authBlocked = false;
			this.#failures = 0;
		}
		this.#userId = userId;
		this.#stopped = false;
		return this.trigger('start');
	}

	/** Stops (sign-out): no more calls; the rows stay for their owner. */
	stop(): void {
		this.#stopped = true;
		this.#userId = null;
		this.#clearTimer();
		this.#set({ phase: 'idle', lastError: null, nextAttemptAt: null });
	}

	/** The same user signed in again or their token was refreshed: resume after auth_required. */
	resumeAuth(userId: string): Promise<void> {
		if (userId !== this.#userId) return Promise.resolve();
		this.#authBlocked = false;
		return this.trigger('auth');
	}

	/**
	 * Asks for a flush. Triggers other than the timer reset the backoff (online, foreground,
	 * enqueue, Sync now). Concurrent calls in this tab share one run. Resolves when done.
	 */
	trigger(reason: FlushTrigger): Promise<void> {
		if (this.#stopped || this.#userId === null) return Promise.resolve();
		if (this.#authBlocked && reason !== 'auth') return Promise.resolve();
		if (reason !== 'timer') {
			this.#failures = 0;
			this.#clearTimer();
		}
		if (this.#running !== null) {
			this.#again = true;
			return this.#running;
		}
		this.#running = (async () => {
			try {
				do {
					this.#again = false;
					const result = await this.#o.lock.tryRun(() => this.#round(reason === 'manual'));
					if (result === 'busy') {
						// Another tab is flushing; look again later (its changes arrive by broadcast).
						this.#schedule(this.#o.pendingPollMs);
					}
				} while (this.#shouldRunAgain());
			} catch (error) {
				console.error('outbox flush failed', error);
				this.#set({
					phase: 'error',
					lastError: { kind: 'http', message: String(error), at: this.#o.now() }
				});
				this.#failures += 1;
				this.#schedule(backoffDelay(this.#failures, this.#o.random, this.#o.backoff));
			} finally {
				this.#running = null;
			}
		})();
		return this.#running;
	}

	/** Another trigger arrived during the run (set from other calls, hence a method). */
	#shouldRunAgain(): boolean {
		return this.#again && !this.#stopped && !this.#authBlocked;
	}

	/** Sends batches until nothing is eligible, or something says stop. Holds the flush lock. */
	async #round(manual: boolean): Promise<void> {
		const userId = this.#userId;
		if (userId === null) return;
		let batchSize = this.#batchSize;
		let refreshed = false;
		if (manual) await this.#releaseQuarantine(userId);
		for (;;) {
			if (this.#stopped || this.#userId !== userId) return;
			const all = await this.#o.outbox.rows(userId);
			const now = this.#o.now();
			const batch = nextBatch(all, userId, now, batchSize);
			if (batch.length === 0) {
				const waiting = all.filter((row) => row.status === 'pending');
				if (waiting.length > 0) {
					const due = Math.min(...waiting.map((row) => row.nextAttemptAt));
					this.#schedule(Math.max(0, due - now));
				} else {
					this.#clearTimer();
				}
				this.#set({ phase: 'idle', lastError: null });
				return;
			}

			const auth = await this.#o.auth.current();
			if (auth.status === 'unreachable') {
				await this.#transient(batch, { kind: 'transient', error: 'network' });
				return;
			}
			if (auth.status === 'signed_out' || auth.userId !== userId) {
				// Never send one user's actions under another user's session (I4).
				this.#blockOnAuth();
				return;
			}

			this.#set({ phase: 'syncing' });
			const outcome = await this.#o.transport.send({
				deviceId: batch[0]!.deviceId,
				sentAt: new Date(this.#o.now()).toISOString(),
				actions: batch.map(toWire),
				accessToken: auth.accessToken
			});
			const verdict = classify(outcome, this.#o.now());

			switch (verdict.kind) {
				case 'results': {
					const settled = settleBatch(batch, verdict.response, this.#o.now());
					await this.#o.outbox.save(settled.rows);
					this.#set({ lastSyncAt: this.#o.now(), lastError: null });
					if (!settled.progress) {
						// Every action answered `retry` (the server halted): back off, then resend in order.
						this.#failures += 1;
						this.#schedule(backoffDelay(this.#failures - 1, this.#o.random, this.#o.backoff));
						this.#set({ phase: 'idle' });
						return;
					}
					this.#failures = 0;
					batchSize = Math.min(this.#o.maxBatch, batchSize * 2);
					this.#batchSize = batchSize;
					continue;
				}
				case 'auth': {
					if (refreshed) {
						// A fresh token refused without PostgREST's code is a middlebox's doing (R8).
						if (verdict.code === undefined) {
							await this.#transient(batch, {
								kind: 'transient',
								error: 'http',
								status: verdict.status
							});
						} else {
							this.#blockOnAuth();
						}
						return;
					}
					const refresh = await this.#o.auth.refresh();
					if (refresh === 'ok') {
						refreshed = true;
						continue;
					}
					if (refresh === 'network') {
						await this.#transient(batch, { kind: 'transient', error: 'network' });
						return;
					}
					this.#blockOnAuth();
					return;
				}
				case 'split': {
					if (batch.length > 1) {
						batchSize = Math.max(1, Math.floor(batch.length / 2));
						this.#batchSize = batchSize;
						continue;
					}
					await this.#poison(batch[0]!, verdict);
					continue;
				}
				case 'bug': {
					if (batch.length > 1) {
						batchSize = Math.ceil(batch.length / 2);
						continue;
					}
					await this.#poison(batch[0]!, verdict);
					continue;
				}
				case 'forbidden': {
					await this.#transient(batch, {
						kind: 'transient',
						error: 'forbidden',
						status: verdict.status,
						...(verdict.code === undefined ? {} : { code: verdict.code })
					});
					return;
				}
				case 'transient': {
					if (verdict.shrink === true) {
						this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
					}
					await this.#transient(batch, verdict);
					return;
				}
			}
		}
	}

	async #transient(
		batch: OutboxRow[],
		verdict: Extract<Verdict, { kind: 'transient' }>
	): Promise<void> {
		const now = this.#o.now();
		const error: RowError = {
			kind: verdict.error,
			...(verdict.status === undefined ? {} : { status: verdict.status }),
			...(verdict.code === undefined ? {} : { code: verdict.code }),
			at: now
		};
		await this.#o.outbox.save(
			batch.map((row) => ({ ...row, attempts: row.attempts + 1, lastError: error, updatedAt: now }))
		);
		const delay = backoffDelay(this.#failures, this.#o.random, this.#o.backoff, verdict.minDelayMs);
		this.#failures += 1;
		this.#schedule(delay);
		const offline = verdict.error === 'network' || verdict.error === 'timeout';
		this.#set({ phase: offline ? 'offline' : 'error', lastError: error });
	}

	/** One action, sent alone, broke the whole call again. */
	async #poison(
		row: OutboxRow,
		verdict: Extract<Verdict, { kind: 'bug' | 'split' }>
	): Promise<void> {
		const now = this.#o.now();
		const failures = row.failures + 1;
		const error: RowError = {
			kind: 'http',
			status: verdict.status,
			...(verdict.code === undefined ? {} : { code: verdict.code }),
			...('message' in verdict && verdict.message !== undefined
				? { message: verdict.message }
				: {}),
			at: now
		};
		const blocked = failures >= this.#o.poisonLimit;
		await this.#o.outbox.save([
			{
				...row,
				attempts: row.attempts + 1,
				failures,
				lastError: error,
				updatedAt: now,
				...(blocked
					? { status: 'blocked', settledAt: now, nextAttemptAt: 0 }
					: {
							nextAttemptAt: now + backoffDelay(failures - 1, this.#o.random, this.#o.backoff)
						})
			}
		]);
	}

	/** "Sync now" also retries actions waiting out a per-action delay. */
	async #releaseQuarantine(userId: string): Promise<void> {
		const rows = (await this.#o.outbox.rows(userId)).filter(
			(row) => row.status === 'pending' && row.nextAttemptAt > 0
		);
		await this.#o.outbox.save(rows.map((row) => ({ ...row, nextAttemptAt: 0 })));
	}

	#blockOnAuth(): void {
		this.#authBlocked = true;
		this.#clearTimer();
		this.#set({
			phase: 'auth_required',
			lastError: { kind: 'auth', at: this.#o.now() }
		});
	}

	#schedule(delayMs: number): void {
		if (this.#stopped) return;
		this.#clearTimer();
		const delay = Math.max(0, Math.min(delayMs, 2_147_000_000));
		this.#status = { ...this.#status, nextAttemptAt: this.#o.now() + delay };
		this.#timer = setTimeout(() => {
			this.#timer = null;
			void this.trigger('timer');
		}, delay);
	}

	#clearTimer(): void {
		if (this.#timer !== null) clearTimeout(this.#timer);
		this.#timer = null;
		this.#status = { ...this.#status, nextAttemptAt: null };
	}

	#set(patch: Partial<FlusherStatus>): void {
		this.#status = { ...this.#status, ...patch };
		for (const listener of this.#listeners) listener(this.#status);
	}
}
