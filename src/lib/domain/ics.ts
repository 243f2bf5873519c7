// "Add to calendar": one registration as an iCalendar file (RFC 5545) that phone calendars import.
// Pure: the caller passes the current time for DTSTAMP, so the same input gives the same file.

export interface CalendarEvent {
	/** The registration's id: the UID stays the same when the file is downloaded again. */
	registrationId: string;
	title: string;
	startsAt: Date;
	endsAt: Date;
	place: string;
	description: string;
	/** The ticket page, so the calendar entry leads back to the QR. */
	url: string | null;
	/** When the file is made (DTSTAMP). */
	now: Date;
}

const CRLF = '\r\n';
const MAX_LINE_OCTETS = 75;

/** 20270510T233000Z: UTC, as RFC 5545 "FORM #2" date-time, so no time-zone block is needed. */
export function icsDateTime(date: Date): string {
	return date
		.toISOString()
		.replace(/\.\d{3}Z$/, 'Z')
		.replace(/[-:]/g, '');
}

/** TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines. */
export function escapeText(value: string): string {
	return value
		.replace(/\\/g, '\\\\')
		.replace(/;/g, '\\;')
		.replace(/,/g, '\\,')
		.replace(/\r\n|\r|\n/g, '\\n');
}

const encoder = new TextEncoder();

/**
 * Folds a content line at 75 octets (§3.1): continuation lines start with one space, which counts
 * toward their 75. Never splits a UTF-8 sequence: a Chinese character is three octets.
 */
export function foldLine(line: string): string {
	const pieces: string[] = [];
	let current = '';
	let octets = 0;
	let limit = MAX_LINE_OCTETS;
	for (const char of line) {
		const size = encoder.encode(char).length;
		if (octets + size > limit) {
			pieces.push(current);
			current = '';
			octets = 0;
			limit = MAX_LINE_OCTETS - 1;
		}
		current += char;
		octets += size;
	}
	pieces.push(current);
	return pieces.join(`${CRLF} `);
}

/** The whole file, CRLF line ends included, ready for a text/calendar download. */
export function buildIcs(event: CalendarEvent): string {
	const lines = [
		'BEGIN:VCALENDAR',
		'VERSION:2.0',
		'PRODID:-//Union Activities//Ticket//ZH',
		'CALSCALE:GREGORIAN',
		'METHOD:PUBLISH',
		'BEGIN:VEVENT',
		`UID:registration-${event.registrationId}@union-activities`,
		`DTSTAMP:${icsDateTime(event.now)}`,
		`DTSTART:${icsDateTime(event.startsAt)}`,
		`DTEND:${icsDateTime(event.endsAt)}`,
		`SUMMARY:${escapeText(event.title)}`,
		`LOCATION:${escapeText(event.place)}`
	];
	if (event.description !== '') lines.push(`DESCRIPTION:${escapeText(event.description)}`);
	if (event.url !== null) lines.push(`URL:${event.url}`);
	lines.push('END:VEVENT', 'END:VCALENDAR');
	return lines.map(foldLine).join(CRLF) + CRLF;
}

/** A file name without characters that file systems refuse. */
export function icsFileName(title: string): string {
	const safe = title.replace(/[\\/:*?"<>|\s]+/g, '-').replace(/^-+|-+$/g, '');
	return `${safe === '' ? 'activity' : safe}.ics`;
}
