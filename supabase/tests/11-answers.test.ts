// The app's answer parsers against the real database functions: every read the office and report
// screens make is called on the seeded union and its actual answer parsed with the schema the app
// uses (src/lib/data/reports.ts, office.ts, roster.ts). A column renamed or dropped in SQL fails
// here, not as an empty cell or a silent zero in an export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	parseActivityAdmin,
	parseOfficeActivities,
	parseRegistrations,
	parseStaff
} from '../../src/lib/data/office.ts';
import { parseActivityRow } from '../../src/lib/data/activities.ts';
import { parseActivityDetail } from '../../src/lib/data/activity-detail.ts';
import {
	parseColleaguePage,
	parseBehalf,
	parseGroupRegistrations,
	parseSignupActivities
} from '../../src/lib/data/liaison.ts';
import { parseWhoami } from '../../src/lib/data/me.ts';
import { parseMyRegistration, parseSignUpResult } from '../../src/lib/data/registrations.ts';
import { parseDrilldown, parseParticipation } from '../../src/lib/data/reports.ts';
import { parseRosterImport, parseUnitImport } from '../../src/lib/data/roster.ts';
import {
	normaliseRow,
	parseRosterCsv,
	toImportPayload
} from '../../src/lib/domain/roster-import.ts';
import {
	as,
	asOwner,
	demo,
	lanes,
	linkAllMembers,
	type Caller,
	type SeededDatabase
} from './support.ts';

const root = join(import.meta.dirname, '../..');
const GROUPINGS = ['total', 'unit', 'category', 'month', 'activity'] as const;

describe.each(lanes())('answers parse on $name', (lane) => {
	let db: SeededDatabase;
	const office = demo('office');
	let period: { start: string; end: string };
	let activityIds: string[];

	beforeAll(async () => {
		db = await lane.open();
		// The seeded year: the period of every activity there is.
		const [span] = await asOwner(db.backend, (tx) =>
			tx.query<{ start: string; end: string }>(
				`select to_char(min(starts_at), 'YYYY-01-01') as start, to_char(max(starts_at), 'YYYY-12-31') as end
				from private.activities`
			)
		);
		period = { start: span!.start, end: span!.end };
		activityIds = (
			await asOwner(db.backend, (tx) =>
				tx.query<{ id: string }>(
					`select a.id from private.activities a
					order by (select count(*) from private.registrations r where r.activity_id = a.id) desc
					limit 3`
				)
			)
		).map((row) => row.id);
	});

	afterAll(async () => {
		await db.close();
	});

	/** A set-returning function's rows as PostgREST sends them: a JSON array. */
	const tableAnswer = (sql: string, params: (string | null)[] = []) =>
		as(db.backend, office, async (tx) => {
			const [row] = await tx.query<{ result: unknown }>(
				`select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as result from ${sql} r`,
				params
			);
			return row!.result;
		});

	/** A function answering one JSON value. */
	const valueAnswer = (sql: string, params: (string | null)[] = []) =>
		as(db.backend, office, async (tx) => {
			const [row] = await tx.query<{ result: unknown }>(`select ${sql} as result`, params);
			return row!.result;
		});

	test.each(GROUPINGS)('report_participation by %s parses, with figures', async (groupBy) => {
		const answer = await tableAnswer('public.report_participation($1::date, $2::date, $3) ', [
			period.start,
			period.end,
			groupBy
		]);
		const rows = parseParticipation(answer);
		expect(rows.length).toBeGreaterThan(0);
		expect(rows.some((row) => row.attendances > 0)).toBe(true);
	});

	test('report_drilldown parses, for each figure', async () => {
		for (const figure of ['attendances', 'participants', 'registrations', 'headcount']) {
			const answer = await tableAnswer(
				`public.report_drilldown($1::date, $2::date, $3, 'total', null, null, null, 50)`,
				[period.start, period.end, figure]
			);
			expect(parseDrilldown(answer).length, figure).toBeGreaterThan(0);
		}
	});

	test('report_summary_text answers text', async () => {
		const answer = await valueAnswer('public.report_summary_text($1::int)', [
			period.start.slice(0, 4)
		]);
		expect(typeof answer).toBe('string');
	});

	test('list_managed_activities, get_activity_admin and list_registrations parse', async () => {
		const activities = parseOfficeActivities(await valueAnswer('public.list_managed_activities()'));
		expect(activities.length).toBeGreaterThan(0);
		for (const id of activityIds) {
			const admin = parseActivityAdmin(
				await valueAnswer('public.get_activity_admin($1::uuid)', [id])
			);
			expect(admin.row.id).toBe(id);
			parseRegistrations(await valueAnswer('public.list_registrations($1::uuid)', [id]));
		}
		const registrations = parseRegistrations(
			await valueAnswer('public.list_registrations($1::uuid)', [activityIds[0]!])
		);
		expect(registrations.length).toBeGreaterThan(0);
	});

	test('list_staff parses', async () => {
		const staff = parseStaff(await valueAnswer('public.list_staff()'));
		expect(staff.some((row) => row.role === 'office')).toBe(true);
		expect(staff.some((row) => row.unitCode !== null)).toBe(true);
	});

	test('import_roster preview parses: valid and refused lines alike', async () => {
		const bad = parseRosterCsv(
			new Uint8Array(readFileSync(join(root, 'tests/fixtures/roster-bad.csv')))
		);
		const payload = toImportPayload(bad.rows.map(normaliseRow));
		const answer = await valueAnswer(
			`public.import_roster($1::text::jsonb, 'preview', true, current_date)`,
			[JSON.stringify(payload)]
		);
		const parsed = parseRosterImport(answer);
		expect(parsed.lines.some((line) => line.action === 'reject')).toBe(true);
		expect(parsed.lines.some((line) => line.action !== 'reject')).toBe(true);
		expect(parsed.leaving).toBeGreaterThan(0);
	});

	test('import_units preview parses: a rename, a new unit and a refusal', async () => {
		const units = [
			{ code: 'U01', name: '内科分工会（改名）', parent_code: 'U00' },
			{ code: 'U07', name: '新分会', parent_code: 'U00' },
			{ code: 'U0801', name: '孤儿', parent_code: 'U08' }
		];
		const parsed = parseUnitImport(
			await valueAnswer(`public.import_units($1::text::jsonb, 'preview')`, [JSON.stringify(units)])
		);
		expect(parsed.lines.map((line) => line.action)).toEqual(['update', 'insert', 'reject']);
		expect(parsed.lines[0]!.changes).toEqual(['name']);
	});
});

