// 代报名 (signing colleagues up) for everyone who may do it, each in their own scope: a
// liaison-only account (工会小组长) its group, an organizer their branch, the office the whole
// union. The member list is paged and searchable with a total, so no list ends silently, and
// signing up on behalf answers per person with the reason in both languages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	asOwner,
	callApi,
	createActivity,
	demo,
	lanes,
	linkAllMembers,
	membersWhere,
	type Caller,
	type SeededDatabase
} from './support.ts';

interface MemberPage {
	total: number;
	offset: number;
	members: {
		id: string;
		name: string;
		employee_no: string;
		unit_code: string;
		unit_name: string;
		registration_status: string | null;
	}[];
}
interface GroupRegistration {
	member_id: string;
	unit_code: string;
	status: string;
}
interface SignupActivity {
	id: string;
	title: string;
}
interface OnBehalf {
	results: {
		member_id: string;
		status: string;
		code: string;
		outcome: string | null;
		message_zh: string | null;
		message_en: string | null;
	}[];
	applied: number;
	rejected: number;
}

describe.each(lanes())('signing colleagues up on $name', (lane) => {
	let db: SeededDatabase;
	const office = demo('office');
	const organizer = demo('organizer'); // organizer of U03 (nursing)
	const employee = demo('employee'); // ordinary member of U0301
	let liaison: Caller; // a U0302 member who is only a liaison of U0302

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		const [account] = await membersWhere(db.backend, `m.employee_no = '90716'`);
		if (!account) throw new Error('90716 is not in the seed');
		liaison = account;
		const granted = await api(
			office,
			`select public.grant_role('90716', 'liaison', 'U0302') as result`
		);
		if (!granted.ok) throw new Error(granted.code);
	});

	afterAll(async () => {
		await db.close();
	});

	const api = <T>(caller: Caller, sql: string, params: (string | number | null)[] = []) =>
		callApi<T>(
			db.backend,
			caller,
			sql,
			params.map((p) => (p === null ? null : String(p)))
		);

	async function ok<T>(caller: Caller, sql: string, params: (string | number | null)[] = []) {
		const outcome = await api<T>(caller, sql, params);
		if (!outcome.ok) throw new Error(`${outcome.status} ${outcome.code}`);
		return outcome.value;
	}

	async function one<T>(sql: string, params: string[] = []): Promise<T> {
		const rows = await asOwner(db.backend, (tx) => tx.query<T>(sql, params));
		return rows[0] as T;
	}

	const activeIn = (condition: string) =>
		one<{ n: number }>(
			`select count(*)::int as n from private.members m join private.units u on u.id = m.unit_id
			where (m.active_until is null or m.active_until > current_date) and (${condition})`
		).then((r) => r.n);

	const members = (
		caller: Caller,
		query = '',
		offset = 0,
		limit = 50,
		activity: string | null = null
	) =>
		api<MemberPage>(
			caller,
			'select public.list_signup_members($1, $2::int, $3::int, $4::uuid) as result',
			[query, offset, limit, activity]
		);

	const memberIdOf = (employeeNo: string) =>
		one<{ id: string }>('select id from private.members where employee_no = $1', [employeeNo]).then(
			(r) => r.id
		);

	test('R5 a liaison-only account lists its own group, its registrations and open activities; each role by its scope', async () => {
		// The liaison's own roles: nothing but liaison of U0302.
		const roles = await one<{ roles: string }>(
			`select string_agg(r.role, ',') as roles from private.staff_roles r
			join private.members m on m.id = r.member_id where m.employee_no = '90716' and r.revoked_at is null`
		);
		expect(roles.roles).toBe('liaison');

		// Members: the group for the liaison, the branch for the organizer, all for the office.
		const group = await members(liaison, '', 0, 200);
		if (!group.ok) throw new Error(group.code);
		expect(group.value.total).toBe(await activeIn(`u.code = 'U0302'`));
		expect(group.value.members).toHaveLength(group.value.total);
		expect(new Set(group.value.members.map((m) => m.unit_code))).toEqual(new Set(['U0302']));
		const branch = await ok<MemberPage>(organizer, 'select public.list_signup_members() as result');
		expect(branch.total).toBe(await activeIn(`u.code like 'U03%'`));
		expect(branch.members).toHaveLength(50);
		for (const m of branch.members) expect(m.unit_code.startsWith('U03')).toBe(true);
		const union = await ok<MemberPage>(office, 'select public.list_signup_members() as result');
		expect(union.total).toBe(await activeIn('true'));
		expect(await members(employee)).toMatchObject({ ok: false, code: 'not_allowed' });

		// Paged: the second page follows the first, the total stays.
		const first = await members(liaison, '', 0, 5);
		const second = await members(liaison, '', 5, 5);
		if (!first.ok || !second.ok) throw new Error('paging failed');
		expect(second.value.total).toBe(group.value.total);
		expect(first.value.members.map((m) => m.id)).toEqual(
			group.value.members.slice(0, 5).map((m) => m.id)
		);
		expect(second.value.members.map((m) => m.id)).toEqual(
			group.value.members.slice(5, 10).map((m) => m.id)
		);

		// Searchable by name, 工号 and phone suffix; someone of another group is never found.
		expect(await members(liaison, '钱洋')).toMatchObject({
			ok: true,
			value: { total: 1, members: [{ employee_no: '90913', unit_code: 'U0302' }] }
		});
		expect(await members(liaison, '90913')).toMatchObject({
			ok: true,
			value: { members: [{ name: '钱洋' }] }
		});
		expect(await members(liaison, '0905')).toMatchObject({
			ok: true,
			value: { members: [{ name: '钱洋' }] }
		});
		expect(await members(liaison, '孟婷雪')).toMatchObject({ ok: true, value: { total: 0 } });
		expect(await members(office, '孟婷雪')).toMatchObject({ ok: true, value: { total: 1 } });

		// Same-name colleagues come with their unit and 工号 to tell them apart.
		await asOwner(db.backend, (tx) =>
			tx.query(`insert into private.members (employee_no, name, gender, member_type, unit_id)
				select 'R5TWIN', '钱洋', 'male', 'staff', id from private.units where code = 'U0301'`)
		);
		const twins = await ok<MemberPage>(
			organizer,
			`select public.list_signup_members('钱洋') as result`
		);
		expect(twins.members.map((m) => `${m.unit_name} ${m.employee_no}`).sort()).toEqual([
			'病区护理工会小组 90913',
			'门急诊护理工会小组 R5TWIN'
		]);

		// Activities they may sign colleagues up for: published and open, not drafts or closed ones.
		const open = await createActivity(db.backend, { title: 'R5 open', capacity: 20 });
		const draft = await createActivity(db.backend, { title: 'R5 draft', status: 'draft' });
		const closed = await createActivity(db.backend, {
			title: 'R5 closed',
			signup_closes_at: new Date(Date.now() - 3600_000).toISOString()
		});
		const elsewhere = await createActivity(db.backend, {
			title: 'R5 internal medicine only',
			eligible_unit_ids: [
				(await one<{ id: string }>(`select id from private.units where code = 'U01'`)).id
			]
		});
		const listed = (
			await ok<SignupActivity[]>(
				liaison,
				'select to_jsonb(array_agg(a)) as result from public.list_signup_activities() a'
			)
		).map((a) => a.id);
		expect(listed).toContain(open);
		expect(listed).not.toContain(draft);
		expect(listed).not.toContain(closed);
		expect(listed).not.toContain(elsewhere);
		const officeListed = (
			await ok<SignupActivity[]>(
				office,
				'select to_jsonb(array_agg(a)) as result from public.list_signup_activities() a'
			)
		).map((a) => a.id);
		expect(officeListed).toContain(elsewhere);
		expect(
			await api(
				employee,
				'select to_jsonb(array_agg(a)) as result from public.list_signup_activities() a'
			)
		).toMatchObject({ ok: false, code: 'not_allowed' });

		// Registrations: the liaison signs a colleague up and sees their group's registrations only.
		const colleague = await memberIdOf('90913');
		const nurse = await memberIdOf('20622'); // U0301
		const outsider = await memberIdOf(
			(
				await one<{ e: string }>(
					`select m.employee_no as e from private.members m join private.units u on u.id = m.unit_id
			where u.code = 'U0101' order by m.employee_no limit 1`
				)
			).e
		);
		const signed = await ok<OnBehalf>(
			liaison,
			'select public.sign_up_on_behalf($1::uuid, array[$2::uuid]) as result',
			[open, colleague]
		);
		expect(signed.results).toMatchObject([{ member_id: colleague, outcome: 'registered' }]);
		await ok(
			office,
			'select public.sign_up_on_behalf($1::uuid, array[$2::uuid, $3::uuid]) as result',
			[open, nurse, outsider]
		);
		const registrationsOf = (caller: Caller) =>
			api<GroupRegistration[]>(
				caller,
				'select coalesce(to_jsonb(array_agg(r)), $2::jsonb) as result from public.list_signup_registrations($1::uuid) r',
				[open, '[]']
			);
		const seen = async (caller: Caller) => {
			const outcome = await registrationsOf(caller);
			if (!outcome.ok) throw new Error(outcome.code);
			return outcome.value.map((r) => r.member_id).sort();
		};
		expect(await seen(liaison)).toEqual([colleague]);
		expect(await seen(organizer)).toEqual([colleague, nurse].sort());
		expect(await seen(office)).toEqual([colleague, nurse, outsider].sort());
		expect(await registrationsOf(employee)).toMatchObject({ ok: false, code: 'not_allowed' });
		expect(
			await api(
				liaison,
				'select to_jsonb(array_agg(r)) as result from public.list_signup_registrations($1::uuid) r',
				[draft]
			)
		).toMatchObject({ ok: false, code: 'activity_not_found' });

		// The member list marks who is already signed up for the chosen activity.
		const marked = await members(liaison, '钱洋', 0, 50, open);
		expect(marked).toMatchObject({
			ok: true,
			value: { members: [{ registration_status: 'registered' }] }
		});
	});

	test('R6 signing up on behalf answers per person: registered, waitlisted, pending or refused with the reason', async () => {
		const men = await Promise.all(['84822', '35130'].map(memberIdOf)); // U0302, male
		const women = await Promise.all(['34713', '46101'].map(memberIdOf)); // U0302, female
		const womenOnly = await createActivity(db.backend, {
			title: 'R6 women only',
			eligible_genders: ['female'],
			capacity: 1,
			waitlist_enabled: true
		});
		const answer = await ok<OnBehalf>(
			liaison,
			'select public.sign_up_on_behalf($1::uuid, array[$2::uuid, $3::uuid, $4::uuid, $5::uuid]) as result',
			[womenOnly, ...men, ...women]
		);
		expect(answer.applied).toBe(2);
		expect(answer.rejected).toBe(2);
		const byMember = new Map(answer.results.map((r) => [r.member_id, r]));
		for (const man of men) {
			expect(byMember.get(man)).toMatchObject({
				status: 'rejected',
				code: 'ineligible_gender',
				message_zh: '该活动仅限女职工参加。',
				message_en: 'This activity is for female members only.'
			});
		}
		expect(women.map((w) => byMember.get(w)?.outcome).sort()).toEqual(['registered', 'waitlisted']);

		const approval = await createActivity(db.backend, {
			title: 'R6 approval',
			admission: 'approval'
		});
		expect(
			await ok<OnBehalf>(
				liaison,
				'select public.sign_up_on_behalf($1::uuid, array[$2::uuid]) as result',
				[approval, women[0]!]
			)
		).toMatchObject({ results: [{ status: 'applied', outcome: 'pending_approval' }] });

		// Out of scope: refused with words as well.
		const nurse = await memberIdOf('20622');
		expect(
			await ok<OnBehalf>(
				liaison,
				'select public.sign_up_on_behalf($1::uuid, array[$2::uuid]) as result',
				[approval, nurse]
			)
		).toMatchObject({
			results: [{ status: 'rejected', code: 'member_not_in_scope', message_zh: expect.any(String) }]
		});
	});

	test('R7 the office finds members beyond the old cap of 5,000: paged, searchable, with the right total', async () => {
		await asOwner(db.backend, async (tx) => {
			await tx.query(`insert into private.units (code, name, kind, parent_id)
				select 'R7', 'R7 大分会', 'branch', id from private.units where code = 'U00'`);
			await tx.query(`insert into private.members (employee_no, name, gender, member_type, unit_id)
				select 'R7' || lpad(i::text, 5, '0'), '测试' || lpad(i::text, 5, '0'),
					case when i % 2 = 0 then 'female' else 'male' end, 'staff', u.id
				from generate_series(1, 6000) i cross join private.units u where u.code = 'R7'`);
		});
		const total = await activeIn('true');
		expect(total).toBeGreaterThan(6000);
		const first = await members(office, '', 0, 200);
		expect(first).toMatchObject({ ok: true, value: { total } });
		if (!first.ok) throw new Error(first.code);
		expect(first.value.members).toHaveLength(200);

		// Past the old cap, by paging and by search.
		const late = await members(office, '', total - 10, 200);
		if (!late.ok) throw new Error(late.code);
		expect(late.value).toMatchObject({ total, offset: total - 10 });
		expect(late.value.members).toHaveLength(10);
		const last = await members(office, 'R705999');
		expect(last).toMatchObject({
			ok: true,
			value: { total: 1, members: [{ name: '测试05999', unit_code: 'R7' }] }
		});
		expect(await members(office, '测试0')).toMatchObject({ ok: true, value: { total: 6000 } });
		// A page is at most 200 rows, and a bad page is refused rather than cut.
		expect(await members(office, '', 0, 201)).toMatchObject({ ok: false, code: 'page_invalid' });
		expect(await members(office, '', -1, 50)).toMatchObject({ ok: false, code: 'page_invalid' });
	});
});
