/** The URL a ticket's QR carries: the app's own page for it, and no personal data. */
export function ticketUrl(origin: string, secret: string): string {
	return `${origin.replace(/\/+$/, '')}/t/${encodeURIComponent(secret)}`;
}
