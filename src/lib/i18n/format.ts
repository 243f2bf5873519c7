import type { Locale } from './translate.ts';

// Dates always in the union's time zone: a member travelling, or a phone set to another zone,
// must still see the time printed on the union's notice.

export interface DateFormatContext {
	locale: Locale;
	timeZone: string;
	/** Server time, to decide whether the year needs printing. */
	now: Date;
}

interface DayParts {
	year: number;
	month: number;
	day: number;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatter(
	locale: Locale,
	timeZone: string,
	options: Intl.DateTimeFormatOptions
): Intl.DateTimeFormat {
	const cacheKey = `${locale}|${timeZone}|${JSON.stringify(options)}`;
	let cached = formatterCache.get(cacheKey);
	if (cached === undefined) {
		cached = new Intl.DateTimeFormat(locale, { timeZone, ...options });
		formatterCache.set(cacheKey, cached);
	}
	return cached;
}

/** Whether the runtime knows the zone; an unknown one would make Intl throw. */
export function isKnownTimeZone(timeZone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone });
		return true;
	} catch {
		return false;
	}
}

function dayParts(date: Date, timeZone: string): DayParts {
	const parts = formatter('en', timeZone, {
		year: 'numeric',
		month: 'numeric',
		day: 'numeric'
	}).formatToParts(date);
	const pick = (type: Intl.DateTimeFormatPartTypes): number =>
		Number(parts.find((part) => part.type === type)?.value);
	return { year: pick('year'), month: pick('month'), day: pick('day') };
}

function sameDay(a: DayParts, b: DayParts): boolean {
	return a.year === b.year && a.month === b.month && a.day === b.day;
}

/** "3月20日 周六" / "Sat, Mar 20", with the year only when it is not the current one. */
export function formatDay(date: Date, context: DateFormatContext): string {
	const showYear =
		dayParts(date, context.timeZone).year !== dayParts(context.now, context.timeZone).year;
	return formatter(context.locale, context.timeZone, {
		year: showYear ? 'numeric' : undefined,
		month: context.locale === 'en' ? 'short' : 'long',
		day: 'numeric',
		weekday: 'short'
	}).format(date);
}

/** "14:00", 24-hour in both languages: that is how union notices print times. */
export function formatTime(date: Date, context: DateFormatContext): string {
	return formatter(context.locale, context.timeZone, {
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23'
	}).format(date);
}

export function formatDateTime(date: Date, context: DateFormatContext): string {
	return `${formatDay(date, context)} ${formatTime(date, context)}`;
}

/**
 * A range as segments that should each stay on one line: ["3月20日周六", "14:00–17:30"] for one
 * day, ["4月12日周一 08:00", "– 4月16日周五 11:00"] across days.
 */
export function formatDateRangeParts(start: Date, end: Date, context: DateFormatContext): string[] {
	if (sameDay(dayParts(start, context.timeZone), dayParts(end, context.timeZone))) {
		return [formatDay(start, context), `${formatTime(start, context)}–${formatTime(end, context)}`];
	}
	return [formatDateTime(start, context), `– ${formatDateTime(end, context)}`];
}

export function formatDateRange(start: Date, end: Date, context: DateFormatContext): string {
	return formatDateRangeParts(start, end, context).join(' ');
}
