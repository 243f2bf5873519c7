// Participation figures (docs/figures.md) as the exports and the yearly summary need them. The
// server computes every figure (`report_participation`); this module only lays them out: the
// columns of each grouping's sheet, with Chinese headers, and the summary paragraph in Chinese
// for the union's work report (工会工作报告).
import {
	buildTable,
	formatPercent,
	yearOverYear,
	type ColumnSpec,
	type Table
} from './export-sheets.ts';

export const GROUPINGS = ['unit', 'category', 'month', 'activity'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** One row's figures. Rates are fractions (0.853), null when there is no base. */
export interface Figures {
	/** 人次: the sum over activity-days of distinct members checked in. */
	attendances: number;
	/** 人数: distinct members with at least one attendance. */
	participants: number;
	/** 家属人次: guests, never in member figures. */
	guestAttendances: number;
	/** Registrations that were admitted (the base of the show-up rate). */
	admitted: number;
	/** 到场率: attendees ÷ admitted registrations. */
	showUpRate: number | null;
	/** Members active in the unit on the last day of the period (or the eligible population). */
	headcount: number | null;
	/** 参与率: participants ÷ headcount. */
	participationRate: number | null;
	/** Activities with at least one day in the period, when the server counts them. */
	activityCount: number | null;
}

export interface FigureRow extends Figures {
	/** The unit id, category, month (YYYY-MM) or activity id. */
	key: string;
	label: string;
	/** Depth in the unit tree (0 = the union), 0 for other groupings. */
	depth: number;
	/** The same period one year earlier. */
	previous: Figures | null;
}

export const GROUPING_HEADER: Record<Grouping, string> = {
	unit: '单位',
	category: '类别',
	month: '月份',
	activity: '活动'
};

export const GROUPING_SHEET: Record<Grouping, string> = {
	unit: '按单位',
	category: '按类别',
	month: '按月份',
	activity: '按活动'
};

/** The columns of a grouping's sheet, in the order the work report quotes them. */
export function reportColumns(grouping: Grouping): ColumnSpec<FigureRow>[] {
	return [
		{
			header: GROUPING_HEADER[grouping],
			kind: 'text',
			width: grouping === 'activity' || grouping === 'unit' ? 32 : 14,
			// The unit tree stays readable in a flat sheet: children indented by full-width spaces.
			value: (row) => '\u3000'.repeat(grouping === 'unit' ? row.depth : 0) + row.label
		},
		{ header: '人次', kind: 'integer', value: (row) => row.attendances },
		{ header: '人数', kind: 'integer', value: (row) => row.participants },
		{ header: '家属人次', kind: 'integer', value: (row) => row.guestAttendances },
		{ header: '录取报名', kind: 'integer', value: (row) => row.admitted },
		{ header: '到场率', kind: 'percent', value: (row) => row.showUpRate },
		{ header: '在册人数', kind: 'integer', value: (row) => row.headcount },
		{ header: '参与率', kind: 'percent', value: (row) => row.participationRate },
		{ header: '去年同期人次', kind: 'integer', value: (row) => row.previous?.attendances ?? null },
		{ header: '去年同期人数', kind: 'integer', value: (row) => row.previous?.participants ?? null },
		{
			header: '去年同期参与率',
			kind: 'percent',
			value: (row) => row.previous?.participationRate ?? null
		},
		{
			header: '人次同比',
			kind: 'percent',
			value: (row) => yearOverYear(row.attendances, row.previous?.attendances ?? null)
		},
		{
			header: '人数同比',
			kind: 'percent',
			value: (row) => yearOverYear(row.participants, row.previous?.participants ?? null)
		}
	];
}

export function reportTable(grouping: Grouping, rows: readonly FigureRow[]): Table {
	return buildTable(GROUPING_SHEET[grouping], reportColumns(grouping), rows);
}

/** "增加10.0%" / "减少3.2%" / "持平" for the summary. */
export function describeChange(change: number | null): string | null {
	if (change === null || !Number.isFinite(change)) return null;
	if (Math.abs(change) < 0.0005) return '持平';
	return `${change > 0 ? '增加' : '减少'}${formatPercent(Math.abs(change))}`;
}

export interface SummaryInput {
	year: number;
	/** Totals for the whole union (the root of the unit tree). */
	total: Figures;
	previous: Figures | null;
	/** Per category, in the order to print; category labels in Chinese. */
	categories: readonly { label: string; attendances: number; activityCount: number | null }[];
}

/**
 * The yearly summary paragraph, ready to paste into the work report, e.g.
 * "2026年，工会共组织开展活动7项，职工参加855人次、612人，职工参与率85.3%；……".
 */
export function yearlySummary(input: SummaryInput): string {
	const { year, total, previous } = input;
	const parts: string[] = [];
	const activities = total.activityCount === null ? '' : `共组织开展活动${total.activityCount}项，`;
	parts.push(
		`${year}年，工会${activities}职工参加${total.attendances}人次、${total.participants}人`
	);
	if (total.participationRate !== null) {
		const headcount = total.headcount === null ? '' : `（在册会员${total.headcount}人）`;
		parts.push(`职工参与率${formatPercent(total.participationRate)}${headcount}`);
	}
	if (total.guestAttendances > 0) parts.push(`另有家属参加${total.guestAttendances}人次`);
	let text = parts.join('，');
	if (previous !== null) {
		const changes = [
			['参加人次', describeChange(yearOverYear(total.attendances, previous.attendances))],
			['参与人数', describeChange(yearOverYear(total.participants, previous.participants))]
		]
			.filter((pair): pair is [string, string] => pair[1] !== null)
			.map(([what, change]) => `${what}${change}`);
		if (changes.length > 0) text += `；与上年同期相比，${changes.join('，')}`;
	}
	text += '。';
	const categories = input.categories.filter((category) => category.attendances > 0);
	if (categories.length > 0) {
		text += `其中，${categories
			.map(
				(category) =>
					`${category.label}类${category.activityCount === null ? '' : `${category.activityCount}项、`}${category.attendances}人次`
			)
			.join('，')}。`;
	}
	return text;
}
