// The scanner screen's state: the roster (downloaded, cached, refreshed while online), the live
// counter (polled every 10 s online, with this phone's own check-ins on top), the verdict on each
// scan (local first, never waiting for the network) and the actions it puts in the outbox.
//
// Performance marks (for `npm run bench`): 'scan-decoded' is set by the frame loop when a frame
// yields a code (or by `submit` for typed codes), 'scan-verdict' when the verdict is on screen,
// and the measure 'scan-to-verdict' spans the two. Decode time per frame is in
// `window.__unionScanStats.decodeMs` (zxing's own ms, the last 100 frames).
import {
	fetchCounter,
	fetchRoster,
	searchWalkInMembers,
	type WalkInCandidate
} from '#lib/data/checkin.ts';
import type { UnionClient } from '#lib/data/client.ts';
import { toAppError, type AppError } from '#lib/data/errors.ts';
import {
	RepeatGuard,
	canonicalTicket,
	indexRoster,
	judgeEntry,
	judgeTicket,
	liveCheckIns,
	noCheckIns,
	overlayCounter,
	sessionDays,
	undoTargets,
	verdictFromResult,
	type CounterView,
	type DayCheck,
	type Roster,
	type RosterEntry,
	type RosterIndex,
	type SeenCheckIn,
	type ServerCounter,
	type Verdict
} from '#lib/domain/checkin.ts';
import type { ActionPayloads, OutboxRow } from '#lib/domain/outbox.ts';
import { downloadRoster, storedRoster, TicketHasher } from '#lib/offline/roster.ts';
import type { SyncState } from '#lib/state/sync.svelte.ts';
import { signal } from './feedback.ts';

const COUNTER_POLL_MS = 10_000;
const ROSTER_REFRESH_MS = 60_000;
/** How long an online scan of a ticket unknown here waits for the server's word. */
const SERVER_VERDICT_WAIT_MS = 6_000;

export type ScanSource = 'camera' | 'typed' | 'manual' | 'walk_in';

export interface ShownVerdict extends Verdict {
	/** Increments per verdict, so the same verdict twice is announced twice. */
	serial: number;
	at: number;
	source: ScanSource;
	/** The outbox row this verdict saved, if any (its state is shown under the verdict). */
	rowId: string | null;
	/** Saving failed: the check-in is NOT on this phone. */
	notSaved: boolean;
	/** Waiting for the server's answer about a ticket this phone does not know. */
	checking: boolean;
	/** The canonical secret, when an organizer may accept it provisionally. */
	provisionalSecret: string | null;
	/** What to send when an organizer checks a ticket of another day in anyway (R1). */
	otherDayTarget: { ticket: string } | { registration_id: string } | null;
}

export interface ScannerOptions {
	client: UnionClient;
	sync: SyncState;
	activityId: string;
	day: string;
	userId: string;
	/** Office or organizer of this activity (may accept unknown tickets provisionally). */
	manages: boolean;
	/** The union's time zone: the day a session is on. */
	timeZone: string;
}

export class ScannerState {
	roster: Roster | null = $state.raw(null);
	rosterFetchedAt: number | null = $state(null);
	rosterFromCache = $state(false);
	rosterError: AppError | null = $state.raw(null);
	counter: ServerCounter | null = $state.raw(null);
	counterFetchedAt: number | null = $state(null);
	verdict: ShownVerdict | null = $state.raw(null);
	sound = $state(true);
	/** Secret → hash of scans made here (to match queued scans with the roster). */
	hashes: ReadonlyMap<string, string> = $state.raw(new TicketHasher().snapshot());
	now = $state(Date.now());

	readonly options: ScannerOptions;
	readonly index: RosterIndex | null;
	/** The day scanned for and the activity's sessions' days (R1). */
	readonly dayCheck: DayCheck | undefined;
	/** This user's check-in actions for this activity, in sequence order. */
	readonly rows: OutboxRow[];
	readonly live: Map<string | null, SeenCheckIn[]>;
	readonly counterView: CounterView | null;
	readonly pendingUploads: number;

