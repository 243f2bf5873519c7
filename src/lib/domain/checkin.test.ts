import { describe, expect, test } from 'vitest';
import {
	RepeatGuard,
	canonicalTicket,
	dayNotice,
	defaultDay,
	indexRoster,
	judgeEntry,
	judgeTicket,
	liveCheckIns,
	overlayCounter,
	searchRoster,
	sessionDays,
	ticketHash,
	undoTargets,
	verdictFromResult,
	type OwnCheckInRow,
	type Roster,
	type RosterEntry
} from './checkin.ts';

const SECRET = 'AbCdEfGhIjKlMnOpQrStUv-_';
const ACTIVITY = '00000000-0000-4000-8000-0000000000aa';
const DAY = '2027-03-29';

function entry(n: number, fields: Partial<RosterEntry> = {}): RosterEntry {
	return {
		registration_id: `reg-${n}`,
		member_id: `mem-${n}`,
		name: `成员${n}`,
		employee_no: `E10${n}0${n}`,
		phone_suffix: `55${n}${n}`,
		unit_name: '护理组',
		status: 'registered',
		session_id: null,
		guest_names: [],
		ticket_hash: `hash-${n}`,
		...fields
	};
}

function roster(entries: RosterEntry[], checkIns: Roster['check_ins'] = []): Roster {
	return {
		activity: {
			id: ACTIVITY,
			title: '拔河',
			status: 'published',
			starts_at: '',
			ends_at: '',
			place: '',
			walk_in_allowed: false,
			guests_max: 2,
			days: [DAY],
			sessions: []
		},
		version: 1,
		entries,
		check_ins: checkIns,
		server_now: ''
	};
}

function row(
	id: string,
	kind: string,
	payload: Record<string, unknown>,
	extra: Partial<OwnCheckInRow> = {}
): OwnCheckInRow {
	return {
		id,
		kind,
		status: 'pending',
		deviceId: 'phone-a',
		clientAt: '2027-03-29T01:00:00.000Z',
		activityId: ACTIVITY,
		payload: { activity_id: ACTIVITY, day: DAY, ...payload },
		...extra
	};
}

describe('A15 canonicalisation: trimmed, URL prefix stripped, decoded once, compared exactly', () => {
	test.each([
		[SECRET, SECRET],
		[`  ${SECRET}\r\n`, SECRET],
		[`\t${SECRET}\n`, SECRET],
		[`https://union.example/t/${SECRET}`, SECRET],
		[`http://10.0.0.5:8080/app/t/${SECRET}\n`, SECRET],
		[`/t/${SECRET}`, SECRET],
		[`https://union.example/t/${encodeURIComponent(SECRET)}`, SECRET],
		[`https://union.example/t/AbCdEfGhIjKlMnOpQrStUv%2D_`, SECRET]
	])('%j → the secret', (raw, expected) => {
		expect(canonicalTicket(raw)).toEqual({ ok: true, secret: expected });
	});

	test.each([
		['', 'empty'],
		['   \n', 'empty'],
		['garbage', 'malformed'],
		['AbCdEf', 'malformed'],
		['x'.repeat(400), 'malformed'],
		['AbCdEfGhIjKl+nOpQrStUv/=', 'malformed'],
		// Double-encoded: decoding once leaves %2D, which is not a secret; never decoded twice.
		['https://union.example/t/AbCdEfGhIjKlMnOpQrStUv%252D_', 'malformed'],
		['https://union.example/t/%E0%A4%A', 'malformed'],
		['weixin://t/AbCdEfGhIjKlMnOpQrStUv-_', 'malformed'],
		['https://evil.example/?x=/t/AbCdEfGhIjKlMnOpQrStUv-_', 'malformed'],
		[`${SECRET} ${SECRET}`, 'malformed']
	])('%j is %s', (raw, reason) => {
		expect(canonicalTicket(raw)).toEqual({ ok: false, reason });
	});

	test('R18 a fully percent-encoded ticket link is a ticket; encoded twice it stays malformed', () => {
		const link = `https://union.example/t/${SECRET}`;
		// What some QR generators and chat apps make of a link: https%3A%2F%2Funion.example%2Ft%2F…
		expect(canonicalTicket(encodeURIComponent(link))).toEqual({ ok: true, secret: SECRET });
		// Lowercase escapes, and the newline a keyboard-wedge scanner adds.
		expect(canonicalTicket('https%3a%2f%2funion.example%2ft%2fAbCdEfGhIjKlMnOpQrStUv-_\n')).toEqual(
			{
				ok: true,
				secret: SECRET
			}
		);
		expect(canonicalTicket(encodeURIComponent(`/t/${SECRET}`))).toEqual({
			ok: true,
			secret: SECRET
		});
		// A15: decoded exactly once, whichever part was encoded.
		for (const twice of [
			encodeURIComponent(encodeURIComponent(link)),
			encodeURIComponent('https://union.example/t/AbCdEfGhIjKlMnOpQrStUv%2D_'),
			encodeURIComponent('https://evil.example/?x=/t/AbCdEfGhIjKlMnOpQrStUv-_'),
			'https%3A%2F%2Funion.example%2Ft%2F%E0%A4%A'
		]) {
			expect(canonicalTicket(twice)).toEqual({ ok: false, reason: 'malformed' });
		}
	});

	test('the hash is the SHA-256 hex the server computes', async () => {
		expect(await ticketHash('abc')).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
	});
});

