// The strict answer parsers: good rows parse; a renamed or missing column is a 'bad_response',
// never an empty string or a zero (in particular never a zero in the exported figures).
import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { parseOfficeActivities, parseRegistrations, parseStaff } from './office.ts';
import { parseDrilldown, parseParticipation } from './reports.ts';
import { parseRosterImport, parseUnitImport } from './roster.ts';

const figures = {
	activities: 3,
	attendances: 41,
	participants: 17,
	guest_attendances: 2,
	registrations_admitted: 20,
	show_up_rate: 0.85,
	headcount: 120,
	participation_rate: 0.1417
};
const participationRow = {
	group_key: 'u1',
	group_label: '护理分工会',
	parent_key: null,
	depth: 1,
	group_date: null,
	admitted_days: 20,
	prev_admitted_days: 0,
	...figures,
	...Object.fromEntries(Object.entries(figures).map(([key, value]) => [`prev_${key}`, value]))
};

function without(row: Record<string, unknown>, key: string): Record<string, unknown> {
	return Object.fromEntries(Object.entries(row).filter(([name]) => name !== key));
}

function renamed(row: Record<string, unknown>, from: string, to: string) {
	return { ...without(row, from), [to]: row[from] };
}

function badResponse(run: () => unknown): AppError {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(AppError);
		expect((error as AppError).kind).toBe('bad_response');
		return error as AppError;
	}
	throw new Error('parsed without complaint');
}

describe('report answers', () => {
	it('a participation row parses into the export model', () => {
		const [row] = parseParticipation([participationRow]);
		expect(row).toMatchObject({
			key: 'u1',
			label: '护理分工会',
			parentKey: null,
			depth: 1,
			attendances: 41,
			participants: 17,
			guestAttendances: 2,
			admitted: 20,
			showUpRate: 0.85,
			headcount: 120,
			activityCount: 3,
			previous: { attendances: 41, participants: 17 }
		});
	});

	it('a row whose participants column was renamed is an error, not a zero', () => {
		const error = badResponse(() =>
			parseParticipation([renamed(participationRow, 'participants', 'participant_count')])
		);
		expect(error.message).toContain('participants');
	});

	it.each(['attendances', 'group_key', 'prev_participants', 'show_up_rate', 'headcount'])(
		'a row without %s is an error',
		(key) => {
			badResponse(() => parseParticipation([without(participationRow, key)]));
		}
	);

	it('a count sent as text or a fraction is an error', () => {
		badResponse(() => parseParticipation([{ ...participationRow, attendances: '41' }]));
		badResponse(() => parseParticipation([{ ...participationRow, participants: 1.5 }]));
	});

	it('an answer that is not a list is an error', () => {
		badResponse(() => parseParticipation({ rows: [participationRow] }));
	});

	const drillRow = {
		member_id: 'm1',
		member_unit_id: 'u1',
		employee_no: '74731',
		member_name: '马莉秀',
		member_unit_name: '检验科',
		activity_id: null,
		activity_title: null,
		day: null,
		guests: 0,
		paper: false,
		attendances: 4
	};

	it('a drill-down row parses, and one without attendances or member_name does not', () => {
		expect(parseDrilldown([drillRow])).toEqual([
			{
				memberId: 'm1',
				employeeNo: '74731',
				name: '马莉秀',
				unitName: '检验科',
				activityTitle: null,
				day: null,
				guests: 0,
				paper: false,
				attendances: 4
			}
		]);
		badResponse(() => parseDrilldown([without(drillRow, 'attendances')]));
		badResponse(() => parseDrilldown([renamed(drillRow, 'member_name', 'name')]));
	});
});

