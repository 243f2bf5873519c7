// The union office's side: roster and unit import, organizers and liaisons with their scopes,
// signing colleagues up, managing registrations (approval, waitlist, paper attendance) and the
// activity editor with every rule and refusal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	normaliseRow,
	parseRosterCsv,
	toImportPayload
} from '../../src/lib/domain/roster-import.ts';
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

const root = join(import.meta.dirname, '../..');

interface ImportRow {
	line: number;
	employee_no: string;
	action: string;
	reason_code: string | null;
	message_zh: string | null;
}
interface ImportResult {
	summary: Record<string, number>;
	rows: ImportRow[];
	leaving: { employee_no: string }[];
}
interface Admin {
	id: string;
	status: string;
	version: number;
	capacity: number | null;
	seats_taken: number;
	starts_at: string;
	cancelled_reason: string | null;
	sessions: { id: string; starts_at: string; capacity: number | null; seats_taken: number }[];
	created?: number;
}
interface OnBehalf {
	results: { member_id: string; status: string; code: string; registration_id: string | null }[];
	applied: number;
}

const json = (value: unknown) => JSON.stringify(value);

describe.each(lanes())('union office on $name', (lane) => {
	let db: SeededDatabase;
	const office = demo('office');
	const organizer = demo('organizer'); // organizer of U03 (nursing)
	const employee = demo('employee'); // member of U0301
	let nursingGroup: Caller[]; // U0301 staff
	let internal: Caller[]; // U0101 staff

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
		nursingGroup = await membersWhere(
			db.backend,
			`u.code = 'U0301' and m.member_type = 'staff' and m.email not like '%@union.example'`,
			10
		);
		internal = await membersWhere(db.backend, `u.code = 'U0101' and m.member_type = 'staff'`, 10);
	});

	afterAll(async () => {
		await db.close();
	});

	const api = <T>(caller: Caller, sql: string, params: (string | number | boolean | null)[] = []) =>
		callApi<T>(
			db.backend,
			caller,
			sql,
			params.map((p) => (p === null ? null : String(p)))
		);

	async function ok<T>(
		caller: Caller,
		sql: string,
		params: (string | number | boolean | null)[] = []
	): Promise<T> {
		const outcome = await api<T>(caller, sql, params);
		if (!outcome.ok) throw new Error(`${outcome.status} ${outcome.code}`);
		return outcome.value;
	}

	async function one<T>(sql: string, params: (string | number | null)[] = []): Promise<T> {
		const rows = await asOwner(db.backend, (tx) =>
			tx.query<T>(
				sql,
				params.map((p) => (p === null ? null : String(p)))
			)
		);
		return rows[0] as T;
	}

	const memberId = (caller: Caller) =>
		caller.role === 'authenticated'
			? one<{ id: string }>('select id from private.members where user_id = $1::uuid', [
					caller.userId
				]).then((r) => r.id)
			: Promise.reject(new Error('anon'));

	const unitId = (code: string) =>
		one<{ id: string }>('select id from private.units where code = $1', [code]).then((r) => r.id);

	// -------------------------------------------------------------------------------------------
	// Roster import
	// -------------------------------------------------------------------------------------------

	describe('roster import', () => {
		const bad = parseRosterCsv(
			new Uint8Array(readFileSync(join(root, 'tests/fixtures/roster-bad.csv')))
		);
		const payload = toImportPayload(bad.rows.map(normaliseRow));
		const importRoster = (
			caller: Caller,
			rows: unknown,
			mode: string,
			full = false,
			leftOn: string | null = null
		) =>
			api<ImportResult>(
				caller,
				'select public.import_roster($1::text::jsonb, $2, $3::boolean, $4::date) as result',
				[json(rows), mode, full, leftOn]
			);

		test('roster-bad.csv: each line gets what roster-bad.expected.json says; preview writes nothing', async () => {
			const before = await one<{ n: number }>('select count(*)::int as n from private.members');
			const outcome = await importRoster(office, payload, 'preview');
			if (!outcome.ok) throw new Error(outcome.code);
			const byLine = new Map(outcome.value.rows.map((r) => [r.line, r]));
			const expected: Record<number, string | null> = {
				2: null,
				3: null,
				4: 'duplicate_in_file',
				5: 'employee_no_missing',
				6: 'name_missing',
				7: 'gender_invalid',
				8: 'member_type_invalid',
				9: 'unit_unknown',
				10: 'phone_invalid',
				11: null,
				12: null,
				13: 'email_invalid',
				14: 'joined_on_future'
			};
			for (const [line, reason] of Object.entries(expected)) {
				const row = byLine.get(Number(line));
				expect({ line, reason: row?.reason_code ?? null, action: row?.action }).toEqual({
					line,
					reason,
					action: reason ? 'reject' : 'insert'
				});
				if (reason) expect(row?.message_zh).toBeTruthy();
			}
			expect(outcome.value.summary).toMatchObject({ total: 13, insert: 4, reject: 9 });
			expect((await one<{ n: number }>('select count(*)::int as n from private.members')).n).toBe(
				before.n
			);
		});

		test('apply writes only the valid lines, normalised; formula text stays plain text; audited', async () => {
			const outcome = await importRoster(office, payload, 'apply');
			if (!outcome.ok) throw new Error(outcome.code);
			expect(outcome.value.summary).toMatchObject({ insert: 4, reject: 9 });
			const rows = await asOwner(db.backend, (tx) =>
				tx.query<{ employee_no: string; name: string; phone: string | null }>(
					`select employee_no, name, phone from private.members where employee_no in ('10001','10002','10010','10011','10005','10009') order by 1`
				)
			);
			expect(rows).toEqual([
				{ employee_no: '10001', name: '张三', phone: '13800000001' },
				{ employee_no: '10002', name: '李四', phone: '13800000002' },
				{ employee_no: '10010', name: '=HYPERLINK("http://x","点我")', phone: '13800000010' },
				{ employee_no: '10011', name: '钱十一', phone: '13800000011' }
			]);
			expect(
				(
					await one<{ n: number }>(
						`select count(*)::int as n from private.audit_log where action = 'roster_imported'`
					)
				).n
			).toBe(1);
			// Again: nothing changes; then a changed line is an update by 工号.
			const again = await importRoster(office, payload, 'apply');
			expect(again.ok && again.value.summary).toMatchObject({ insert: 0, unchanged: 4 });
			const moved = payload.map((r) =>
				r.employee_no === '10001' ? { ...r, unit_code: 'U0102' } : r
			);
			const update = await importRoster(office, moved, 'preview');
			expect(update.ok && update.value.rows.find((r) => r.employee_no === '10001')).toMatchObject({
				action: 'update'
			});
		});

		test('a full roster marks those missing as left on the given day; past headcounts stay right', async () => {
			const roster = parseRosterCsv(
				new Uint8Array(readFileSync(join(root, 'supabase/seed/roster.csv')))
			);
			const rows = roster.rows.map(normaliseRow);
			const kept = toImportPayload(rows.slice(0, 600));
			// One kept person's line is faulty: rejected, yet not marked as left.
			const faulty = { ...kept[0], phone: '123' };
			const file = [faulty, ...kept.slice(1)];
			const missing = rows.slice(600).map((r) => r.employee_no);
			const leftOn = (await one<{ d: string }>(`select (current_date - 30)::text as d`)).d;
			const dayBefore = (await one<{ d: string }>(`select (current_date - 31)::text as d`)).d;
			const preview = await importRoster(office, file, 'preview', true, leftOn);
			if (!preview.ok) throw new Error(preview.code);
			const leaving = preview.value.leaving.map((l) => l.employee_no);
			for (const no of missing) expect(leaving).toContain(no);
			expect(leaving).not.toContain(rows[0]?.employee_no);
			expect(leaving).toContain('10001'); // imported above, not in this file: leaves too
			const applied = await importRoster(office, file, 'apply', true, leftOn);
			expect(applied.ok).toBe(true);
			const left = await one<{ n: number; until: string }>(
				`select count(*)::int as n, min(active_until)::text as until from private.members where employee_no = any ($1::text::text[])`,
				[`{${missing.join(',')}}`]
			);
			expect(left).toEqual({ n: missing.length, until: leftOn });
			const stillIn = await one<{ active_until: string | null }>(
				'select active_until::text from private.members where employee_no = $1',
				[rows[0]?.employee_no ?? '']
			);
			expect(stillIn.active_until).toBeNull();
			// Headcount on a day before leaving still counts them; after, not.
			const union = await unitId('U00');
			const count = async (day: string) =>
				(
					await ok<{ headcount: number }[]>(
						office,
						`select jsonb_agg(r) as result from public.report_participation($1::date, $1::date, 'total', $2::uuid) r`,
						[day, union]
					)
				)[0]?.headcount;
			const before = await count(dayBefore);
			const after = await count(leftOn);
			// The 40 missing, and 10001 (a member since 2020) imported above.
			expect((before ?? 0) - (after ?? 0)).toBe(missing.length + 1);
			// Back on the roster: rejoins.
			const back = await importRoster(office, [toImportPayload(rows.slice(600, 601))[0]], 'apply');
			expect(back.ok && back.value.rows[0]).toMatchObject({
				action: 'update',
				reason_code: 'rejoined'
			});
		});

		test('only the office imports; malformed input is refused', async () => {
			expect(await importRoster(organizer, payload, 'preview')).toMatchObject({
				ok: false,
				code: 'not_allowed'
			});
			expect(await importRoster(employee, payload, 'preview')).toMatchObject({
				ok: false,
				code: 'not_allowed'
			});
			expect(await importRoster(office, payload, 'go')).toMatchObject({
				ok: false,
				code: 'mode_invalid'
			});
			expect(await importRoster(office, { a: 1 }, 'preview')).toMatchObject({
				ok: false,
				code: 'rows_invalid'
			});
			expect(await importRoster(office, [{ employee_no: 'x' }], 'apply', true)).toMatchObject({
				ok: false,
				code: 'roster_empty'
			});
		});

		test('units: preview, apply, kinds from depth, refusals', async () => {
			const units = [
				{ code: 'U0601', name: '退休一组', parent_code: 'U06' },
				{ code: 'U07', name: '新分会', parent_code: 'U00' },
				{ code: 'U0701', name: '新小组', parent_code: 'U07' },
				{ code: 'U0801', name: '孤儿', parent_code: 'U08' },
				{ code: 'U0601', name: '重复', parent_code: 'U06' },
				{ code: 'X1', name: '第二个工会', parent_code: '' },
				{ code: 'U01', name: '内科分工会', parent_code: 'U00' }
			];
			const preview = await ok<ImportResult>(
				office,
				`select public.import_units($1::text::jsonb, 'preview') as result`,
				[json(units)]
			);
			expect(preview.rows.map((r) => [r.action, r.reason_code])).toEqual([
				['insert', null],
				['insert', null],
				['insert', null],
				['reject', 'parent_unknown'],
				['reject', 'duplicate_in_file'],
				['reject', 'second_root'],
				['unchanged', null]
			]);
			await ok(office, `select public.import_units($1::text::jsonb, 'apply') as result`, [
				json(units)
			]);
			const kinds = await asOwner(db.backend, (tx) =>
				tx.query<{ code: string; kind: string }>(
					`select code, kind from private.units where code in ('U0601','U07','U0701') order by code`
				)
			);
			expect(kinds).toEqual([
				{ code: 'U0601', kind: 'group' },
				{ code: 'U07', kind: 'branch' },
				{ code: 'U0701', kind: 'group' }
			]);
			expect(
				await api(organizer, `select public.import_units('[]'::jsonb, 'preview') as result`)
			).toMatchObject({ ok: false, code: 'not_allowed' });
		});

		test('R16 units: a rename and a move are previewed with what changes, then applied', async () => {
			const units = [
				{ code: 'U0502', name: '后勤保障工会小组（更名）', parent_code: 'U05' },
				{ code: 'U0402', name: '放射科工会小组', parent_code: 'U02' }
			];
			const tree = () =>
				asOwner(db.backend, (tx) =>
					tx.query<{
						code: string;
						name: string;
						parent: string;
						kind: string;
						depth: number;
						under_parent: boolean;
					}>(
						// under_parent: the ancestor path (kept by triggers) follows the move.
						`select u.code, u.name, p.code as parent, u.kind, cardinality(u.ancestors) as depth,
							u.ancestors[2] = p.id as under_parent
						from private.units u join private.units p on p.id = u.parent_id
						where u.code in ('U0502', 'U0402') order by u.code`
					)
				);
			const before = await tree();
			const preview = await ok<{
				summary: Record<string, number>;
				rows: {
					action: string;
					changes: string[];
					old_name: string | null;
					old_parent_code: string | null;
				}[];
			}>(office, `select public.import_units($1::text::jsonb, 'preview') as result`, [json(units)]);
			expect(preview.summary).toMatchObject({ update: 2, reject: 0 });
			expect(preview.rows.map((r) => [r.action, r.changes, r.old_name, r.old_parent_code])).toEqual(
				[
					['update', ['name'], '后勤保障工会小组', 'U05'],
					['update', ['parent_code'], '放射科工会小组', 'U04']
				]
			);
			expect(await tree()).toEqual(before);
			// A move under its own descendant is refused already in the preview.
			const cycle = await ok<ImportResult>(
				office,
				`select public.import_units($1::text::jsonb, 'preview') as result`,
				[json([{ code: 'U05', name: '行政后勤分工会', parent_code: 'U0502' }])]
			);
			expect(cycle.rows.map((r) => [r.action, r.reason_code])).toEqual([['reject', 'cycle']]);

			const applied = await ok<ImportResult>(
				office,
				`select public.import_units($1::text::jsonb, 'apply') as result`,
				[json(units)]
			);
			expect(applied.summary).toMatchObject({ update: 2, reject: 0 });
			expect(await tree()).toEqual([
				{
					code: 'U0402',
					name: '放射科工会小组',
					parent: 'U02',
					kind: 'group',
					depth: 3,
					under_parent: true
				},
				{
					code: 'U0502',
					name: '后勤保障工会小组（更名）',
					parent: 'U05',
					kind: 'group',
					depth: 3,
					under_parent: true
				}
			]);
			// Done once, the same file has nothing left to change.
			const again = await ok<ImportResult>(
				office,
				`select public.import_units($1::text::jsonb, 'preview') as result`,
				[json(units)]
			);
			expect(again.summary).toMatchObject({ unchanged: 2, update: 0 });
		});
	});

	// -------------------------------------------------------------------------------------------
	// Roles and scopes
	// -------------------------------------------------------------------------------------------

	describe('organizers and liaisons', () => {
		const employeeNo = async (caller: Caller) =>
			(
				await one<{ employee_no: string }>(
					'select employee_no from private.members where id = $1::uuid',
					[await memberId(caller)]
				)
			).employee_no;
		const grant = (caller: Caller, who: string, role: string, unit: string | null) =>
			api<{ id: string; existing: boolean; role: string }>(
				caller,
				'select public.grant_role($1, $2, $3) as result',
				[who, role, unit]
			);

		test('the office names organizers; twice is once; organizers cannot', async () => {
			const who = await employeeNo(internal[0]!);
			const first = await grant(office, who, 'organizer', 'U01');
			expect(first).toMatchObject({ ok: true, value: { role: 'organizer', existing: false } });
			expect(await grant(office, who, 'organizer', 'U01')).toMatchObject({
				ok: true,
				value: { existing: true }
			});
			expect(await grant(organizer, who, 'organizer', 'U03')).toMatchObject({
				ok: false,
				code: 'not_allowed'
			});
			expect(await grant(organizer, who, 'office', null)).toMatchObject({
				ok: false,
				code: 'not_allowed'
			});
			expect(await grant(office, who, 'organizer', 'NOPE')).toMatchObject({
				ok: false,
				code: 'unit_not_found'
			});
			expect(await grant(office, 'NOBODY', 'organizer', 'U01')).toMatchObject({
				ok: false,
				code: 'member_not_found'
			});
			expect(await grant(office, who, 'king', 'U01')).toMatchObject({
				ok: false,
				code: 'role_invalid'
			});
			expect(await grant(office, who, 'office', 'U01')).toMatchObject({
				ok: false,
				code: 'unit_not_expected'
			});
		});

		test('an organizer names liaisons inside their subtree only; list_staff is scoped', async () => {
			const liaison = await employeeNo(nursingGroup[0]!);
			const granted = await grant(organizer, liaison, 'liaison', 'U0301');
			expect(granted).toMatchObject({ ok: true, value: { role: 'liaison' } });
			expect(await grant(organizer, liaison, 'liaison', 'U0101')).toMatchObject({
				ok: false,
				code: 'unit_not_in_scope'
			});
			expect(
				await grant(organizer, await employeeNo(internal[1]!), 'liaison', 'U0301')
			).toMatchObject({ ok: false, code: 'member_not_in_scope' });
			const staff = await ok<{ role: string; unit_code: string | null }[]>(
				organizer,
				'select public.list_staff() as result'
			);
			expect(staff.length).toBeGreaterThan(0);
			for (const s of staff) expect(s.unit_code?.startsWith('U03')).toBe(true);
			const all = await ok<{ role: string }[]>(office, 'select public.list_staff() as result');
			expect(all.some((s) => s.role === 'office')).toBe(true);
			expect(await api(employee, 'select public.list_staff() as result')).toMatchObject({
				ok: false,
				code: 'not_allowed'
			});
			// The organizer revokes the liaison; audited.
			const id = granted.ok ? granted.value.id : '';
			expect(
				await api(organizer, 'select public.revoke_role($1::uuid) as result', [id])
			).toMatchObject({ ok: true });
			expect(
				(
					await one<{ n: number }>(
						`select count(*)::int as n from private.audit_log where action in ('role_granted','role_revoked')`
					)
				).n
			).toBeGreaterThanOrEqual(2);
		});

		test('one revoke rule: organizers cannot revoke organizers, the office not its own role, and two office accounts revoking each other at once leave one', async () => {
			const orgRole = await one<{ id: string }>(
				`select id from private.staff_roles where role = 'organizer' and revoked_at is null limit 1`
			);
			expect(
				await api(organizer, 'select public.revoke_role($1::uuid) as result', [orgRole.id])
			).toMatchObject({ ok: false, code: 'role_not_found' });
			const own = await one<{ id: string }>(
				`select r.id from private.staff_roles r join private.members m on m.id = r.member_id
				where r.role = 'office' and r.revoked_at is null and m.user_id = $1::uuid`,
				[office.role === 'authenticated' ? office.userId : '']
			);
			expect(
				await api(office, 'select public.revoke_role($1::uuid) as result', [own.id])
			).toMatchObject({ ok: false, code: 'own_office_role' });

			// A second office account; then each revokes the other at the same moment. On
			// PostgreSQL the two calls really run at once; one wins, the union keeps one office.
			const second = internal[5]!;
			const granted = await grant(office, await employeeNo(second), 'office', null);
			expect(granted).toMatchObject({ ok: true });
			const secondRole = granted.ok ? granted.value.id : '';
			const outcomes = await Promise.all([
				api(office, 'select public.revoke_role($1::uuid) as result', [secondRole]),
				api(second, 'select public.revoke_role($1::uuid) as result', [own.id])
			]);
			expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
			const refused = outcomes.find((o) => !o.ok);
			expect(['last_office', 'role_not_found']).toContain(
				refused?.ok === false ? refused.code : ''
			);
			const left = await one<{ n: number }>(
				`select count(*)::int as n from private.staff_roles where role = 'office' and revoked_at is null`
			);
			expect(left.n).toBe(1);
			const audited = await one<{ n: number }>(
				`select count(*)::int as n from private.audit_log
				where action = 'role_revoked' and subject ->> 'role' = 'office'`
			);
			expect(audited.n).toBe(1);
			// The union office is the demo account again, for the tests after this one.
			if (outcomes[1].ok) {
				await asOwner(db.backend, (tx) =>
					tx.query(
						`update private.staff_roles set revoked_at = null, revoked_by = null where id = $1::uuid`,
						[own.id]
					)
				);
			}
		});

		test('a liaison signs colleagues of their group up and cancels for them, never others', async () => {
			const leader = nursingGroup[1]!;
			await grant(office, await employeeNo(leader), 'liaison', 'U0301');
			const activity = await createActivity(db.backend, { capacity: 50 });
			const colleague = await memberId(nursingGroup[2]!);
			const outsider = await memberId(internal[2]!);
			const signUp = (caller: Caller, members: string[]) =>
				api<OnBehalf>(
					caller,
					`select public.sign_up_on_behalf($1::uuid, array(select jsonb_array_elements_text($2::text::jsonb)::uuid)) as result`,
					[activity, json(members)]
				);
			const first = await signUp(leader, [colleague, outsider]);
			if (!first.ok) throw new Error(first.code);
			expect(first.value.results).toEqual(
				expect.arrayContaining([
					expect.objectContaining({ member_id: colleague, status: 'applied', code: 'registered' }),
					expect.objectContaining({
						member_id: outsider,
						status: 'rejected',
						code: 'member_not_in_scope'
					})
				])
			);
			const registration = await one<{ source: string; made_by: string }>(
				'select source, made_by from private.registrations where activity_id = $1::uuid and member_id = $2::uuid',
				[activity, colleague]
			);
			expect(registration).toEqual({ source: 'liaison', made_by: await memberId(leader) });
			expect(await signUp(leader, [colleague])).toMatchObject({
				ok: true,
				value: { results: [expect.objectContaining({ status: 'noop' })] }
			});
			expect(await signUp(employee, [colleague])).toMatchObject({ ok: false, code: 'not_allowed' });
			// The same rules as signing up oneself: a draft is not found.
			const draft = await createActivity(db.backend, { status: 'draft' });
			const refused = await api<OnBehalf>(
				leader,
				`select public.sign_up_on_behalf($1::uuid, array[$2::uuid]) as result`,
				[draft, colleague]
			);
			expect(refused).toMatchObject({
				ok: true,
				value: {
					results: [expect.objectContaining({ status: 'rejected', code: 'activity_not_found' })]
				}
			});
			const cancelled = await api<OnBehalf>(
				leader,
				`select public.cancel_on_behalf($1::uuid, array[$2::uuid, $3::uuid]) as result`,
				[activity, colleague, outsider]
			);
			expect(cancelled).toMatchObject({ ok: true, value: { applied: 1 } });
		});
	});

	// -------------------------------------------------------------------------------------------
	// Registrations management
	// -------------------------------------------------------------------------------------------

	describe('managing registrations', () => {
		const signUp = (caller: Caller, activity: string) =>
			api<{ outcome: string; registration: { id: string } }>(
				caller,
				'select public.sign_up($1::uuid) as result',
				[activity]
			);

		test('approval: listed for the organizer with name and unit; approve takes a seat, never beyond capacity; reject', async () => {
			const activity = await createActivity(db.backend, {
				admission: 'approval',
				capacity: 1,
				owner_unit_id: await unitId('U03')
			});
			const a = await signUp(nursingGroup[3]!, activity);
			const b = await signUp(nursingGroup[4]!, activity);
			const c = await signUp(nursingGroup[5]!, activity);
			expect(a).toMatchObject({ ok: true, value: { outcome: 'pending_approval' } });
			const list = await ok<
				{
					registration_id: string;
					member_name: string;
					unit_name: string;
					status: string;
					source: string;
				}[]
			>(organizer, 'select public.list_registrations($1::uuid) as result', [activity]);
			expect(list).toHaveLength(3);
			expect(list[0]).toMatchObject({ status: 'pending_approval', source: 'self' });
			expect(list[0]?.member_name).toBeTruthy();
			expect(list[0]?.unit_name).toBe('门急诊护理工会小组');
			expect(
				await api(employee, 'select public.list_registrations($1::uuid) as result', [activity])
			).toMatchObject({ ok: false, code: 'not_allowed' });
			const decide = (registration: string, decision: string) =>
				api<{ outcome: string }>(
					organizer,
					`select public.decide_registration($1::uuid, $2, 'ok') as result`,
					[registration, decision]
				);
			const idOf = (r: typeof a) => (r.ok ? r.value.registration.id : '');
			expect(await decide(idOf(a), 'approve')).toMatchObject({
				ok: true,
				value: { outcome: 'registered' }
			});
			expect(await decide(idOf(b), 'approve')).toMatchObject({ ok: false, code: 'full' });
			expect(await decide(idOf(b), 'reject')).toMatchObject({
				ok: true,
				value: { outcome: 'rejected' }
			});
			expect(await decide(idOf(c), 'maybe')).toMatchObject({ ok: false, code: 'decision_invalid' });
			expect(
				await api(employee, `select public.decide_registration($1::uuid, 'approve') as result`, [
					idOf(c)
				])
			).toMatchObject({ ok: false, code: 'registration_not_found' });
			expect(
				(
					await one<{ seats_taken: number }>(
						'select seats_taken from private.activities where id = $1::uuid',
						[activity]
					)
				).seats_taken
			).toBe(1);
		});

		test('manual promotion from the waitlist only when a seat is free', async () => {
			const activity = await createActivity(db.backend, { capacity: 1 });
			await signUp(internal[3]!, activity);
			const waiting = await signUp(internal[4]!, activity);
			expect(waiting).toMatchObject({ ok: true, value: { outcome: 'waitlisted' } });
			const id = waiting.ok ? waiting.value.registration.id : '';
			expect(
				await api(office, 'select public.move_from_waitlist($1::uuid) as result', [id])
			).toMatchObject({ ok: false, code: 'full' });
			await asOwner(db.backend, (tx) =>
				tx.query('update private.activities set capacity = 2 where id = $1::uuid', [activity])
			);
			expect(
				await api(office, 'select public.move_from_waitlist($1::uuid) as result', [id])
			).toMatchObject({ ok: true, value: { outcome: 'registered', existing: false } });
			expect(
				await api(office, 'select public.move_from_waitlist($1::uuid) as result', [id])
			).toMatchObject({ ok: true, value: { existing: true } });
		});

		test('paper attendance: recorded as paper by the manager, once per member and day', async () => {
			const start = new Date(Date.now() - 3_600_000).toISOString();
			const activity = await createActivity(db.backend, {
				starts_at: start,
				ends_at: new Date(Date.now() + 3_600_000).toISOString(),
				signup_opens_at: new Date(Date.now() - 86_400_000).toISOString(),
				signup_closes_at: start,
				cancel_deadline: start
			});
			const today = (
				await one<{ d: string }>(`select (now() at time zone 'Asia/Shanghai')::date::text as d`)
			).d;
			const who = await memberId(internal[5]!);
			const record = (caller: Caller, day: string) =>
				api<{ results: { status: string; code: string }[]; recorded: number }>(
					caller,
					'select public.record_paper_attendance($1::uuid, $2::date, array[$3::uuid]) as result',
					[activity, day, who]
				);
			expect(await record(office, today)).toMatchObject({
				ok: true,
				value: { recorded: 1, results: [{ status: 'applied', code: 'recorded_not_registered' }] }
			});
			expect(await record(office, today)).toMatchObject({
				ok: true,
				value: { recorded: 0, results: [{ status: 'noop', code: 'already_counted' }] }
			});
			expect(await record(office, '2020-01-01')).toMatchObject({ ok: false, code: 'wrong_day' });
			expect(await record(employee, today)).toMatchObject({ ok: false, code: 'not_allowed' });
			const row = await one<{ kind: string; flags: string[]; recorded_by: string }>(
				'select kind, flags, recorded_by from private.check_ins where activity_id = $1::uuid',
				[activity]
			);
			expect(row).toEqual({
				kind: 'paper',
				flags: ['paper', 'not_registered'],
				recorded_by: await memberId(office)
			});
			const list = await ok<{ checked_in_days: string[]; paper_days: string[] }[]>(
				office,
				'select public.list_registrations($1::uuid) as result',
				[activity]
			);
			expect(list).toEqual([]); // not registered: the attendance counts, the list shows registrations
		});
	});

	// -------------------------------------------------------------------------------------------
	// The activity editor
	// -------------------------------------------------------------------------------------------

	describe('activity editor', () => {
		const base = async () => ({
			title: '职工羽毛球比赛',
			category: 'sports',
			owner_unit_id: await unitId('U00'),
			starts_at: '2030-05-10T09:00:00+08:00',
			ends_at: '2030-05-10T17:00:00+08:00',
			signup_opens_at: '2030-04-01T09:00:00+08:00',
			signup_closes_at: '2030-05-08T17:00:00+08:00',
			cancel_deadline: '2030-05-09T17:00:00+08:00',
			capacity: 40,
			questions: [
				{
					id: 'size',
					kind: 'choice',
					label: { zh: 'T恤尺码', en: 'T-shirt size' },
					required: true,
					options: [
						{ value: 'M', label: { zh: 'M', en: 'M' } },
						{ value: 'L', label: { zh: 'L', en: 'L' } }
					]
				},
				{ id: 'note', kind: 'text', label: { zh: '备注', en: 'Note' }, max_length: 100 },
				{ id: 'age', kind: 'number', label: { zh: '年龄' }, min: 18, max: 70 }
			]
		});
		const save = (caller: Caller, activity: unknown) =>
			api<Admin>(caller, 'select public.save_activity($1::text::jsonb) as result', [
				json(activity)
			]);

		test('creates a draft, updates it bumping the version, refuses a stale version; audited', async () => {
			const created = await save(office, await base());
			if (!created.ok) throw new Error(created.code);
			expect(created.value).toMatchObject({ status: 'draft', version: 1, capacity: 40 });
			const updated = await save(office, {
				id: created.value.id,
				expected_version: 1,
				place: '体育馆'
			});
			expect(updated).toMatchObject({ ok: true, value: { version: 2 } });
			expect(
				await save(office, { id: created.value.id, expected_version: 1, place: 'x' })
			).toMatchObject({ ok: false, code: 'version_conflict' });
			expect(
				(
					await one<{ n: number }>(
						`select count(*)::int as n from private.audit_log where subject ->> 'activity_id' = $1`,
						[created.value.id]
					)
				).n
			).toBe(2);
			// Drafts are not shown to members.
			expect(
				await api(employee, 'select public.get_activity($1::uuid) as result', [created.value.id])
			).toMatchObject({ ok: false, code: 'activity_not_found' });
		});

		test('every rule refuses bad input with its own code', async () => {
			const b = await base();
			const cases: [Record<string, unknown>, string][] = [
				[{ title: '' }, 'title_invalid'],
				[{ category: 'party' }, 'category_invalid'],
				[{ ends_at: '2030-05-09T09:00:00+08:00' }, 'times_invalid'],
				[{ starts_at: 'soon' }, 'starts_at_invalid'],
				[{ signup_closes_at: '2030-03-01T09:00:00+08:00' }, 'signup_window_invalid'],
				[{ cancel_deadline: '2030-05-11T09:00:00+08:00' }, 'cancel_deadline_invalid'],
				[{ capacity: 0 }, 'capacity_invalid'],
				[{ admission: 'bribe' }, 'admission_invalid'],
				[{ guests_max: 11 }, 'guests_max_invalid'],
				[{ eligible_genders: ['other'] }, 'eligibility_invalid'],
				[{ eligible_unit_ids: ['00000000-0000-4000-8000-000000000000'] }, 'eligibility_invalid'],
				[{ series_limit: 2 }, 'series_invalid'],
				[
					{
						questions: [
							{ id: 'a', kind: 'text', label: { zh: 'A' } },
							{ id: 'a', kind: 'text', label: { zh: 'B' } }
						]
					},
					'questions_invalid'
				],
				[{ questions: [{ id: 'a', kind: 'date', label: { zh: 'A' } }] }, 'questions_invalid'],
				[
					{ questions: [{ id: 'a', kind: 'choice', label: { zh: 'A' }, options: [] }] },
					'questions_invalid'
				],
				[{ questions: [{ id: 'a', kind: 'text', label: { en: 'A' } }] }, 'questions_invalid'],
				[
					{ questions: [{ id: 'a', kind: 'number', label: { zh: 'A' }, min: 5, max: 1 }] },
					'questions_invalid'
				],
				[{ colour: 'red' }, 'field_unknown'],
				[{ owner_unit_id: null }, 'owner_unit_invalid']
			];
			for (const [change, code] of cases) {
				expect({ change, outcome: await save(office, { ...b, ...change }) }).toMatchObject({
					change,
					outcome: { ok: false, code }
				});
			}
			expect(
				await save(office, {
					...b,
					series: '知识竞赛',
					series_limit: 2,
					eligible_genders: ['female'],
					eligible_member_types: ['staff', 'retired']
				})
			).toMatchObject({ ok: true });
		});

		test('R17 a sign-up deadline after the start is refused on create and on update, and nothing changes', async () => {
			const b = await base();
			const activities = () =>
				one<{ n: number }>('select count(*)::int as n from private.activities');
			const before = await activities();
			// Sign-up closes at the start anyway (sign_up refuses from starts_at on).
			expect(
				await save(office, { ...b, signup_closes_at: '2030-05-10T12:00:00+08:00' })
			).toMatchObject({ ok: false, code: 'signup_closes_after_start' });
			// Opening at the start would mean never opening.
			expect(
				await save(office, { ...b, signup_opens_at: b.starts_at, signup_closes_at: null })
			).toMatchObject({ ok: false, code: 'signup_opens_after_start' });
			expect(await activities()).toEqual(before);

			const created = await save(office, b);
			if (!created.ok) throw new Error(created.code);
			const stored = () =>
				one<{ closes: string; version: number }>(
					`select signup_closes_at::text as closes, version from private.activities where id = $1::uuid`,
					[created.value.id]
				);
			const saved = await stored();
			const refused = await save(office, {
				id: created.value.id,
				expected_version: created.value.version,
				signup_closes_at: '2030-05-10T09:01:00+08:00'
			});
			expect(refused).toMatchObject({ ok: false, code: 'signup_closes_after_start' });
			if (refused.ok) throw new Error('saved');
			expect(await stored()).toEqual(saved);
			// Moving the start before an existing deadline is the same mistake.
			expect(
				await save(office, {
					id: created.value.id,
					starts_at: '2030-05-08T09:00:00+08:00',
					ends_at: '2030-05-08T17:00:00+08:00',
					cancel_deadline: null
				})
			).toMatchObject({ ok: false, code: 'signup_closes_after_start' });
			expect(await stored()).toEqual(saved);
			// Closing exactly at the start is what the server does anyway: allowed.
			expect(
				await save(office, { id: created.value.id, signup_closes_at: b.starts_at })
			).toMatchObject({ ok: true });
		});

		test('organizers edit within their subtree only; members not at all', async () => {
			const b = await base();
			expect(await save(organizer, b)).toMatchObject({
				ok: false,
				code: 'owner_unit_not_in_scope'
			});
			const mine = await save(organizer, { ...b, owner_unit_id: await unitId('U0302') });
			expect(mine).toMatchObject({ ok: true, value: { status: 'draft' } });
			const theirs = await save(office, b);
			expect(
				await save(organizer, { id: theirs.ok ? theirs.value.id : '', title: 'x' })
			).toMatchObject({ ok: false, code: 'activity_not_found' });
			expect(await save(employee, b)).toMatchObject({ ok: false, code: 'not_allowed' });
		});

		test('publish, close, cancel with a reason members see; capacity never below the seats taken', async () => {
			const activity = await createActivity(db.backend, { capacity: 10, guests_max: 2 });
			const member = nursingGroup[6]!;
			await api(
				member,
				`select public.sign_up($1::uuid, null, array['家属甲','家属乙']) as result`,
				[activity]
			);
			expect(await save(office, { id: activity, capacity: 2 })).toMatchObject({
				ok: false,
				code: 'capacity_below_taken'
			});
			const refused = await api(office, 'select public.save_activity($1::text::jsonb) as result', [
				json({ id: activity, capacity: 2, allow_overbooking: true })
			]);
			expect(refused).toMatchObject({ ok: false, code: 'capacity_below_taken' });
			expect(await save(office, { id: activity, capacity: 3 })).toMatchObject({
				ok: true,
				value: { capacity: 3, seats_taken: 3 }
			});
			expect(await save(office, { id: activity, guests_max: 1 })).toMatchObject({
				ok: false,
				code: 'guests_below_registered'
			});
			expect(await save(office, { id: activity, admission: 'lottery' })).toMatchObject({
				ok: false,
				code: 'admission_locked'
			});
			expect(
				await api(office, 'select public.close_activity($1::uuid) as result', [activity])
			).toMatchObject({ ok: true, value: { status: 'closed' } });
			expect(
				await api(office, 'select public.publish_activity($1::uuid) as result', [activity])
			).toMatchObject({ ok: true, value: { status: 'published' } });
			expect(
				await api(office, `select public.cancel_activity($1::uuid, '') as result`, [activity])
			).toMatchObject({ ok: false, code: 'reason_invalid' });
			expect(
				await api(office, `select public.cancel_activity($1::uuid, '因天气原因取消') as result`, [
					activity
				])
			).toMatchObject({
				ok: true,
				value: { status: 'cancelled', cancelled_reason: '因天气原因取消' }
			});
			expect(
				await api(member, 'select public.get_activity($1::uuid) as result', [activity])
			).toMatchObject({
				ok: true,
				value: { status: 'cancelled', cancelled_reason: '因天气原因取消' }
			});
			const mine = await ok<
				{ activity: { id: string; status: string; cancelled_reason: string } }[]
			>(member, 'select public.list_my_registrations() as result');
			expect(mine.find((r) => r.activity.id === activity)?.activity).toMatchObject({
				status: 'cancelled',
				cancelled_reason: '因天气原因取消'
			});
			expect(await save(office, { id: activity, title: 'x' })).toMatchObject({
				ok: false,
				code: 'activity_locked'
			});
			expect(
				await api(office, 'select public.publish_activity($1::uuid) as result', [activity])
			).toMatchObject({ ok: false, code: 'status_invalid' });
		});

		test('sessions: Monday to Friday 08:00–11:00 with 40 places each, in the union time zone; edits and deletes', async () => {
			const created = await save(office, {
				...(await base()),
				starts_at: '2030-03-04T00:00:00+08:00',
				ends_at: '2030-03-15T23:59:00+08:00',
				signup_opens_at: '2030-02-01T00:00:00+08:00',
				signup_closes_at: '2030-03-01T00:00:00+08:00',
				cancel_deadline: '2030-03-01T00:00:00+08:00',
				capacity: null
			});
			if (!created.ok) throw new Error(created.code);
			const id = created.value.id;
			const generate = (args: string, params: (string | number | null)[]) =>
				api<Admin>(office, `select public.generate_sessions(${args}) as result`, params);
			const made = await generate(
				`$1::uuid, '08:00', '11:00', 40, from_date => '2030-03-04', to_date => '2030-03-15'`,
				[id]
			);
			if (!made.ok) throw new Error(made.code);
			expect(made.value.created).toBe(10);
			expect(made.value.sessions[0]).toMatchObject({ capacity: 40 });
			expect(new Date(made.value.sessions[0]!.starts_at).toISOString()).toBe(
				'2030-03-04T00:00:00.000Z'
			);
			expect(made.value.version).toBeGreaterThan(created.value.version);
			// Again: nothing new; a day outside the activity is refused; bad times too.
			expect(
				await generate(
					`$1::uuid, '08:00', '11:00', 40, from_date => '2030-03-04', to_date => '2030-03-15'`,
					[id]
				)
			).toMatchObject({ ok: true, value: { created: 0 } });
			expect(
				await generate(`$1::uuid, '08:00', '11:00', 40, days => array['2030-03-20'::date]`, [id])
			).toMatchObject({ ok: false, code: 'session_outside_activity' });
			expect(
				await generate(`$1::uuid, '11:00', '08:00', 40, days => array['2030-03-05'::date]`, [id])
			).toMatchObject({ ok: false, code: 'session_times_invalid' });
			expect(
				await api(
					organizer,
					`select public.generate_sessions($1::uuid, '08:00', '11:00', 40, days => array['2030-03-05'::date]) as result`,
					[id]
				)
			).toMatchObject({ ok: false, code: 'not_allowed' });

			// A registration in the first session: its capacity cannot drop below, it cannot be deleted.
			const first = made.value.sessions[0]!.id;
			const second = made.value.sessions[1]!.id;
			await asOwner(db.backend, (tx) =>
				tx.query(
					`update private.activities set status = 'published', signup_opens_at = null, signup_closes_at = null, cancel_deadline = null where id = $1::uuid`,
					[id]
				)
			);
			await asOwner(db.backend, (tx) =>
				tx.query(
					`insert into private.registrations (activity_id, member_id, session_id, status) select $1::uuid, m.id, $2::uuid, 'registered' from private.members m where m.user_id = $3::uuid`,
					[id, first, internal[6]!.role === 'authenticated' ? internal[6]!.userId : '']
				)
			);
			expect(
				await api(office, 'select public.update_session($1::uuid, 0) as result', [first])
			).toMatchObject({ ok: false, code: 'capacity_invalid' });
			await asOwner(db.backend, (tx) =>
				tx.query(
					`update private.registrations set guest_names = array['a'] where session_id = $1::uuid`,
					[first]
				)
			);
			expect(
				await api(office, 'select public.update_session($1::uuid, 1) as result', [first])
			).toMatchObject({ ok: false, code: 'capacity_below_taken' });
			expect(
				await api(office, 'select public.update_session($1::uuid, 2) as result', [first])
			).toMatchObject({ ok: true });
			expect(
				await api(office, 'select public.delete_session($1::uuid) as result', [first])
			).toMatchObject({ ok: false, code: 'session_not_empty' });
			const after = await api<Admin>(office, 'select public.delete_session($1::uuid) as result', [
				second
			]);
			expect(after.ok && after.value.sessions).toHaveLength(9);
		});

		test('copy for next year: a draft 364 days later, same weekday, with its sessions', async () => {
			const created = await save(office, await base());
			if (!created.ok) throw new Error(created.code);
			await api(
				office,
				`select public.generate_sessions($1::uuid, '09:00', '12:00', 20, days => array['2030-05-10'::date]) as result`,
				[created.value.id]
			);
			const copy = await api<Admin>(office, 'select public.copy_activity($1::uuid) as result', [
				created.value.id
			]);
			if (!copy.ok) throw new Error(copy.code);
			expect(copy.value.id).not.toBe(created.value.id);
			expect(copy.value.status).toBe('draft');
			expect(
				new Date(copy.value.starts_at).getTime() - new Date(created.value.starts_at).getTime()
			).toBe(364 * 86_400_000);
			expect(copy.value.sessions).toHaveLength(1);
			expect(copy.value.sessions[0]).toMatchObject({ capacity: 20, seats_taken: 0 });
			const list = await ok<{ id: string; status: string }[]>(
				office,
				'select public.list_managed_activities() as result'
			);
			expect(list.some((a) => a.id === copy.value.id && a.status === 'draft')).toBe(true);
			const organizerList = await ok<{ owner_unit_name: string }[]>(
				organizer,
				'select public.list_managed_activities() as result'
			);
			expect(organizerList.every((a) => a.owner_unit_name.includes('护理'))).toBe(true);
		});
	});
});
