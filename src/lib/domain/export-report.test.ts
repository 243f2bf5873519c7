import { describe, expect, it } from 'vitest';
import { describeChange, yearlySummary, type Figures } from './export-report.ts';

const total: Figures = {
	attendances: 855,
	participants: 612,
	guestAttendances: 40,
	admitted: 900,
	showUpRate: 0.95,
	headcount: 718,
	participationRate: 612 / 718,
	activityCount: 7
};

describe('yearlySummary', () => {
	it('writes the paragraph the work report quotes, with last year', () => {
		const text = yearlySummary({
			year: 2026,
			total,
			previous: { ...total, attendances: 760, participants: 556, activityCount: 6 },
			categories: [
				{ label: '文体', attendances: 420, activityCount: 3 },
				{ label: '出游', attendances: 0, activityCount: 0 },
				{ label: '健康体检', attendances: 435, activityCount: 4 }
			]
		});
		expect(text).toBe(
			'2026年，工会共组织开展活动7项，职工参加855人次、612人，职工参与率85.2%（在册会员718人），另有家属参加40人次；' +
				'与上年同期相比，参加人次增加12.5%，参与人数增加10.1%。其中，文体类3项、420人次，健康体检类4项、435人次。'
		);
	});

	it('leaves out what it does not know', () => {
		const text = yearlySummary({
			year: 2025,
			total: { ...total, guestAttendances: 0, participationRate: null, activityCount: null },
			previous: null,
			categories: []
		});
		expect(text).toBe('2025年，工会职工参加855人次、612人。');
	});

	it('describes changes in words', () => {
		expect(describeChange(0.1)).toBe('增加10.0%');
		expect(describeChange(-0.032)).toBe('减少3.2%');
		expect(describeChange(0)).toBe('持平');
		expect(describeChange(null)).toBeNull();
	});
});
