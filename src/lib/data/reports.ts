// The report functions (supabase/schemas/10_reports.sql), each answer read by one strict schema
// into the export model: a renamed or missing column is a 'bad_response', never a silent zero in
// the figures or the exported workbook.
import type { UnionClient } from '#lib/data/client.ts';
import type { FigureRow, Figures, Grouping } from '#lib/domain/export-report.ts';
import { count, nullableCount, nullableRate, parseAnswer, z } from './answer.ts';
import { AppError } from './errors.ts';
import { callRpc, callRpcWithNulls } from './rpc.ts';

export interface Period {
	start: string;
	end: string;
}

/** One row of `report_participation`, as its `returns table (...)` declares it. */
const ParticipationRow = z.object({
	group_key: z.string(),
	group_label: z.string(),
	parent_key: z.nullable(z.string()),
	depth: count,
	activities: nullableCount,
	attendances: count,
	participants: count,
	guest_attendances: count,
	registrations_admitted: count,
	show_up_rate: nullableRate,
	headcount: nullableCount,
	participation_rate: nullableRate,
	prev_activities: nullableCount,
	prev_attendances: count,
	prev_participants: count,
	prev_guest_attendances: count,
	prev_registrations_admitted: count,
	prev_show_up_rate: nullableRate,
	prev_headcount: nullableCount,
	prev_participation_rate: nullableRate
});
type ParticipationRow = z.infer<typeof ParticipationRow>;

export const ParticipationAnswer = z.array(ParticipationRow);

export type ReportRow = FigureRow & { parentKey: string | null };

function toRow(row: ParticipationRow): ReportRow {
	const previous: Figures = {
		attendances: row.prev_attendances,
		participants: row.prev_participants,
		guestAttendances: row.prev_guest_attendances,
		admitted: row.prev_registrations_admitted,
		showUpRate: row.prev_show_up_rate,
		headcount: row.prev_headcount,
		participationRate: row.prev_participation_rate,
		activityCount: row.prev_activities
	};
	return {
		key: row.group_key,
		label: row.group_label,
		parentKey: row.parent_key,
		depth: row.depth,
		attendances: row.attendances,
		participants: row.participants,
		guestAttendances: row.guest_attendances,
		admitted: row.registrations_admitted,
		showUpRate: row.show_up_rate,
		headcount: row.headcount,
		participationRate: row.participation_rate,
		activityCount: row.activities,
		previous
	};
}

/** `report_participation`'s answer as report rows; throws 'bad_response' on any drift. */
export function parseParticipation(answer: unknown): ReportRow[] {
	return parseAnswer(ParticipationAnswer, answer, 'report_participation').map(toRow);
}

export async function fetchParticipation(
	client: UnionClient,
	period: Period,
	groupBy: Grouping | 'total'
): Promise<ReportRow[]> {
	const answer = await callRpc(client, 'report_participation', {
		period_start: period.start,
		period_end: period.end,
		group_by: groupBy
	});
	return parseParticipation(answer);
}

export type DrillFigure = 'attendances' | 'participants' | 'registrations' | 'headcount';

export interface DrillPerson {
	memberId: string;
	employeeNo: string;
	name: string;
	unitName: string;
	activityTitle: string | null;
	day: string | null;
	guests: number;
	paper: boolean;
	attendances: number;
}

/** One row of `report_drilldown`. */
export const DrilldownAnswer = z.array(
	z.object({
		member_id: z.string(),
		employee_no: z.string(),
		member_name: z.string(),
		member_unit_name: z.string(),
		activity_title: z.nullable(z.string()),
		day: z.nullable(z.string()),
		guests: count,
		paper: z.boolean(),
		attendances: count
	})
);

export function parseDrilldown(answer: unknown): DrillPerson[] {
	return parseAnswer(DrilldownAnswer, answer, 'report_drilldown').map((row) => ({
		memberId: row.member_id,
		employeeNo: row.employee_no,
		name: row.member_name,
		unitName: row.member_unit_name,
		activityTitle: row.activity_title,
		day: row.day,
		guests: row.guests,
		paper: row.paper,
		attendances: row.attendances
	}));
}

export async function fetchDrilldown(
	client: UnionClient,
	period: Period,
	figure: DrillFigure,
	groupBy: Grouping | 'total',
	groupKey: string | null
): Promise<DrillPerson[]> {
	const answer = await callRpcWithNulls(client, 'report_drilldown', {
		period_start: period.start,
		period_end: period.end,
		figure,
		group_by: groupBy,
		group_key: groupKey,
		row_limit: 2000
	});
	return parseDrilldown(answer);
}

export async function fetchSummaryText(client: UnionClient, year: number): Promise<string> {
	const answer = await callRpc(client, 'report_summary_text', { year });
	if (typeof answer !== 'string')
		throw new AppError('bad_response', 'report_summary_text: not text');
	return answer;
}
