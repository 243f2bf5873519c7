// The check-in roster on the phone (docs/decisions.md §6: downloaded before the doors open, refreshed
// whenever online): kept in the read cache (IndexedDB, per user, wiped at sign-out, since it is
// personal data), with its age, and the hashes of scanned secrets memoised so this phone's
// queued scans can be matched against it without keeping any secret outside the outbox.
import { ticketHash, type Roster } from '#lib/domain/checkin.ts';
import type { CachedRead } from './cache.ts';

export function rosterKey(activityId: string): string {
	return `checkin-roster:${activityId}`;
}

/** What the roster store needs from the offline engine (the `sync` state implements it). */
export interface RosterCachePort {
	cachedRead<T>(key: string, fetcher: () => Promise<T>): Promise<CachedRead<T>>;
	cachedValue<T>(userId: string, key: string): Promise<CachedRead<T> | null>;
}

/** Network first; the stored copy (with its age) when the network fails. */
export function downloadRoster(
	port: RosterCachePort,
	activityId: string,
	fetcher: () => Promise<Roster>
): Promise<CachedRead<Roster>> {
	return port.cachedRead(rosterKey(activityId), fetcher);
}

/** The stored copy only (an offline start paints at once from it). */
export function storedRoster(
	port: RosterCachePort,
	userId: string,
	activityId: string
): Promise<CachedRead<Roster> | null> {
	return port.cachedValue<Roster>(userId, rosterKey(activityId));
}

/** SHA-256 of secrets, memoised: a ticket scanned again costs nothing. */
export class TicketHasher {
	#memo = new Map<string, string>();

	get known(): ReadonlyMap<string, string> {
		return this.#memo;
	}

	/** A copy to hand to reactive state (a new object each time, so readers notice). */
	snapshot(): ReadonlyMap<string, string> {
		return new Map(this.#memo);
	}

	async hash(secret: string): Promise<string> {
		const known = this.#memo.get(secret);
		if (known !== undefined) return known;
		const hash = await ticketHash(secret);
		this.#memo.set(secret, hash);
		return hash;
	}
}
