import { describe, expect, it } from 'vitest';
import {
	activityBadge,
	isOpenToMe,
	isSignupWindowOpen,
	orderForMember,
	seatsLeft
} from './activity-state.ts';
import type { ActivitySummary } from './activity.ts';

const NOW = new Date('2027-03-01T02:00:00Z');

function activity(overrides: Partial<ActivitySummary> = {}): ActivitySummary {
	return {
		id: 'a1',
		title: '职工羽毛球比赛',
		category: 'sports',
		status: 'published',
		startsAt: new Date('2027-03-20T06:00:00Z'),
		endsAt: new Date('2027-03-20T09:30:00Z'),
		place: '羽毛球馆',
		capacity: 100,
		seatsTaken: 10,
		signupOpensAt: new Date('2027-02-20T00:00:00Z'),
		signupClosesAt: new Date('2027-03-17T00:00:00Z'),
		admission: 'first_come',
		waitlistEnabled: false,
		guestsMax: 0,
		sessionCount: 1,
		eligible: true,
		ineligibleReason: null,
		myRegistrationStatus: null,
		serverNow: NOW,
		...overrides
	};
}

describe('activityBadge', () => {
	it('is open with plenty of seats inside the window', () => {
		expect(activityBadge(activity(), NOW)).toBe('open');
	});

	it('says cancelled before anything else', () => {
		expect(activityBadge(activity({ status: 'cancelled', seatsTaken: 100 }), NOW)).toBe(
			'cancelled'
		);
	});

	it('treats closed and completed activities as closed', () => {
		expect(activityBadge(activity({ status: 'closed' }), NOW)).toBe('closed');
		expect(activityBadge(activity({ status: 'completed' }), NOW)).toBe('closed');
	});

	it('is not open yet before the window opens, and open at the exact opening instant', () => {
		const opensAt = new Date('2027-03-02T00:00:00Z');
		expect(activityBadge(activity({ signupOpensAt: opensAt }), NOW)).toBe('not_open_yet');
		expect(activityBadge(activity({ signupOpensAt: opensAt }), opensAt)).toBe('open');
	});

	it('is closed at the exact closing instant', () => {
		const closesAt = new Date('2027-03-01T02:00:00Z');
		expect(activityBadge(activity({ signupClosesAt: closesAt }), NOW)).toBe('closed');
	});

	it('closes sign-up when the activity starts if no closing time is set', () => {
		const a = activity({ signupClosesAt: null, startsAt: new Date('2027-03-01T01:00:00Z') });
		expect(activityBadge(a, NOW)).toBe('closed');
		expect(activityBadge(activity({ signupClosesAt: null }), NOW)).toBe('open');
	});

	it('is always open when capacity is unlimited', () => {
		expect(activityBadge(activity({ capacity: null, seatsTaken: 5000 }), NOW)).toBe('open');
	});

	it('warns at 10 % left of a large activity', () => {
		expect(activityBadge(activity({ capacity: 200, seatsTaken: 180 }), NOW)).toBe('few_left');
		expect(activityBadge(activity({ capacity: 200, seatsTaken: 179 }), NOW)).toBe('open');
	});

	it('warns at 5 seats left of a small activity', () => {
		expect(activityBadge(activity({ capacity: 20, seatsTaken: 15 }), NOW)).toBe('few_left');
		expect(activityBadge(activity({ capacity: 20, seatsTaken: 14 }), NOW)).toBe('open');
	});

	it('is full, or waitlist when the activity keeps one', () => {
		expect(activityBadge(activity({ capacity: 48, seatsTaken: 48 }), NOW)).toBe('full');
		expect(
			activityBadge(activity({ capacity: 48, seatsTaken: 48, waitlistEnabled: true }), NOW)
		).toBe('waitlist');
	});

	it('tells an ineligible member so instead of showing open seats', () => {
		expect(activityBadge(activity({ eligible: false, ineligibleReason: 'gender' }), NOW)).toBe(
			'not_eligible'
		);
		// Cancelled and closed stay what they are: those are facts about the activity.
		expect(activityBadge(activity({ eligible: false, status: 'cancelled' }), NOW)).toBe(
			'cancelled'
		);
		expect(activityBadge(activity({ eligible: false, status: 'closed' }), NOW)).toBe('closed');
	});

	it('treats over-full (guests counted late) as full, never negative seats', () => {
		expect(activityBadge(activity({ capacity: 10, seatsTaken: 12 }), NOW)).toBe('full');
		expect(seatsLeft({ capacity: 10, seatsTaken: 12 })).toBe(0);
	});
});

describe('isSignupWindowOpen and isOpenToMe', () => {
	it('needs a published activity', () => {
		expect(isSignupWindowOpen(activity({ status: 'closed' }), NOW)).toBe(false);
	});

	it('needs eligibility', () => {
		expect(isOpenToMe(activity(), NOW)).toBe(true);
		expect(isOpenToMe(activity({ eligible: false, ineligibleReason: 'gender' }), NOW)).toBe(false);
	});

	it('does not depend on seats: a full activity is still open to me (waitlist, or watching)', () => {
		expect(isOpenToMe(activity({ capacity: 10, seatsTaken: 10 }), NOW)).toBe(true);
	});

	it('follows the clock it is given, not the device clock', () => {
		const later = new Date('2027-04-01T00:00:00Z');
		expect(isOpenToMe(activity(), later)).toBe(false);
	});
});

describe('seatsLeft', () => {
	it('is null for unlimited capacity', () => {
		expect(seatsLeft({ capacity: null, seatsTaken: 3 })).toBeNull();
	});
	it('is capacity minus taken', () => {
		expect(seatsLeft({ capacity: 48, seatsTaken: 40 })).toBe(8);
	});
});

describe('orderForMember', () => {
	it('puts what is ahead first, in server order, then ended activities, latest first', () => {
		const at = (id: string, end: string) => ({ id, endsAt: new Date(end) });
		const ordered = orderForMember(
			[
				at('jan', '2027-01-16T03:30:00Z'),
				at('feb', '2027-02-10T03:30:00Z'),
				at('running', '2027-03-01T05:00:00Z'),
				at('apr', '2027-04-16T03:00:00Z')
			],
			NOW
		);
		expect(ordered.map((a) => a.id)).toEqual(['running', 'apr', 'feb', 'jan']);
	});
});
