// The union's calendar day. Dates of activities, check-ins and reports are days in the union's
// time zone (union_settings.time_zone), never the phone's: a check-in at 00:30 in Shanghai
// belongs to that day even on a phone set to UTC.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of the moment `at` in `timeZone` (the form a date input gives and the API takes). */
export function unionDay(at: Date, timeZone: string): string {
	let format = formatters.get(timeZone);
	if (!format) {
		// en-CA formats as 2027-05-10.
		format = new Intl.DateTimeFormat('en-CA', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit'
		});
		formatters.set(timeZone, format);
	}
	return format.format(at);
}
