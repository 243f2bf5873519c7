import { describe, expect, it } from 'vitest';
import { canCancel, checkGuestNames, sessionSeatsLeft, splitByTime } from './activity-detail.ts';

const activity = {
	startsAt: new Date('2027-05-10T23:30:00Z'),
	cancelDeadline: new Date('2027-05-09T23:30:00Z')
};

describe('canCancel', () => {
	it('allows an active registration before the deadline', () => {
		const before = new Date('2027-05-09T23:29:59Z');
		expect(canCancel(activity, { status: 'registered' }, before)).toBe(true);
		expect(canCancel(activity, { status: 'waitlisted' }, before)).toBe(true);
		expect(canCancel(activity, { status: 'pending_approval' }, before)).toBe(true);
	});

	it('refuses at the deadline, and for what is already over', () => {
		expect(canCancel(activity, { status: 'registered' }, activity.cancelDeadline)).toBe(false);
		const before = new Date('2027-05-01T00:00:00Z');
		expect(canCancel(activity, { status: 'cancelled' }, before)).toBe(false);
		expect(canCancel(activity, { status: 'rejected' }, before)).toBe(false);
		expect(canCancel(activity, null, before)).toBe(false);
	});

	it('uses the start when there is no deadline', () => {
		const noDeadline = { ...activity, cancelDeadline: null };
		expect(canCancel(noDeadline, { status: 'registered' }, new Date('2027-05-10T23:00:00Z'))).toBe(
			true
		);
	});
});

describe('checkGuestNames', () => {
	it('trims names and flags empty and over-long ones', () => {
		expect(checkGuestNames([' 张小明 ', '  ', '字'.repeat(31), '字'.repeat(30)])).toEqual({
			names: ['张小明', '', '字'.repeat(31), '字'.repeat(30)],
			issues: [null, 'empty', 'too_long', null]
		});
	});
});

describe('sessionSeatsLeft', () => {
	it('never goes negative and is null without a limit', () => {
		expect(sessionSeatsLeft({ capacity: 40, seatsTaken: 13 })).toBe(27);
		expect(sessionSeatsLeft({ capacity: 40, seatsTaken: 41 })).toBe(0);
		expect(sessionSeatsLeft({ capacity: null, seatsTaken: 3 })).toBeNull();
	});
});

describe('splitByTime', () => {
	const entry = (id: string, start: string, end: string) => ({
		id,
		activity: { startsAt: new Date(start), endsAt: new Date(end) }
	});
	it('puts running and future activities first, soonest first; past ones latest first', () => {
		const now = new Date('2027-05-01T00:00:00Z');
		const { upcoming, past } = splitByTime(
			[
				entry('late', '2027-10-01T00:00:00Z', '2027-10-01T05:00:00Z'),
				entry('old', '2027-01-01T00:00:00Z', '2027-01-01T05:00:00Z'),
				entry('running', '2027-04-30T00:00:00Z', '2027-05-02T00:00:00Z'),
				entry('recent', '2027-03-01T00:00:00Z', '2027-03-01T05:00:00Z')
			],
			now
		);
		expect(upcoming.map((e) => e.id)).toEqual(['running', 'late']);
		expect(past.map((e) => e.id)).toEqual(['recent', 'old']);
	});
});
