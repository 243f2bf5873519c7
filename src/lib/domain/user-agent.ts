// What the browser a page runs in can do, told from its user agent (pure, so it is unit-tested).

/** WeChat's in-app browser (Android and iOS: "MicroMessenger"): no reliable service worker or
 * offline storage there. */
export function isWeChat(userAgent: string): boolean {
	return /MicroMessenger/i.test(userAgent);
}
