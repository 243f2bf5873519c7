// The API of the first screens: whoami (with linking an account to its roster entry by email)
// and list_activities (with eligibility and the server's clock).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_ACCOUNTS, as, asOwner, demo, lanes, user, type SeededDatabase } from './support.ts';

interface Whoami {
	user_id: string;
	email: string;
	union: { name: string; time_zone: string };
	member: null | {
		employee_no: string;
		name: string;
		gender: string;
		unit_name: string;
		branch_name: string;
	};
	roles: Array<{ role: string; unit_name: string | null }>;
}

interface ActivityRow {
	title: string;
	status: string;
	eligible: boolean;
	ineligible_reason: string | null;
	seats_taken: number;
	server_now: string;
}

const NEW_USER = '00000000-0000-4000-8000-0000000000b1';

describe.each(lanes())('first screens on $name', (lane) => {
	let db: SeededDatabase;

	beforeAll(async () => {
		db = await lane.open();
	});

	afterAll(async () => {
		await db.close();
	});

	async function whoami(userId: string, email: string): Promise<Whoami> {
		const rows = await as(
			db.backend,
			user(userId, email),
			(tx) => tx.query<{ whoami: Whoami }>('select public.whoami()'),
			{ commit: true }
		);
		const me = rows[0]?.whoami;
		if (!me) throw new Error('whoami returned nothing');
		return me;
	}

	test('whoami tells the demo employee who they are, in which unit and branch', async () => {
		const me = await whoami(DEMO_ACCOUNTS.employee.userId, DEMO_ACCOUNTS.employee.email);
		expect(me.union).toEqual({ name: '市第一人民医院工会', time_zone: 'Asia/Shanghai' });
		expect(me.member?.gender).toBe('female');
		expect(me.member?.unit_name).toBe('门急诊护理工会小组');
		expect(me.member?.branch_name).toBe('护理分工会');
		expect(me.roles).toEqual([]);
	});

	test('whoami lists the roles of the organizer and the office', async () => {
		const organizer = await whoami(DEMO_ACCOUNTS.organizer.userId, DEMO_ACCOUNTS.organizer.email);
		expect(organizer.roles).toEqual([
			expect.objectContaining({ role: 'organizer', unit_name: '护理分工会' })
		]);
		const office = await whoami(DEMO_ACCOUNTS.office.userId, DEMO_ACCOUNTS.office.email);
		expect(office.roles).toEqual([expect.objectContaining({ role: 'office', unit_name: null })]);
	});

	test('a first sign-in links the account to the roster entry with the same confirmed email', async () => {
		const employeeNo = await asOwner(db.backend, async (tx) => {
			const [row] = await tx.query<{ employee_no: string; email: string }>(
				`select employee_no, email from private.members where user_id is null and email is not null order by employee_no limit 1`
			);
			if (!row) throw new Error('no unlinked member');
			// An unconfirmed account with that email first: it must not be linked.
			await tx.query(
				`insert into auth.users (id, email, aud, role) values ($1::uuid, upper($2), 'authenticated', 'authenticated')`,
				[NEW_USER, row.email]
			);
			return row;
		});
		const before = await whoami(NEW_USER, employeeNo.email);
		expect(before.member).toBeNull();

		await asOwner(db.backend, (tx) =>
			tx.query(`update auth.users set email_confirmed_at = now() where id = $1::uuid`, [NEW_USER])
		);
		const after = await whoami(NEW_USER, employeeNo.email);
		expect(after.member?.employee_no).toBe(employeeNo.employee_no);
		const audit = await asOwner(db.backend, (tx) =>
			tx.query(`select action from private.audit_log where actor_user_id = $1::uuid`, [NEW_USER])
		);
		expect(audit).toEqual([{ action: 'account_linked' }]);
	});

	test('list_activities gives every published activity with eligibility and the server clock', async () => {
		const rows = await as(db.backend, demo('employee'), (tx) =>
			tx.query<ActivityRow>('select * from public.list_activities()')
		);
		expect(rows).toHaveLength(12);
		const byTitle = new Map(rows.map((r) => [r.title, r]));
		expect(byTitle.get('女职工妇科健康检查')?.eligible).toBe(true);
		expect(byTitle.get('护理技能竞赛（初赛）')).toMatchObject({
			eligible: true,
			ineligible_reason: null
		});
		expect(byTitle.get('年度职工健康体检')?.status).toBe('published');
		expect(byTitle.get('迎新春职工拔河比赛')?.status).toBe('completed');
		const now = new Set(rows.map((r) => new Date(r.server_now).toISOString()));
		expect(now.size).toBe(1);
	});

	test('a man is told why the women-only activities are not for him', async () => {
		const man = await asOwner(db.backend, async (tx) => {
			const [row] = await tx.query<{ id: string; email: string }>(
				`select m.id, m.email from private.members m join private.units u on u.id = m.unit_id
				where m.gender = 'male' and m.member_type = 'staff' and u.code like 'U01%' order by m.employee_no limit 1`
			);
			if (!row) throw new Error('no male member');
			await tx.query(
				`insert into auth.users (id, email, email_confirmed_at, aud, role) values (gen_random_uuid(), $1, now(), 'authenticated', 'authenticated')`,
				[row.email]
			);
			const [account] = await tx.query<{ id: string }>(
				`select id from auth.users where email = $1`,
				[row.email]
			);
			await tx.query(`update private.members set user_id = $1::uuid where id = $2::uuid`, [
				account?.id ?? null,
				row.id
			]);
			return { userId: account?.id ?? '', email: row.email };
		});
		const rows = await as(db.backend, user(man.userId, man.email), (tx) =>
			tx.query<ActivityRow>('select * from public.list_activities()')
		);
		const byTitle = new Map(rows.map((r) => [r.title, r]));
		expect(byTitle.get('女职工妇科健康检查')).toMatchObject({
			eligible: false,
			ineligible_reason: 'gender'
		});
		expect(byTitle.get('护理技能竞赛（初赛）')).toMatchObject({
			eligible: false,
			ineligible_reason: 'unit'
		});
		expect(byTitle.get('第三届职工运动会')).toMatchObject({ eligible: true });
	});

	test('seats taken equal the admitted registrations and their guests', async () => {
		const mismatches = await asOwner(db.backend, (tx) =>
			tx.query(`
				select a.title from private.activities a
				where a.seats_taken <> (
					select coalesce(sum(1 + cardinality(r.guest_names)), 0) from private.registrations r
					where r.activity_id = a.id and r.status = 'registered')`)
		);
		expect(mismatches).toEqual([]);
	});
});