describe.each(lanes())('a member’s answers parse on $name', (lane) => {
	let db: SeededDatabase;
	const employee = demo('employee');
	const organizer = demo('organizer');

	beforeAll(async () => {
		db = await lane.open();
		await linkAllMembers(db.backend);
	});

	afterAll(async () => {
		await db.close();
	});

	const answerAs = (caller: Caller, sql: string, params: (string | null)[] = []) =>
		as(db.backend, caller, async (tx) => {
			const [row] = await tx.query<{ result: unknown }>(`select ${sql} as result`, params);
			return row!.result;
		});

	test('whoami, list_activities, get_activity and list_my_registrations parse', async () => {
		expect(parseWhoami(await answerAs(employee, 'public.whoami()')).member).not.toBeNull();
		const activities = (await answerAs(
			employee,
			`(select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from public.list_activities() r)`
		)) as unknown[];
		expect(activities.length).toBeGreaterThan(0);
		const parsed = activities.map(parseActivityRow);
		for (const activity of parsed.slice(0, 5)) {
			const detail = parseActivityDetail(
				await answerAs(employee, 'public.get_activity($1::uuid)', [activity.id])
			);
			expect(detail.id).toBe(activity.id);
		}
		const mine = await answerAs(employee, 'public.list_my_registrations()');
		expect(Array.isArray(mine)).toBe(true);
		for (const value of mine as unknown[]) parseMyRegistration(value);
	});

	test('sign_up answers parse (the first activity the member may sign up for)', async () => {
		const activities = (
			(await answerAs(
				employee,
				`(select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from public.list_activities() r)`
			)) as unknown[]
		).map(parseActivityRow);
		const parsed: string[] = [];
		for (const activity of activities.filter((a) => a.eligible && a.sessionCount <= 1)) {
			const answer = await answerAs(employee, 'public.sign_up($1::uuid)', [activity.id]).catch(
				() => null // refused (closed, full, questions to answer): try the next one
			);
			if (answer !== null) parsed.push(parseSignUpResult(answer).outcome);
			if (parsed.length === 2) break;
		}
		expect(parsed.length).toBeGreaterThan(0);
	});

	test('sign_up_on_behalf answers parse, applied and refused alike', async () => {
		const activities = parseSignupActivities(
			await answerAs(
				organizer,
				`(select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from public.list_signup_activities() r)`
			)
		).filter((activity) => activity.sessionCount === 0);
		const outsider = '00000000-0000-4000-8000-000000000000';
		const statuses = new Set<string>();
		for (const activity of activities) {
			const page = parseColleaguePage(
				await answerAs(organizer, `public.list_signup_members('', 0, 50, $1::uuid)`, [activity.id])
			);
			const free = page.members.filter((member) => member.registrationStatus === null);
			const ids = [...free.slice(0, 3).map((member) => member.id), outsider];
			const results = parseBehalf(
				await answerAs(organizer, 'public.sign_up_on_behalf($1::uuid, $2::uuid[])', [
					activity.id,
					`{${ids.join(',')}}`
				])
			);
			expect(results.find((result) => result.memberId === outsider)).toMatchObject({
				status: 'rejected',
				code: 'member_not_in_scope'
			});
			for (const result of results) statuses.add(result.status);
			if (statuses.has('applied')) break;
		}
		expect([...statuses].sort()).toEqual(['applied', 'rejected']);
	});

	test('the 代报名 lists parse (an organizer)', async () => {
		const activities = parseSignupActivities(
			await answerAs(
				organizer,
				`(select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from public.list_signup_activities() r)`
			)
		);
		expect(activities.length).toBeGreaterThan(0);
		const id = activities[0]!.id;
		const page = parseColleaguePage(
			await answerAs(organizer, `public.list_signup_members('', 0, 50, $1::uuid)`, [id])
		);
		expect(page.members.length).toBeGreaterThan(0);
		parseGroupRegistrations(
			await answerAs(
				organizer,
				`(select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) from public.list_signup_registrations($1::uuid) r)`,
				[id]
			)
		);
	});
});
