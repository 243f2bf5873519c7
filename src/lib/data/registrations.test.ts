import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { parseActivityDetail, parseQuestions } from './activity-detail.ts';
import { parseMyRegistration, parseSignUpResult } from './registrations.ts';

const registration = {
	id: 'r1',
	activity_id: 'a1',
	session_id: 's1',
	status: 'waitlisted',
	guest_names: ['孟小雨'],
	answers: { package: 'B' },
	source: 'self',
	ticket_secret: null,
	waitlist_position: 2,
	generation: 1,
	created_at: '2026-11-23T20:00:00+00:00',
	updated_at: '2026-11-23T20:00:00+00:00'
};

const detail = {
	id: 'a1',
	title: '年度职工健康体检',
	description: '',
	category: 'health',
	status: 'published',
	starts_at: '2027-01-03T23:30:00+00:00',
	ends_at: '2027-01-15T03:00:00+00:00',
	place: '体检中心二楼',
	capacity: null,
	seats_taken: 23,
	signup_opens_at: '2026-11-20T20:42:11.784+00:00',
	signup_closes_at: '2027-01-02T23:30:00+00:00',
	cancel_deadline: null,
	admission: 'first_come',
	waitlist_enabled: true,
	guests_max: 0,
	walk_in_allowed: false,
	eligible_genders: null,
	eligible_member_types: ['staff', 'contract'],
	eligible_unit_names: null,
	owner_unit_name: '市第一人民医院工会',
	questions: [
		{
			id: 'package',
			kind: 'choice',
			label: { zh: '体检套餐', en: 'Checkup package' },
			required: true,
			options: [{ value: 'A', label: { zh: 'A 套餐', en: 'Package A' } }]
		}
	],
	cancelled_reason: null,
	waitlist_length: 0,
	sessions: [
		{
			id: 's1',
			label: '',
			starts_at: '2027-01-03T23:30:00+00:00',
			ends_at: '2027-01-04T03:00:00+00:00',
			capacity: 60,
			seats_taken: 22
		}
	],
	ineligible_reason: null,
	my_registration: registration,
	version: 3,
	server_now: '2026-11-23T20:42:34.948+00:00'
};

describe('parseActivityDetail', () => {
	it('reads rules, sessions, questions and my registration', () => {
		const activity = parseActivityDetail(detail);
		expect(activity.eligibleMemberTypes).toEqual(['staff', 'contract']);
		expect(activity.cancelDeadline).toBeNull();
		expect(activity.sessions[0]?.capacity).toBe(60);
		expect(activity.questions[0]).toMatchObject({ id: 'package', kind: 'choice', required: true });
		expect(activity.myRegistration?.waitlistPosition).toBe(2);
		expect(activity.myRegistration?.guestNames).toEqual(['孟小雨']);
	});

	it('refuses unknown genders and member types', () => {
		expect(() => parseActivityDetail({ ...detail, eligible_genders: ['other'] })).toThrow(AppError);
		expect(() => parseActivityDetail({ ...detail, eligible_member_types: [1] })).toThrow(AppError);
	});
});

describe('parseQuestions', () => {
	it('applies the server defaults: optional, 200 characters, no bounds', () => {
		expect(
			parseQuestions([
				{ id: 'note', kind: 'text', label: { zh: '备注' } },
				{ id: 'age', kind: 'number', label: { zh: '年龄', en: 'Age' }, min: 18 }
			])
		).toEqual([
			{ id: 'note', kind: 'text', label: { zh: '备注', en: '' }, required: false, maxLength: 200 },
			{
				id: 'age',
				kind: 'number',
				label: { zh: '年龄', en: 'Age' },
				required: false,
				min: 18,
				max: null
			}
		]);
		expect(parseQuestions(null)).toEqual([]);
	});

	it('refuses questions it cannot read: no id, no label, options missing, a number as text', () => {
		const bad = [
			{ id: '', kind: 'text', label: { zh: '备注' } },
			{ id: 'x', kind: 'text' },
			{ id: 'x', kind: 'choice', label: { zh: '套餐' } },
			{ id: 'x', kind: 'number', label: { zh: '年龄' }, min: '18' },
			{ id: 'x', kind: 'text', label: { zh: '备注' }, max_length: 1.5 },
			{ id: 'x', kind: 'text', label: { zh: '备注' }, required: 'yes' }
		];
		for (const question of bad) {
			expect(() => parseQuestions([question]), JSON.stringify(question)).toThrow(AppError);
		}
		expect(() => parseQuestions({})).toThrow(AppError);
	});

	it('reads choices with their labels and keeps required', () => {
		expect(
			parseQuestions([
				{
					id: 'package',
					kind: 'choice',
					required: true,
					label: { zh: '套餐', en: 'Package' },
					options: [{ value: 'A', label: { zh: '基础' } }]
				}
			])
		).toEqual([
			{
				id: 'package',
				kind: 'choice',
				required: true,
				label: { zh: '套餐', en: 'Package' },
				options: [{ value: 'A', label: { zh: '基础', en: '' } }]
			}
		]);
	});

	it('refuses a kind it cannot show', () => {
		expect(() => parseQuestions([{ id: 'x', kind: 'date', label: { zh: '日期' } }])).toThrow(
			AppError
		);
	});
});

describe('parseSignUpResult and parseMyRegistration', () => {
	it('reads the outcome of sign_up', () => {
		const result = parseSignUpResult({ outcome: 'waitlisted', existing: false, registration });
		expect(result.outcome).toBe('waitlisted');
		expect(result.registration.id).toBe('r1');
	});

	it('reads a registration with its activity, session and check-in days', () => {
		const mine = parseMyRegistration({
			...registration,
			status: 'registered',
			ticket_secret: 'secret',
			waitlist_position: null,
			activity: {
				id: 'a1',
				title: '年度职工健康体检',
				category: 'health',
				status: 'published',
				starts_at: detail.starts_at,
				ends_at: detail.ends_at,
				place: detail.place,
				cancel_deadline: null,
				admission: 'first_come'
			},
			session: { id: 's1', label: '', starts_at: detail.starts_at, ends_at: detail.ends_at },
			checked_in_days: ['2027-01-04']
		});
		expect(mine.ticketSecret).toBe('secret');
		expect(mine.session?.id).toBe('s1');
		expect(mine.checkedInDays).toEqual(['2027-01-04']);
	});
});
