import { describe, expect, it } from 'vitest';
import { parseActivityRow } from './activities.ts';
import { AppError } from './errors.ts';
import { parseSignupActivities } from './liaison.ts';
import { parseWhoami } from './me.ts';
import {
	readNullableInteger,
	readNullableString,
	readOptionalInteger,
	readOptionalString
} from './parse.ts';

const whoamiAnswer = {
	user_id: '0b6f3c1e-0000-4000-8000-000000000001',
	email: 'employee@union.example',
	union: { name: '市第一人民医院工会', time_zone: 'Asia/Shanghai' },
	member: {
		id: 'm1',
		employee_no: '74731',
		name: '马莉秀',
		gender: 'female',
		member_type: 'contract',
		unit_id: 'u1',
		unit_name: '检验科',
		branch_name: '医技分工会'
	},
	roles: [{ role: 'liaison', unit_id: 'u1', unit_name: '检验科', activity_id: null }]
};

const activityRow = {
	id: 'a1',
	title: '职工羽毛球比赛',
	category: 'sports',
	status: 'published',
	starts_at: '2027-03-20T06:00:00+00:00',
	ends_at: '2027-03-20T09:30:00+00:00',
	place: '市全民健身中心羽毛球馆',
	capacity: 48,
	seats_taken: 40,
	signup_opens_at: null,
	signup_closes_at: '2027-03-17T00:00:00+00:00',
	admission: 'first_come',
	waitlist_enabled: true,
	guests_max: 0,
	session_count: 1,
	version: 3,
	eligible: false,
	ineligible_reason: 'gender',
	my_registration_status: null,
	server_now: '2027-03-01T02:00:00.123+00:00'
};

describe('parseWhoami', () => {
	it('reads a member with roles', () => {
		const me = parseWhoami(whoamiAnswer);
		expect(me.member?.name).toBe('马莉秀');
		expect(me.member?.branchName).toBe('医技分工会');
		expect(me.union.timeZone).toBe('Asia/Shanghai');
		expect(me.roles).toEqual([
			{ role: 'liaison', unitId: 'u1', unitName: '检验科', activityId: null }
		]);
	});

	it('reads an account that is not on the roster', () => {
		const me = parseWhoami({ ...whoamiAnswer, member: null, roles: [] });
		expect(me.member).toBeNull();
	});

	it('falls back to Asia/Shanghai for a missing or unknown time zone', () => {
		const me = parseWhoami({ ...whoamiAnswer, union: { name: 'X', time_zone: 'Nowhere/Land' } });
		expect(me.union.timeZone).toBe('Asia/Shanghai');
	});

	it('rejects a wrong shape with a bad_response error', () => {
		expect(() => parseWhoami({ ...whoamiAnswer, member: { name: 1 } })).toThrow(AppError);
		expect(() => parseWhoami('nope')).toThrow(AppError);
	});
});

describe('parseActivityRow', () => {
	it('reads timestamps, nulls and enums', () => {
		const activity = parseActivityRow(activityRow);
		expect(activity.startsAt.toISOString()).toBe('2027-03-20T06:00:00.000Z');
		expect(activity.signupOpensAt).toBeNull();
		expect(activity.ineligibleReason).toBe('gender');
		expect(activity.serverNow.toISOString()).toBe('2027-03-01T02:00:00.123Z');
	});

	it('reads unlimited capacity as null', () => {
		expect(parseActivityRow({ ...activityRow, capacity: null }).capacity).toBeNull();
	});

	it('rejects unknown enum values and bad timestamps', () => {
		expect(() => parseActivityRow({ ...activityRow, category: 'party' })).toThrow(AppError);
		expect(() => parseActivityRow({ ...activityRow, starts_at: 'soon' })).toThrow(AppError);
	});
});

describe('nullable columns', () => {
	it('reads null as null, but a missing column as an error', () => {
		expect(readNullableString({ note: null }, 'note')).toBeNull();
		expect(() => readNullableString({}, 'note')).toThrow(AppError);
		expect(() => readNullableInteger({ capacity_renamed: 3 }, 'capacity')).toThrow(AppError);
	});

	it('an activity row without its my_registration_status column is an error, not "none"', () => {
		const { my_registration_status: _dropped, ...row } = activityRow;
		expect(() => parseActivityRow(row)).toThrow(AppError);
	});

	it('authored JSON may leave an optional key out', () => {
		expect(readOptionalString({}, 'en')).toBeNull();
		expect(readOptionalInteger({ max_length: 50 }, 'max_length')).toBe(50);
		expect(() => readOptionalString({ en: 5 }, 'en')).toThrow(AppError);
	});
});

describe('parseSignupActivities', () => {
	const row = {
		id: 'a1',
		title: '女职工健康体检',
		starts_at: '2027-03-20T06:00:00+00:00',
		eligible_genders: ['female'],
		session_count: 2
	};

	it('reads who may sign up', () => {
		expect(parseSignupActivities([row])[0]?.eligibleGenders).toEqual(['female']);
		expect(parseSignupActivities([{ ...row, eligible_genders: null }])[0]?.eligibleGenders).toBe(
			null
		);
	});

	it('a row without eligible_genders is an error, not "open to everyone"', () => {
		const { eligible_genders: _dropped, ...renamed } = row;
		expect(() => parseSignupActivities([renamed])).toThrow(AppError);
	});
});
