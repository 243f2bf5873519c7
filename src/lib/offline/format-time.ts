import { DEFAULT_TIME_ZONE } from '#lib/domain/whoami.ts';
import { locale } from '#lib/i18n/locale.svelte.ts';

/** A clock time ("14:05") or, for another day, a short date and time, in the union's zone. */
export function formatTime(at: number, timeZone: string = DEFAULT_TIME_ZONE): string {
	const sameDay = new Date(at).toDateString() === new Date().toDateString();
	return new Intl.DateTimeFormat(locale.current, {
		timeZone,
		hour: '2-digit',
		minute: '2-digit',
		...(sameDay ? {} : { month: 'numeric', day: 'numeric' })
	}).format(at);
}
