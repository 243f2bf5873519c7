// Server time as of now, from one server reading plus time elapsed on the device's monotonic
// clock. The device's wall clock may be wrong by hours; its elapsed-time counter is not.

export interface ServerClockAnchor {
	serverTime: Date;
	/** `performance.now()` (or any monotonic millisecond counter) when serverTime was read. */
	monotonicAt: number;
}

export function serverTimeNow(anchor: ServerClockAnchor, monotonicNow: number): Date {
	const elapsed = Math.max(0, monotonicNow - anchor.monotonicAt);
	return new Date(anchor.serverTime.getTime() + elapsed);
}