describe('local verdicts', () => {
	const r = roster([
		entry(1, { guest_names: ['家属1'] }),
		entry(2, { status: 'cancelled' }),
		entry(3, { status: 'waitlisted' }),
		entry(4)
	]);
	const index = indexRoster(r);
	const none = liveCheckIns(r, index, [], DAY, new Map());

	test('green with the guests, amber when already in, red for the rest', () => {
		const ok = canonicalTicket(SECRET);
		expect(judgeTicket(ok, 'hash-1', index, none, 'phone-a')).toMatchObject({
			kind: 'checked_in',
			tone: 'ok',
			guests: 1,
			entry: { name: '成员1' }
		});
		expect(judgeTicket(ok, 'hash-2', index, none, 'phone-a')).toMatchObject({
			kind: 'cancelled',
			tone: 'error'
		});
		expect(judgeTicket(ok, 'hash-3', index, none, 'phone-a')).toMatchObject({
			kind: 'not_admitted',
			entry: { status: 'waitlisted' }
		});
		expect(judgeTicket(ok, 'nope', index, none, 'phone-a')).toMatchObject({ kind: 'unknown' });
		expect(judgeTicket(canonicalTicket('junk'), null, index, none, 'phone-a')).toMatchObject({
			kind: 'malformed'
		});
	});

	test("this phone's queued scan makes the next scan amber, naming this phone", () => {
		const queued = [row('c1', 'check_in', { ticket: SECRET })];
		const live = liveCheckIns(r, index, queued, DAY, new Map([[SECRET, 'hash-4']]));
		expect(judgeTicket(canonicalTicket(SECRET), 'hash-4', index, live, 'phone-a')).toMatchObject({
			kind: 'already',
			tone: 'warn',
			first: { deviceId: 'phone-a', self: true }
		});
	});

	test('a check-in by another phone in the roster names that phone', () => {
		const withLog = roster(r.entries, [
			{
				id: 'srv-1',
				member_id: 'mem-1',
				registration_id: 'reg-1',
				day: DAY,
				kind: 'scan',
				undoes: [],
				guests_checked_in: 1,
				device_id: 'phone-b',
				server_time: '2027-03-29T00:59:00Z',
				flags: []
			}
		]);
		const live = liveCheckIns(withLog, index, [], DAY, new Map());
		expect(judgeEntry(entry(1), live, 'phone-a')).toMatchObject({
			kind: 'already',
			first: { deviceId: 'phone-b', self: false, at: '2027-03-29T00:59:00Z' }
		});
	});

	test('rejected actions and other days do not count', () => {
		const rows = [
			row('c1', 'check_in', { registration_id: 'reg-1' }, { status: 'rejected' }),
			row('c2', 'check_in', { registration_id: 'reg-4', day: '2027-03-30' })
		];
		const live = liveCheckIns(r, index, rows, DAY, new Map());
		expect(live.size).toBe(0);
	});

	test('server answers become verdicts with the first check-in', () => {
		expect(
			verdictFromResult(
				{
					status: 'applied',
					code: 'already_checked_in',
					warnings: ['duplicate_scan'],
					entity: {
						name: '张三',
						unit_name: '护理组',
						first_check_in: { device_id: 'phone-b', server_time: 'x', recorded_by: '李四' }
					}
				},
				null,
				'phone-a'
			)
		).toMatchObject({
			kind: 'already',
			entry: { name: '张三' },
			first: { deviceId: 'phone-b', self: false, recordedBy: '李四' }
		});
		expect(verdictFromResult({ status: 'rejected', code: 'wrong_activity' }, null, 'a').kind).toBe(
			'wrong_activity'
		);
		expect(
			verdictFromResult({ status: 'rejected', code: 'provisional_not_allowed' }, null, 'a').kind
		).toBe('not_allowed');
		expect(
			verdictFromResult(
				{ status: 'applied', code: 'checked_in', warnings: ['registration_cancelled'] },
				null,
				'a'
			).kind
		).toBe('cancelled');
	});
});

