// The list's search box and date range: pure, so they are tested without a browser.
import { unionDay } from './union-day.ts';

/** Folds case, width (ＡＢＣ, full-width digits) and spaces, so "羽毛球" and " 羽毛 球" both match. */
export function normalizeSearch(text: string): string {
	return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

/** Every word of the query (split on spaces) occurs in the title or the place. */
export function matchesSearch(activity: { title: string; place: string }, query: string): boolean {
	const words = query
		.normalize('NFKC')
		.split(/\s+/)
		.map(normalizeSearch)
		.filter((word) => word !== '');
	if (words.length === 0) return true;
	const haystack = normalizeSearch(`${activity.title} ${activity.place}`);
	return words.every((word) => haystack.includes(word));
}

/**
 * The activity takes place on at least one day of [from, to] (inclusive, union time); either
 * bound may be empty. A multi-day activity matches any day it covers.
 */
export function overlapsDays(
	activity: { startsAt: Date; endsAt: Date },
	from: string,
	to: string,
	timeZone: string
): boolean {
	if (from !== '' && unionDay(activity.endsAt, timeZone) < from) return false;
	if (to !== '' && unionDay(activity.startsAt, timeZone) > to) return false;
	return true;
}

/** The days an activity covers, first to last, in union time (YYYY-MM-DD). */
export function activityDays(start: Date, end: Date, timeZone: string): string[] {
	const first = unionDay(start, timeZone);
	const last = unionDay(end, timeZone);
	const days: string[] = [];
	// Walk whole days in UTC on the calendar dates themselves: no DST or offset arithmetic.
	const cursor = new Date(`${first}T00:00:00Z`);
	while (days.length < 366) {
		const day = cursor.toISOString().slice(0, 10);
		days.push(day);
		if (day >= last) break;
		cursor.setUTCDate(cursor.getUTCDate() + 1);
	}
	return days;
}