	#hasher = new TicketHasher();
	#guard = new RepeatGuard(2_500);
	#serial = 0;
	#timers: ReturnType<typeof setInterval>[] = [];
	#stopped = false;
	#onOnline = (): void => {
		void this.refreshRoster();
		void this.pollCounter();
	};

	constructor(options: ScannerOptions) {
		this.options = options;
		this.index = $derived(this.roster === null ? null : indexRoster(this.roster));
		this.dayCheck = $derived(
			this.roster === null
				? undefined
				: {
						day: options.day,
						sessions: sessionDays(this.roster.activity.sessions, options.timeZone)
					}
		);
		this.rows = $derived(
			options.sync.rows.filter(
				(row) =>
					row.activityId === options.activityId &&
					(row.kind === 'check_in' || row.kind === 'walk_in' || row.kind === 'undo_check_in')
			)
		);
		this.live = $derived(
			this.roster === null || this.index === null
				? noCheckIns()
				: liveCheckIns(this.roster, this.index, this.rows, options.day, this.hashes)
		);
		this.counterView = $derived(
			this.roster === null || this.index === null
				? null
				: overlayCounter(
						this.counter,
						this.counterFetchedAt,
						this.roster,
						this.index,
						this.live,
						this.dayCheck
					)
		);
		this.pendingUploads = $derived(this.rows.filter((row) => row.status === 'pending').length);
	}

	#halted(): boolean {
		return this.#stopped;
	}

	get deviceId(): string {
		return this.options.sync.deviceId ?? '';
	}

	/** Paints from the stored roster at once, then downloads; starts the polls. */
	async start(): Promise<void> {
		const stored = await storedRoster(
			this.options.sync,
			this.options.userId,
			this.options.activityId
		);
		if (stored !== null && this.roster === null) {
			this.roster = stored.data;
			this.rosterFetchedAt = stored.fetchedAt;
			this.rosterFromCache = true;
		}
		await this.#hashQueuedTickets();
		void this.refreshRoster();
		void this.pollCounter();
		this.#timers.push(
			setInterval(() => void this.pollCounter(), COUNTER_POLL_MS),
			setInterval(() => void this.refreshRoster(), ROSTER_REFRESH_MS),
			setInterval(() => {
				this.now = Date.now();
			}, 15_000)
		);
		window.addEventListener('online', this.#onOnline);
	}

	stop(): void {
		this.#stopped = true;
		for (const timer of this.#timers) clearInterval(timer);
		this.#timers = [];
		window.removeEventListener('online', this.#onOnline);
	}

	get online(): boolean {
		return typeof navigator === 'undefined' ? true : navigator.onLine;
	}

	async refreshRoster(): Promise<void> {
		if (this.#halted()) return;
		try {
			const read = await downloadRoster(this.options.sync, this.options.activityId, () =>
				fetchRoster(this.options.client, this.options.activityId)
			);
			if (this.#halted()) return;
			// A failed download never replaces a newer copy already shown.
			if (
				!read.fromCache ||
				this.rosterFetchedAt === null ||
				read.fetchedAt >= this.rosterFetchedAt
			) {
				this.roster = read.data;
				this.rosterFetchedAt = read.fetchedAt;
				this.rosterFromCache = read.fromCache;
			}
			this.rosterError = null;
		} catch (error) {
			this.rosterError = toAppError(error);
		}
		this.now = Date.now();
	}

	async pollCounter(): Promise<void> {
		if (this.#stopped || !this.online) return;
		const requestedAt = Date.now();
		try {
			const counter = await fetchCounter(
				this.options.client,
				this.options.activityId,
				this.options.day
			);
			if (this.#halted()) return;
			this.counter = counter;
			this.counterFetchedAt = requestedAt;
		} catch {
			// Offline or a hiccup: the overlay keeps counting from the roster and this phone.
		}
	}

	/** A scanned or typed value. Repeats of the same camera value within 2.5 s are ignored. */
	async submit(raw: string, source: ScanSource = 'camera'): Promise<void> {
		if (source === 'camera' && !this.#guard.accept(raw, Date.now())) return;
		if (source !== 'camera') performance.mark('scan-decoded');
		const roster = this.roster;
		const index = this.index;
		const canonical = canonicalTicket(raw);
		if (!canonical.ok) {
			if (canonical.reason === 'empty') return;
			this.#show(
				judgeTicket(canonical, null, index ?? indexRoster(emptyRoster()), this.live, this.deviceId),
				source
			);
			return;
		}
		const hash = await this.#hasher.hash(canonical.secret);
		this.hashes = this.#hasher.snapshot();
		if (roster === null || index === null) {
			// No roster yet: only the server can judge.
			await this.#askServer(canonical.secret, source);
			return;
		}
		const local = judgeTicket(canonical, hash, index, this.live, this.deviceId, this.dayCheck);
		if (local.kind === 'unknown') {
			if (this.online) {
				await this.#askServer(canonical.secret, source);
			} else {
				this.#show(local, source, {
					provisionalSecret: this.options.manages ? canonical.secret : null
				});
			}
			return;
		}
		const shown = this.#show(local, source, this.#otherDay(local, { ticket: canonical.secret }));
		if (local.kind === 'checked_in') {
			await this.#enqueueFor(shown, 'check_in', {
				activity_id: this.options.activityId,
				ticket: canonical.secret,
				day: this.options.day,
				guests: local.guests
			});
			// Online, another phone may have been first: the server's word turns it amber.
			this.#awaitServer(shown, { quiet: true });
		}
	}

	/** By hand: the organizer picked a roster entry (name, 工号 or phone suffix). */
	async checkInEntry(entry: RosterEntry, guests: number): Promise<void> {
		performance.mark('scan-decoded');
		const local = judgeEntry(entry, this.live, this.deviceId, this.dayCheck);
		const shown = this.#show(
			{ ...local, guests },
			'manual',
			this.#otherDay(local, { registration_id: entry.registration_id })
		);
		if (local.kind !== 'checked_in') return;
		await this.#enqueueFor(shown, 'check_in', {
			activity_id: this.options.activityId,
			registration_id: entry.registration_id,
			day: this.options.day,
			guests
		});
		this.#awaitServer(shown, { quiet: true });
	}

	/**
	 * R1: an organizer checks in a ticket booked for another day's session anyway. The server
	 * applies it flagged `other_day` for the office's review (check-in staff are refused).
	 */
	async checkInOtherDay(): Promise<void> {
		const current = this.verdict;
		const target = current?.otherDayTarget;
		if (!this.options.manages || current == null || target == null) return;
		const shown = this.#show(
			{ ...current, kind: 'other_day', tone: 'warn', session: null },
			current.source,
			{ otherDayTarget: null, rowId: null, notSaved: false }
		);
		await this.#enqueueFor(shown, 'check_in', {
			activity_id: this.options.activityId,
			...target,
			day: this.options.day,
			guests: current.guests,
			override_day: true
		});
		this.#awaitServer(shown, { quiet: true });
	}

	/** The override an organizer may send for a wrong-day verdict (none for check-in staff). */
	#otherDay(
		local: Verdict,
		target: { ticket: string } | { registration_id: string }
	): Partial<ShownVerdict> {
		return local.kind === 'wrong_day' && this.options.manages ? { otherDayTarget: target } : {};
	}

	/** An organizer accepts a ticket this phone does not know, offline: flagged for review. */
	async acceptProvisionally(secret: string): Promise<void> {
		if (!this.options.manages) return;
		const shown = this.#show(
			{ kind: 'provisional', tone: 'warn', entry: null, guests: 0, first: null },
			'typed'
		);
		await this.#enqueueFor(shown, 'check_in', {
			activity_id: this.options.activityId,
			ticket: secret,
			day: this.options.day,
			provisional: true
		});
	}

	/** Walk-in at the door (online search found the member): registration and check-in at once. */
	async walkIn(candidate: WalkInCandidate, guests: number): Promise<void> {
		performance.mark('scan-decoded');
		const entry: RosterEntry = {
			registration_id: '',
			member_id: candidate.memberId,
			name: candidate.name,
			employee_no: candidate.employeeNo,
			phone_suffix: candidate.phoneSuffix,
			unit_name: candidate.unitName,
			status: 'registered',
			session_id: null,
			guest_names: [],
			ticket_hash: ''
		};
		const shown = this.#show(
			{ kind: 'checked_in', tone: 'ok', entry, guests, first: null, checking: true },
			'walk_in'
		);
		await this.#enqueueFor(shown, 'walk_in', {
			activity_id: this.options.activityId,
			member_id: candidate.memberId,
			day: this.options.day,
			guests
		});
		this.#awaitServer(shown, {});
	}

	searchWalkIn(query: string): Promise<WalkInCandidate[]> {
		return searchWalkInMembers(this.options.client, this.options.activityId, query);
	}

	/** Undo for a member: removes only the check-ins this phone has seen (add-wins). */
	async undo(memberId: string): Promise<boolean> {
		const targets = undoTargets(this.live, memberId);
		if (targets.length === 0) return false;
		await this.options.sync.enqueue('undo_check_in', {
			activity_id: this.options.activityId,
			target_ids: targets.slice(0, 50),
			day: this.options.day
		});
		return true;
	}

	entryForRow(row: OutboxRow): RosterEntry | null {
		const index = this.index;
		if (index === null) return null;
		const payload = row.payload as {
			ticket?: string;
			registration_id?: string;
			member_id?: string;
		};
		if (payload.registration_id !== undefined) {
			return index.byRegistration.get(payload.registration_id) ?? null;
		}
		if (payload.ticket !== undefined) {
			const hash = this.hashes.get(payload.ticket);
			if (hash !== undefined) return index.byHash.get(hash) ?? null;
		}
		if (payload.member_id !== undefined) return index.byMember.get(payload.member_id) ?? null;
		return null;
	}

	dismissVerdict(): void {
		this.verdict = null;
		this.#guard.reset();
	}

	#show(
		verdict: Verdict & { checking?: boolean },
		source: ScanSource,
		extra: Partial<ShownVerdict> = {}
	): ShownVerdict {
		this.#serial += 1;
		const shown: ShownVerdict = {
			checking: false,
			provisionalSecret: null,
			otherDayTarget: null,
			rowId: null,
			notSaved: false,
			...verdict,
			...extra,
			serial: this.#serial,
			at: Date.now(),
			source
		};
		this.verdict = shown;
		if (!shown.checking) {
			signal(shown.tone, { sound: this.sound });
			markVerdict();
		}
		return shown;
	}

	async #enqueueFor<K extends 'check_in' | 'walk_in'>(
		shown: ShownVerdict,
		kind: K,
		payload: ActionPayloads[K]
	): Promise<void> {
		try {
			const row = await this.options.sync.enqueue(kind, payload);
			if (this.verdict?.serial === shown.serial) this.verdict = { ...this.verdict, rowId: row.id };
			shown.rowId = row.id;
		} catch (error) {
			console.error('check-in not saved', error);
			if (this.verdict?.serial === shown.serial) {
				this.verdict = { ...this.verdict, notSaved: true, tone: 'error' };
				signal('error', { sound: this.sound });
			}
		}
	}

	/** Online, a ticket this phone does not know: the server decides (wrong activity, new...). */
	async #askServer(secret: string, source: ScanSource): Promise<void> {
		const shown = this.#show(
			{ kind: 'unknown', tone: 'warn', entry: null, guests: 0, first: null, checking: true },
			source
		);
		await this.#enqueueFor(shown, 'check_in', {
			activity_id: this.options.activityId,
			ticket: secret,
			day: this.options.day
		});
		this.#awaitServer(shown, { secret });
	}

	/** Waits for the server's answer on the verdict's row; gives up after a few seconds. */
	#awaitServer(shown: ShownVerdict, options: { secret?: string; quiet?: boolean }): void {
		const { secret, quiet = false } = options;
		const started = Date.now();
		const check = (): void => {
			if (this.verdict?.serial !== shown.serial || this.#stopped) return;
			const row = this.options.sync.rows.find((r) => r.id === shown.rowId);
			if (row !== undefined && row.status !== 'pending' && row.result !== undefined) {
				const entry = this.entryForRow(row);
				const answer = verdictFromResult(row.result, entry, this.deviceId);
				if (quiet && answer.kind === shown.kind) return;
				this.verdict = {
					...shown,
					...answer,
					entry: answer.entry ?? shown.entry,
					checking: false,
					rowId: row.id
				};
				signal(answer.tone, { sound: this.sound });
				markVerdict();
				// A refusal the door has seen needs no attention in the sync pill.
				if (row.status === 'rejected')
					void this.options.sync.dismiss(row.id).then(() => this.options.sync.refresh());
				return;
			}
			if (Date.now() - started > SERVER_VERDICT_WAIT_MS) {
				if (quiet) return;
				this.verdict = {
					...shown,
					kind: shown.source === 'walk_in' ? 'checked_in' : 'unknown',
					tone: shown.source === 'walk_in' ? 'ok' : 'error',
					checking: false,
					provisionalSecret: secret !== undefined && this.options.manages ? secret : null
				};
				signal(this.verdict.tone, { sound: this.sound });
				markVerdict();
				return;
			}
			setTimeout(check, 150);
		};
		setTimeout(check, 50);
	}

	async #hashQueuedTickets(): Promise<void> {
		for (const row of this.rows) {
			const ticket = (row.payload as { ticket?: string }).ticket;
			if (ticket !== undefined) await this.#hasher.hash(ticket);
		}
		this.hashes = this.#hasher.snapshot();
	}
}

function markVerdict(): void {
	performance.mark('scan-verdict');
	try {
		performance.measure('scan-to-verdict', 'scan-decoded', 'scan-verdict');
	} catch {
		// No 'scan-decoded' mark yet (a verdict from a late server answer): nothing to measure.
	}
}

function emptyRoster(): Roster {
	return {
		activity: {
			id: '',
			title: '',
			status: '',
			starts_at: '',
			ends_at: '',
			place: '',
			walk_in_allowed: false,
			guests_max: 0,
			days: [],
			sessions: []
		},
		version: 0,
		entries: [],
		check_ins: [],
		server_now: ''
	};
}