describe('add-wins undo targets', () => {
	const log = (id: string, device: string) => ({
		id,
		member_id: 'mem-1',
		registration_id: 'reg-1',
		day: DAY,
		kind: 'scan' as const,
		undoes: [],
		guests_checked_in: 0,
		device_id: device,
		server_time: `2027-03-29T00:0${id.slice(-1)}:00Z`,
		flags: []
	});

	test('targets are the ids this phone knows: the roster log and its own queue', () => {
		const r = roster([entry(1)], [log('srv-1', 'phone-b')]);
		const index = indexRoster(r);
		const rows = [row('own-2', 'check_in', { registration_id: 'reg-1' })];
		const live = liveCheckIns(r, index, rows, DAY, new Map());
		expect(undoTargets(live, 'mem-1').sort()).toEqual(['own-2', 'srv-1']);
	});

	test('a queued undo removes only what it names; an unseen check-in stays live', () => {
		const r = roster([entry(1)], [log('srv-1', 'phone-a'), log('srv-2', 'phone-b')]);
		const index = indexRoster(r);
		const rows = [row('u1', 'undo_check_in', { target_ids: ['srv-1'] })];
		const live = liveCheckIns(r, index, rows, DAY, new Map());
		expect(undoTargets(live, 'mem-1')).toEqual(['srv-2']);
		const all = liveCheckIns(
			r,
			index,
			[row('u2', 'undo_check_in', { target_ids: ['srv-1', 'srv-2'] })],
			DAY,
			new Map()
		);
		expect(undoTargets(all, 'mem-1')).toEqual([]);
		expect(judgeEntry(entry(1), all, 'phone-a').kind).toBe('checked_in');
	});

	test('undo rows in the server log apply too', () => {
		const r = roster(
			[entry(1)],
			[log('srv-1', 'phone-a'), { ...log('srv-9', 'phone-a'), kind: 'undo', undoes: ['srv-1'] }]
		);
		const live = liveCheckIns(r, indexRoster(r), [], DAY, new Map());
		expect(undoTargets(live, 'mem-1')).toEqual([]);
	});
});

