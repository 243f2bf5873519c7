// The report functions of supabase/migrations/*_reports.sql, parsed into the export model.
import type { UnionClient } from '#lib/data/client.ts';
import type { FigureRow, Figures, Grouping } from '#lib/domain/export-report.ts';
import { num, numOrNull, officeRpc, rows, str, strOrNull, bool, type Row } from './office-rpc.ts';

export interface Period {
	start: string;
	end: string;
}

function figures(row: Row, prefix: '' | 'prev_'): Figures {
	return {
		attendances: num(row, `${prefix}attendances`),
		participants: num(row, `${prefix}participants`),
		guestAttendances: num(row, `${prefix}guest_attendances`),
		admitted: num(row, `${prefix}registrations_admitted`),
		showUpRate: numOrNull(row, `${prefix}show_up_rate`),
		headcount: numOrNull(row, `${prefix}headcount`),
		participationRate: numOrNull(row, `${prefix}participation_rate`),
		activityCount: numOrNull(row, `${prefix}activities`)
	};
}

export function parseFigureRow(row: Row): FigureRow & { parentKey: string | null } {
	return {
		key: str(row, 'group_key'),
		label: str(row, 'group_label'),
		parentKey: strOrNull(row, 'parent_key'),
		depth: num(row, 'depth'),
		...figures(row, ''),
		previous: figures(row, 'prev_')
	};
}

export async function fetchParticipation(
	client: UnionClient,
	period: Period,
	groupBy: Grouping | 'total'
): Promise<(FigureRow & { parentKey: string | null })[]> {
	const answer = await officeRpc(client, 'report_participation', {
		period_start: period.start,
		period_end: period.end,
		group_by: groupBy
	});
	return rows(answer).map(parseFigureRow);
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

export async function fetchDrilldown(
	client: UnionClient,
	period: Period,
	figure: DrillFigure,
	groupBy: Grouping | 'total',
	groupKey: string | null
): Promise<DrillPerson[]> {
	const answer = await officeRpc(client, 'report_drilldown', {
		period_start: period.start,
		period_end: period.end,
		figure,
		group_by: groupBy,
		group_key: groupKey,
		row_limit: 2000
	});
	return rows(answer).map((row) => ({
		memberId: str(row, 'member_id'),
		employeeNo: str(row, 'employee_no'),
		name: str(row, 'member_name'),
		unitName: str(row, 'member_unit_name'),
		activityTitle: strOrNull(row, 'activity_title'),
		day: strOrNull(row, 'day'),
		guests: num(row, 'guests'),
		paper: bool(row, 'paper'),
		attendances: num(row, 'attendances')
	}));
}

export async function fetchSummaryText(client: UnionClient, year: number): Promise<string> {
	const answer = await officeRpc(client, 'report_summary_text', { year });
	if (typeof answer !== 'string') throw new Error('summary: not text');
	return answer;
}
