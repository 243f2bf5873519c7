// Who sees what (docs/invariants.md, promise 4), on every back end that runs here: RLS on every table,
// the API's privileges, and the row sets of the roles of the demo union.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anon, as, asOwner, demo, lanes, sqlState, user, type SeededDatabase } from './support.ts';

const STRANGER = '00000000-0000-4000-8000-0000000000aa';

describe.each(lanes())('access on $name', (lane) => {
	let db: SeededDatabase;

	beforeAll(async () => {
		db = await lane.open();
		// Registrations of the demo employee and of a member of another branch (U01).
		await asOwner(db.backend, (tx) =>
			tx.query(`
				insert into private.registrations (activity_id, member_id, status)
				select a.id, m.id, 'registered'
				from private.activities a, private.members m
				where a.title = '第三届职工运动会'
					and (m.email = 'employee@union.example'
						or m.employee_no = (
							select min(x.employee_no) from private.members x
							join private.units u on u.id = x.unit_id where u.code = 'U0101'))
				on conflict (activity_id, member_id) do nothing`)
		);
	});

	afterAll(async () => {
		await db.close();
	});

	test('every table has row-level security switched on', async () => {
		const rows = await asOwner(db.backend, (tx) =>
			tx.query<{ table: string; rls: boolean }>(`
				select n.nspname || '.' || c.relname as table, c.relrowsecurity as rls
				from pg_class c join pg_namespace n on n.oid = c.relnamespace
				where c.relkind in ('r', 'p') and n.nspname in ('public', 'private')
				order by 1`)
		);
		expect(rows.length).toBeGreaterThanOrEqual(11);
		expect(rows.filter((r) => !r.rls)).toEqual([]);
	});

	test('every function has a fixed search_path, and no security definer is exposed', async () => {
		const rows = await asOwner(db.backend, (tx) =>
			tx.query<{ fn: string; definer: boolean; fixed: boolean; schema: string }>(`
				select n.nspname as schema, p.proname as fn, p.prosecdef as definer,
					coalesce(array_to_string(p.proconfig, ',') like '%search_path=%', false) as fixed
				from pg_proc p join pg_namespace n on n.oid = p.pronamespace
				where n.nspname in ('public', 'private')`)
		);
		expect(rows.filter((r) => !r.fixed).map((r) => r.fn)).toEqual([]);
		expect(rows.filter((r) => r.schema === 'public' && r.definer).map((r) => r.fn)).toEqual([]);
	});

	test('the anonymous key reads nothing private and calls no API function', async () => {
		expect(
			await sqlState(as(db.backend, anon, (tx) => tx.query('select * from private.members')))
		).toBe('42501');
		expect(await sqlState(as(db.backend, anon, (tx) => tx.query('select public.whoami()')))).toBe(
			'42501'
		);
		expect(
			await sqlState(
				as(db.backend, anon, (tx) => tx.query('select * from public.list_activities()'))
			)
		).toBe('42501');
	});

	test('no caller writes a table directly', async () => {
		const write = `insert into private.registrations (activity_id, member_id, status)
			select a.id, m.id, 'registered' from private.activities a, private.members m limit 1`;
		expect(await sqlState(as(db.backend, demo('employee'), (tx) => tx.query(write)))).toBe('42501');
		expect(await sqlState(as(db.backend, demo('office'), (tx) => tx.query(write)))).toBe('42501');
		expect(
			await sqlState(
				as(db.backend, demo('office'), (tx) => tx.query(`update private.members set name = 'x'`))
			)
		).toBe('42501');
	});

	test('an employee reads only their own registration and roster entry', async () => {
		const seen = await as(db.backend, demo('employee'), (tx) =>
			tx.query<{ email: string }>(`
				select m.email from private.registrations r join private.members m on m.id = r.member_id`)
		);
		expect(seen).toEqual([{ email: 'employee@union.example' }]);
		const members = await as(db.backend, demo('employee'), (tx) =>
			tx.query<{ n: number }>('select count(*)::int as n from private.members')
		);
		expect(members).toEqual([{ n: 1 }]);
	});

	test('an organizer of one branch reads its people and not another branch', async () => {
		const counts = await as(db.backend, demo('organizer'), (tx) =>
			tx.query<{ code: string; n: number }>(`
				select b.code, count(m.id)::int as n
				from private.members m
				join private.units u on u.id = m.unit_id
				join private.units b on b.id = u.ancestors[2]
				group by b.code order by b.code`)
		);
		expect(counts).toEqual([{ code: 'U03', n: 101 }]);
		const foreignRegistrations = await as(db.backend, demo('organizer'), (tx) =>
			tx.query(`
				select r.id from private.registrations r
				join private.members m on m.id = r.member_id
				join private.units u on u.id = m.unit_id
				where not (u.ancestors && array[(select id from private.units where code = 'U03')])`)
		);
		// Only registrations of activities the nursing branch runs would show; the sports meet is
		// the union's, so the U01 member's registration stays hidden.
		expect(foreignRegistrations).toEqual([]);
	});

	test('the union office reads the whole roster', async () => {
		const members = await as(db.backend, demo('office'), (tx) =>
			tx.query<{ n: number }>('select count(*)::int as n from private.members')
		);
		expect(members).toEqual([{ n: 640 }]);
	});

	test('an account that is not on the roster sees no activities, units or people', async () => {
		await asOwner(db.backend, (tx) =>
			tx.query(
				`insert into auth.users (id, email, email_confirmed_at, aud, role)
				values ($1::uuid, 'stranger@elsewhere.example', now(), 'authenticated', 'authenticated')`,
				[STRANGER]
			)
		);
		const stranger = user(STRANGER, 'stranger@elsewhere.example');
		const me = await as(db.backend, stranger, (tx) =>
			tx.query<{ whoami: { member: unknown; roles: unknown[] } }>('select public.whoami()')
		);
		expect(me[0]?.whoami.member).toBeNull();
		expect(me[0]?.whoami.roles).toEqual([]);
		const visible = await as(db.backend, stranger, (tx) =>
			tx.query<{ n: number }>(`
				select (select count(*) from private.activities)
					+ (select count(*) from private.units)
					+ (select count(*) from private.members) as n`)
		);
		expect(Number(visible[0]?.n)).toBe(0);
		expect(
			await sqlState(
				as(db.backend, stranger, (tx) => tx.query('select * from public.list_activities()'))
			)
		).toBe('PT403');
	});
});