describe('counter overlay', () => {
	const r = roster([
		entry(1, { guest_names: ['g'] }),
		entry(2),
		entry(3),
		entry(4, { status: 'cancelled' })
	]);
	const index = indexRoster(r);
	const server = {
		day: DAY,
		checked_in: 5,
		admitted: 3,
		guests: 0,
		provisional: 0,
		sessions: []
	};

	test('pending scans add to the server count once per member', () => {
		const rows = [
			row('c1', 'check_in', { registration_id: 'reg-1', guests: 1 }),
			row('c2', 'check_in', { registration_id: 'reg-1' }),
			row('c3', 'check_in', { registration_id: 'reg-2' })
		];
		const live = liveCheckIns(r, index, rows, DAY, new Map());
		expect(overlayCounter(server, 1000, r, index, live)).toMatchObject({
			checkedIn: 7,
			pendingMembers: 2,
			guests: 1,
			admitted: 3
		});
	});

	test('an acked scan counts until a counter read after its answer contains it', () => {
		const acked = [
			row('c1', 'check_in', { registration_id: 'reg-1' }, { status: 'acked', settledAt: 2000 })
		];
		const live = liveCheckIns(r, index, acked, DAY, new Map());
		expect(overlayCounter(server, 1000, r, index, live).checkedIn).toBe(6);
		expect(overlayCounter(server, 3000, r, index, live).checkedIn).toBe(5);
	});

	test('members the roster log already has are not added again', () => {
		const withLog = roster(r.entries, [
			{
				id: 'srv-1',
				member_id: 'mem-1',
				registration_id: 'reg-1',
				day: DAY,
				kind: 'scan',
				undoes: [],
				guests_checked_in: 0,
				device_id: 'phone-b',
				server_time: 'x',
				flags: []
			}
		]);
		const live = liveCheckIns(
			withLog,
			index,
			[row('c1', 'check_in', { registration_id: 'reg-1' })],
			DAY,
			new Map()
		);
		expect(overlayCounter(server, 1000, withLog, index, live).checkedIn).toBe(5);
	});

	test('offline without a server counter, it is counted from the roster', () => {
		const live = liveCheckIns(
			r,
			index,
			[row('c1', 'check_in', { registration_id: 'reg-2' })],
			DAY,
			new Map()
		);
		expect(overlayCounter(null, null, r, index, live)).toMatchObject({
			checkedIn: 1,
			admitted: 3,
			pendingMembers: 1
		});
	});
});

describe('by-hand search', () => {
	const entries = [entry(1), entry(2, { name: '王小明' }), entry(3, { phone_suffix: '1234' })];

	test('needs 2 characters of a name or 4 digits (A11)', () => {
		expect(searchRoster(entries, '王')).toEqual({ ok: false, reason: 'too_short' });
		expect(searchRoster(entries, '123')).toEqual({ ok: false, reason: 'too_short' });
		expect(searchRoster(entries, ' 小明 ')).toMatchObject({
			ok: true,
			results: [{ name: '王小明' }]
		});
		expect(searchRoster(entries, '1234')).toMatchObject({
			ok: true,
			results: [{ member_id: 'mem-3' }]
		});
		expect(searchRoster(entries, 'e10202')).toMatchObject({
			ok: true,
			results: [{ member_id: 'mem-2' }]
		});
	});
});

describe('scan loop helpers', () => {
	test('the same value is ignored for the window, then counts again', () => {
		const guard = new RepeatGuard(2000);
		expect(guard.accept('a', 0)).toBe(true);
		expect(guard.accept('a', 1500)).toBe(false);
		// Still in front of the camera: the window slides.
		expect(guard.accept('a', 3000)).toBe(false);
		expect(guard.accept('b', 3100)).toBe(true);
		expect(guard.accept('a', 3200)).toBe(true);
		expect(guard.accept('a', 6000)).toBe(true);
	});

	test('the day to scan for', () => {
		expect(defaultDay(['2027-03-29', '2027-03-30'], '2027-03-30')).toBe('2027-03-30');
		expect(defaultDay(['2027-04-01', '2027-04-02'], '2027-03-30')).toBe('2027-04-01');
		expect(defaultDay(['2027-03-01'], '2027-03-30')).toBe('2027-03-01');
		expect(defaultDay([], '2027-03-30')).toBeNull();
	});
});