describe('office answers', () => {
	const activity = {
		id: 'a1',
		title: '职工羽毛球比赛',
		category: 'sports',
		status: 'published',
		starts_at: '2027-03-20T06:00:00+00:00',
		ends_at: '2027-03-20T09:30:00+00:00',
		owner_unit_id: 'u1',
		owner_unit_name: '工会',
		capacity: null,
		seats_taken: 12,
		admission: 'first_come',
		registered: 12,
		waitlisted: 0,
		pending_approval: 1,
		version: 3
	};

	it('a managed activity parses; one without seats_taken is an error', () => {
		expect(parseOfficeActivities([activity])[0]).toMatchObject({
			id: 'a1',
			capacity: null,
			seatsTaken: 12,
			pending: 1
		});
		badResponse(() => parseOfficeActivities([without(activity, 'seats_taken')]));
	});

	const registration = {
		registration_id: 'r1',
		member_id: 'm1',
		employee_no: '74731',
		member_name: '马莉秀',
		unit_name: '检验科',
		status: 'registered',
		source: 'self',
		session_id: null,
		session_label: null,
		guest_names: [],
		queued_at: '2027-03-01T00:00:00+00:00',
		checked_in_days: [],
		paper_days: [],
		answers: null
	};

	it('a registration parses; one whose member_name became name is an error', () => {
		expect(parseRegistrations([registration])[0]).toMatchObject({
			id: 'r1',
			name: '马莉秀',
			sessionLabel: '',
			answers: {}
		});
		badResponse(() => parseRegistrations([renamed(registration, 'member_name', 'name')]));
		badResponse(() => parseRegistrations([without(registration, 'status')]));
	});

	it('a staff role parses; one without role is an error', () => {
		const role = {
			id: 's1',
			role: 'office',
			name: '王芳',
			employee_no: '10001',
			unit_code: null,
			unit_name: null,
			granted_by_name: null,
			granted_at: '2027-01-01T00:00:00+00:00',
			revoked_at: null
		};
		expect(parseStaff([role])[0]).toMatchObject({ id: 's1', role: 'office', unitCode: null });
		badResponse(() => parseStaff([without(role, 'role')]));
	});
});

describe('roster import answers', () => {
	const rosterLine = {
		line: 2,
		employee_no: '74731',
		name: '马莉秀',
		action: 'insert',
		reason_code: null,
		message_zh: null,
		message_en: null,
		changes: []
	};
	const rosterAnswer = {
		mode: 'preview',
		summary: { total: 1, insert: 1, update: 0, unchanged: 0, reject: 0, leave: 2 },
		rows: [rosterLine, { ...rosterLine, line: 3, action: 'reject', reason_code: 'name_missing' }],
		leaving: [{}, {}]
	};

	it('a preview parses into lines and the number leaving', () => {
		const parsed = parseRosterImport(rosterAnswer);
		expect(parsed.leaving).toBe(2);
		expect(parsed.lines.map((line) => [line.line, line.action, line.reasonCode])).toEqual([
			[2, 'insert', null],
			[3, 'reject', 'name_missing']
		]);
	});

	it('a preview line without its action is an error, not a valid line', () => {
		badResponse(() =>
			parseRosterImport({ ...rosterAnswer, rows: [without(rosterLine, 'action')] })
		);
		badResponse(() =>
			parseRosterImport({ ...rosterAnswer, rows: [renamed(rosterLine, 'action', 'status')] })
		);
	});

	it('an action the app does not know is an error', () => {
		badResponse(() =>
			parseRosterImport({ ...rosterAnswer, rows: [{ ...rosterLine, action: 'ok' }] })
		);
	});

	it('a roster answer without the count leaving is an error', () => {
		badResponse(() =>
			parseRosterImport({ ...rosterAnswer, summary: without(rosterAnswer.summary, 'leave') })
		);
	});

	it('a unit line parses with its changes; one without code is an error', () => {
		const unitLine = {
			line: 2,
			code: 'U01',
			name: '内科',
			parent_code: 'U00',
			action: 'update',
			reason_code: null,
			message_zh: null,
			message_en: null,
			changes: ['name'],
			old_name: '内科分工会',
			old_parent_code: 'U00'
		};
		const answer = { mode: 'preview', summary: {}, rows: [unitLine] };
		expect(parseUnitImport(answer).lines[0]).toMatchObject({
			key: 'U01',
			changes: ['name'],
			oldName: '内科分工会'
		});
		badResponse(() => parseUnitImport({ ...answer, rows: [without(unitLine, 'code')] }));
	});
});
