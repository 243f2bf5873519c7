import { describe, expect, it } from 'vitest';
import { activityDays, matchesSearch, overlapsDays } from './activity-filter.ts';
import { unionDay } from './union-day.ts';

const TZ = 'Asia/Shanghai';
const trip = {
	title: '“相约山水”秋季一日游',
	place: '南山风景区（集合：医院正门）',
	// 16 Oct 07:00–18:00 in Shanghai.
	startsAt: new Date('2027-10-15T23:00:00Z'),
	endsAt: new Date('2027-10-16T10:00:00Z')
};
const meet = {
	title: '第三届职工运动会',
	place: '市体育场',
	startsAt: new Date('2027-05-22T00:00:00Z'),
	endsAt: new Date('2027-05-23T09:00:00Z')
};

describe('unionDay', () => {
	it('takes the day in the union time zone, not UTC', () => {
		expect(unionDay(trip.startsAt, TZ)).toBe('2027-10-16');
		expect(unionDay(trip.startsAt, 'UTC')).toBe('2027-10-15');
	});
});

describe('matchesSearch', () => {
	it('finds words in the title or the place, ignoring case, width and spaces', () => {
		expect(matchesSearch(trip, '一日游')).toBe(true);
		expect(matchesSearch(trip, '南山')).toBe(true);
		expect(matchesSearch(trip, '秋季 正门')).toBe(true);
		expect(matchesSearch(trip, '羽毛球')).toBe(false);
		expect(matchesSearch({ title: 'Badminton', place: 'Hall B' }, 'ｂａｄ hall')).toBe(true);
	});

	it('matches everything for an empty query', () => {
		expect(matchesSearch(trip, '   ')).toBe(true);
	});
});

describe('overlapsDays', () => {
	it('keeps activities on any day of the range, bounds included', () => {
		expect(overlapsDays(trip, '2027-10-16', '2027-10-16', TZ)).toBe(true);
		expect(overlapsDays(trip, '2027-10-17', '', TZ)).toBe(false);
		expect(overlapsDays(trip, '', '2027-10-15', TZ)).toBe(false);
		expect(overlapsDays(trip, '', '', TZ)).toBe(true);
	});

	it('matches a multi-day activity on its second day', () => {
		expect(overlapsDays(meet, '2027-05-23', '2027-05-30', TZ)).toBe(true);
	});
});

describe('activityDays', () => {
	it('lists every day covered', () => {
		expect(activityDays(meet.startsAt, meet.endsAt, TZ)).toEqual(['2027-05-22', '2027-05-23']);
		expect(activityDays(trip.startsAt, trip.endsAt, TZ)).toEqual(['2027-10-16']);
	});
});