describe('R1 session days', () => {
	const ZONE = 'Asia/Shanghai';
	const NEXT = '2027-03-30';
	const sessions = [
		{ id: 's-29', label: '', starts_at: '2027-03-29T00:30:00Z', ends_at: '', capacity: null },
		// 01:00 on the 30th in Shanghai, still the 29th in UTC: the union's time zone decides.
		{ id: 's-30', label: '上午', starts_at: '2027-03-29T17:00:00Z', ends_at: '', capacity: null }
	];
	const r: Roster = {
		...roster([
			entry(1, { session_id: 's-29' }),
			entry(2, { session_id: 's-30' }),
			entry(3),
			entry(4, { session_id: 's-30', status: 'waitlisted' }),
			entry(5, { session_id: 's-30', status: 'cancelled' })
		]),
		activity: { ...roster([]).activity, days: [DAY, NEXT], sessions }
	};
	const index = indexRoster(r);
	const onDay = (day: string) => ({ day, sessions: sessionDays(sessions, ZONE) });
	const none = liveCheckIns(r, index, [], DAY, new Map());

	test("R1 a ticket for another day's session is red wrong_day, naming that day; on its day it is green", () => {
		const ok = canonicalTicket(SECRET);
		expect(judgeTicket(ok, 'hash-1', index, none, 'phone-a', onDay(DAY))).toMatchObject({
			kind: 'checked_in'
		});
		expect(judgeTicket(ok, 'hash-2', index, none, 'phone-a', onDay(DAY))).toMatchObject({
			kind: 'wrong_day',
			tone: 'error',
			entry: { name: '成员2' },
			session: { day: NEXT, startsAt: '2027-03-29T17:00:00Z', label: '上午' }
		});
		expect(judgeEntry(entry(2, { session_id: 's-30' }), none, 'phone-a', onDay(NEXT)).kind).toBe(
			'checked_in'
		);
		// Without a session: every day of the activity.
		expect(judgeTicket(ok, 'hash-3', index, none, 'phone-a', onDay(NEXT)).kind).toBe('checked_in');
		// Not admitted stays not admitted; a cancelled ticket of another day is the wrong day first.
		expect(judgeTicket(ok, 'hash-4', index, none, 'phone-a', onDay(DAY)).kind).toBe('not_admitted');
		expect(judgeTicket(ok, 'hash-5', index, none, 'phone-a', onDay(DAY)).kind).toBe('wrong_day');
	});

	test("R1 the offline counter expects only the day's people and lists only the day's sessions", () => {
		const live = liveCheckIns(
			r,
			index,
			[row('c1', 'check_in', { registration_id: 'reg-1' })],
			DAY,
			new Map()
		);
		expect(overlayCounter(null, null, r, index, live, onDay(DAY))).toMatchObject({
			checkedIn: 1,
			admitted: 2,
			sessions: [{ sessionId: 's-29', admitted: 1, checkedIn: 1 }]
		});
		const next = liveCheckIns(r, index, [], NEXT, new Map());
		expect(overlayCounter(null, null, r, index, next, onDay(NEXT))).toMatchObject({
			checkedIn: 0,
			admitted: 2,
			sessions: [{ sessionId: 's-30', admitted: 1, checkedIn: 0 }]
		});
	});

	test("R1 server answers: wrong_day names the session's day; an organizer's override is amber", () => {
		expect(
			verdictFromResult(
				{
					status: 'rejected',
					code: 'wrong_day',
					entity: {
						session_id: 's-30',
						session_day: NEXT,
						session_starts_at: '2027-03-29T17:00:00Z',
						session_label: ''
					}
				},
				entry(2),
				'phone-a'
			)
		).toMatchObject({ kind: 'wrong_day', session: { day: NEXT } });
		expect(
			verdictFromResult(
				{
					status: 'applied',
					code: 'checked_in',
					warnings: ['other_day'],
					entity: { name: '成员2' }
				},
				null,
				'phone-a'
			)
		).toMatchObject({ kind: 'other_day', tone: 'warn', entry: { name: '成员2' } });
		expect(
			verdictFromResult({ status: 'rejected', code: 'override_not_allowed' }, entry(2), 'phone-a')
		).toMatchObject({ kind: 'not_allowed' });
	});

	test('R1 m2 the day notice: another day picked on an activity day is "not today"', () => {
		expect(dayNotice([DAY, NEXT], DAY, DAY)).toBeNull();
		expect(dayNotice([DAY, NEXT], DAY, NEXT)).toBe('not_today');
		expect(dayNotice([DAY, NEXT], '2027-03-28', DAY)).toBe('not_activity_day');
	});
});
