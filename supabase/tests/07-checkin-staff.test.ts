// Check-in staff (签到员): the scanner-only grant for one activity, named by 工号 by the office or
// the activity's organizers, revocable, audited; and the scanner's list of activities.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	anon,
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

interface Grant {
	role_id: string;
	member_id: string;
	name: string;
	employee_no: string;
	created: boolean;
}

interface StaffRow {
	role_id: string;
	employee_no: string;
	name: string;
	granted_by: string | null;
}

interface ScanActivity {
	id: string;
	days: string[];
	manages: boolean;
}

describe.each(lanes())('check-in staff on $name', (lane) => {
	let db: SeededDatabase;
	let helper: Caller;
	let helperNo: string;
	let bystander: Caller;
	const office = demo('office');
	// Organizer of the nursing branch (U03): manages activities owned by U03 and below only.
	const organizer = demo('organizer');

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		const [first, second] = await membersWhere(
			db.backend,
			`m.member_type = 'staff' and u.code like 'U02%'`,
			2
		);
		if (!first || !second || first.role !== 'authenticated') throw new Error('no members');
		helper = first;
		bystander = second;
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ employee_no: string }>(
				'select employee_no from private.members where user_id = $1::uuid',
				[first.userId]
			)
		);
		helperNo = row?.employee_no ?? '';
	});

	afterAll(async () => {
		await db.close();
	});

	const today = (fields: Record<string, unknown> = {}) =>
		createActivity(db.backend, {
			starts_at: new Date(Date.now() - 3_600_000).toISOString(),
			ends_at: new Date(Date.now() + 3_600_000).toISOString(),
			...fields
		});

	const nursingUnit = async (): Promise<string> => {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(`select id from private.units where code = 'U03'`)
		);
		return row?.id ?? '';
	};

	const grant = (caller: Caller, activity: string, employeeNo: string) =>
		callApi<Grant>(
			db.backend,
			caller,
			'select public.grant_checkin_staff($1::uuid, $2) as result',
			[activity, employeeNo]
		);
	const revoke = (caller: Caller, role: string) =>
		callApi(db.backend, caller, 'select public.revoke_role($1::uuid) as result', [role]);
	const staffOf = (caller: Caller, activity: string) =>
		callApi<StaffRow[]>(
			db.backend,
			caller,
			'select public.list_activity_staff($1::uuid) as result',
			[activity]
		);
	const roster = (caller: Caller, activity: string) =>
		callApi(db.backend, caller, 'select public.get_checkin_roster($1::uuid) as result', [activity]);
	const scanList = (caller: Caller) =>
		callApi<ScanActivity[]>(
			db.backend,
			caller,
			'select public.list_checkin_activities() as result'
		);

	async function audit(action: string, roleId: string): Promise<number> {
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ n: number }>(
				`select count(*)::int as n from private.audit_log where action = $1 and subject ->> 'role_id' = $2`,
				[action, roleId]
			)
		);
		return row?.n ?? -1;
	}

	test('the office names check-in staff by 工号; they scan that activity only; audited', async () => {
		const activity = await today();
		const other = await today();
		expect(await roster(helper, activity)).toMatchObject({ ok: false, code: 'not_staff' });

		const granted = await grant(office, activity, ` ${helperNo} `);
		if (!granted.ok) throw new Error(granted.code);
		expect(granted.value).toMatchObject({ employee_no: helperNo, created: true });
		expect(await audit('checkin_staff_granted', granted.value.role_id)).toBe(1);

		expect((await roster(helper, activity)).ok).toBe(true);
		expect(await roster(helper, other)).toMatchObject({ ok: false, code: 'not_staff' });
		const list = await scanList(helper);
		if (!list.ok) throw new Error(list.code);
		expect(list.value.map((a) => a.id)).toEqual([activity]);
		expect(list.value[0]).toMatchObject({ manages: false });
		expect(list.value[0]?.days.length).toBeGreaterThanOrEqual(1);

		// Granting again changes nothing and writes no second audit row.
		const again = await grant(office, activity, helperNo);
		expect(again).toMatchObject({
			ok: true,
			value: { role_id: granted.value.role_id, created: false }
		});
		expect(await audit('checkin_staff_granted', granted.value.role_id)).toBe(1);

		const staff = await staffOf(office, activity);
		expect(staff).toMatchObject({ ok: true });
		if (staff.ok) expect(staff.value.map((s) => s.employee_no)).toEqual([helperNo]);
	});

	test('check-in staff cannot name more staff, list staff or revoke grants', async () => {
		const activity = await today();
		const granted = await grant(office, activity, helperNo);
		if (!granted.ok) throw new Error(granted.code);
		const [, otherNo] = await asOwner(db.backend, (tx) =>
			tx.query<{ employee_no: string }>(
				'select employee_no from private.members order by employee_no limit 2'
			)
		);
		expect(await grant(helper, activity, otherNo?.employee_no ?? '')).toMatchObject({
			ok: false,
			code: 'not_organizer'
		});
		expect(await staffOf(helper, activity)).toMatchObject({ ok: false, code: 'not_organizer' });
		expect(await revoke(helper, granted.value.role_id)).toMatchObject({
			ok: false,
			code: 'role_not_found'
		});
	});

	test('organizers manage staff of their own activities only', async () => {
		const own = await today({ owner_unit_id: await nursingUnit() });
		const foreign = await today();
		const granted = await grant(organizer, own, helperNo);
		expect(granted).toMatchObject({ ok: true });
		expect(await grant(organizer, foreign, helperNo)).toMatchObject({
			ok: false,
			code: 'not_organizer'
		});
		const byOffice = await grant(office, foreign, helperNo);
		if (!byOffice.ok) throw new Error(byOffice.code);
		// Someone else's grant reads as no grant at all.
		expect(await revoke(organizer, byOffice.value.role_id)).toMatchObject({
			ok: false,
			code: 'role_not_found'
		});
		const list = await scanList(organizer);
		if (!list.ok) throw new Error(list.code);
		expect(list.value.find((a) => a.id === own)).toMatchObject({ manages: true });
		expect(list.value.find((a) => a.id === foreign)).toBeUndefined();
	});

	test('revoking ends the access at once, keeps the row, is audited and idempotent', async () => {
		const activity = await today({ owner_unit_id: await nursingUnit() });
		const granted = await grant(organizer, activity, helperNo);
		if (!granted.ok) throw new Error(granted.code);
		const revoked = await revoke(organizer, granted.value.role_id);
		expect(revoked).toMatchObject({ ok: true });
		expect(await roster(helper, activity)).toMatchObject({ ok: false, code: 'not_staff' });
		expect(await audit('role_revoked', granted.value.role_id)).toBe(1);
		expect(await revoke(organizer, granted.value.role_id)).toMatchObject({ ok: true });
		expect(await audit('role_revoked', granted.value.role_id)).toBe(1);
		const [row] = await asOwner(db.backend, (tx) =>
			tx.query<{ revoked_by: string | null }>(
				'select revoked_by from private.staff_roles where id = $1::uuid',
				[granted.value.role_id]
			)
		);
		expect(row?.revoked_by).toBeTruthy();
		expect(await staffOf(organizer, activity)).toMatchObject({ ok: true, value: [] });
		// A new grant after revocation is a new row.
		const regranted = await grant(organizer, activity, helperNo);
		expect(regranted).toMatchObject({ ok: true, value: { created: true } });
	});

	test('unknown or former members cannot be named; members and anon get nothing', async () => {
		const activity = await today();
		expect(await grant(office, activity, 'NOPE-0000')).toMatchObject({
			ok: false,
			code: 'member_not_found'
		});
		expect(await grant(bystander, activity, helperNo)).toMatchObject({
			ok: false,
			code: 'not_organizer'
		});
		expect(await scanList(bystander)).toMatchObject({ ok: true, value: [] });
		for (const sql of [
			`select public.grant_checkin_staff('${activity}'::uuid, '${helperNo}') as result`,
			`select public.list_activity_staff('${activity}'::uuid) as result`,
			`select public.list_checkin_activities() as result`
		]) {
			expect(await callApi(db.backend, anon, sql)).toMatchObject({ ok: false, status: '42501' });
		}
	});

	test('only the office revokes other roles, never its own office role', async () => {
		const [organizerRole, officeRole] = await asOwner(db.backend, (tx) =>
			tx.query<{ id: string }>(
				`select r.id from private.staff_roles r where r.revoked_at is null
				and r.role in ('organizer', 'office') order by r.role desc limit 2`
			)
		);
		if (!organizerRole || !officeRole) throw new Error('seed roles missing');
		expect(await revoke(organizer, organizerRole.id)).toMatchObject({
			ok: false,
			code: 'role_not_found'
		});
		expect(await revoke(office, officeRole.id)).toMatchObject({
			ok: false,
			code: 'own_office_role'
		});
	});
});
