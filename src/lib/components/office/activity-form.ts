// The activity editor's model: what the form holds (strings, as inputs give them), the zod schema
// that mirrors the checks of `save_activity` and of the activities table, and the payload sent.
// The server still decides; this only spares the office a round trip for plain mistakes.
import { z } from '#lib/domain/zod.ts';
import { ACTIVITY_CATEGORIES, ADMISSION_MODES } from '#lib/domain/activity.ts';

export const QUESTION_KINDS = ['choice', 'text', 'number'] as const;

export interface OptionDraft {
	value: string;
	zh: string;
	en: string;
}

export interface QuestionDraft {
	id: string;
	kind: (typeof QUESTION_KINDS)[number];
	zh: string;
	en: string;
	required: boolean;
	options: OptionDraft[];
	maxLength: string;
	min: string;
	max: string;
}

export interface ActivityDraft {
	id: string | null;
	title: string;
	description: string;
	category: (typeof ACTIVITY_CATEGORIES)[number];
	ownerUnitId: string;
	startsAt: string;
	endsAt: string;
	place: string;
	signupOpensAt: string;
	signupClosesAt: string;
	cancelDeadline: string;
	capacity: string;
	admission: (typeof ADMISSION_MODES)[number];
	waitlistEnabled: boolean;
	guestsMax: string;
	walkInAllowed: boolean;
	eligibleGenders: string[];
	eligibleMemberTypes: string[];
	eligibleUnitIds: string[];
	series: string;
	seriesLimit: string;
	questions: QuestionDraft[];
}

export function emptyDraft(ownerUnitId = ''): ActivityDraft {
	return {
		id: null,
		title: '',
		description: '',
		category: 'sports',
		ownerUnitId,
		startsAt: '',
		endsAt: '',
		place: '',
		signupOpensAt: '',
		signupClosesAt: '',
		cancelDeadline: '',
		capacity: '',
		admission: 'first_come',
		waitlistEnabled: true,
		guestsMax: '0',
		walkInAllowed: false,
		eligibleGenders: [],
		eligibleMemberTypes: [],
		eligibleUnitIds: [],
		series: '',
		seriesLimit: '',
		questions: []
	};
}

export function newQuestion(kind: QuestionDraft['kind'], index: number): QuestionDraft {
	return {
		id: `q${index + 1}`,
		kind,
		zh: '',
		en: '',
		required: false,
		options: kind === 'choice' ? [{ value: 'a', zh: '', en: '' }] : [],
		maxLength: kind === 'text' ? '200' : '',
		min: '',
		max: ''
	};
}

// ---- time in the union's zone: <input type="datetime-local"> has no zone of its own ----

function zoneOffsetMs(at: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit'
	}).formatToParts(new Date(at));
	const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
	const asUtc = Date.UTC(
		get('year'),
		get('month') - 1,
		get('day'),
		get('hour'),
		get('minute'),
		get('second')
	);
	return asUtc - Math.floor(at / 1000) * 1000;
}

/** '2026-03-08T14:00' in the union's zone → an ISO instant; null when not a date-time. */
export function localToIso(local: string, timeZone: string): string | null {
	const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
	if (match === null) return null;
	const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
	const naive = Date.UTC(y, mo - 1, d, h, mi);
	let instant = naive - zoneOffsetMs(naive, timeZone);
	instant = naive - zoneOffsetMs(instant, timeZone);
	return new Date(instant).toISOString();
}

/** An ISO instant → '2026-03-08T14:00' in the union's zone, for the form. */
export function isoToLocal(iso: string | null | undefined, timeZone: string): string {
	if (iso === null || iso === undefined || iso === '') return '';
	const at = new Date(iso).getTime();
	if (Number.isNaN(at)) return '';
	return new Date(at + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 16);
}

// ---- validation ----

/** Message keys (`office.v.*`) by field; questions as `questions.<index>.<field>`. */
export type DraftIssues = Partial<Record<string, string>>;

const optionalInt = (min: number, max: number) =>
	z.string().check(
		z.trim(),
		z.refine(
			(value) =>
				value === '' || (/^\d+$/.test(value) && Number(value) >= min && Number(value) <= max),
			{ message: 'int' }
		)
	);

const draftSchema = z.object({
	title: z
		.string()
		.check(
			z.trim(),
			z.minLength(1, { message: 'required' }),
			z.maxLength(120, { message: 'tooLong' })
		),
	description: z.string().check(z.maxLength(4000, { message: 'tooLong' })),
	place: z.string().check(z.maxLength(200, { message: 'tooLong' })),
	ownerUnitId: z.string().check(z.minLength(1, { message: 'required' })),
	startsAt: z.string().check(z.minLength(1, { message: 'required' })),
	endsAt: z.string().check(z.minLength(1, { message: 'required' })),
	capacity: optionalInt(1, 100000),
	guestsMax: z.string().check(z.trim(), z.regex(/^(10|\d)$/, { message: 'guests' })),
	series: z.string().check(z.maxLength(60, { message: 'tooLong' })),
	seriesLimit: optionalInt(1, 1000)
});

export type SavePayload = Record<string, unknown>;

export type DraftValidation =
	{ ok: true; payload: SavePayload } | { ok: false; issues: DraftIssues };

function numberOrNull(text: string): number | null {
	const folded = text.normalize('NFKC').trim();
	if (folded === '') return null;
	const value = Number(folded);
	return Number.isFinite(value) ? value : Number.NaN;
}

export function validateDraft(draft: ActivityDraft, timeZone: string): DraftValidation {
	const issues: DraftIssues = {};
	// The first problem of a field wins.
	const flag = (field: string, code: string): void => {
		issues[field] ??= code;
	};
	const parsed = draftSchema.safeParse(draft);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) {
			const field = String(issue.path[0]);
			flag(field, issue.message);
		}
	}
	const instant = (field: keyof ActivityDraft): string | null => {
		const value = draft[field];
		if (typeof value !== 'string' || value === '') return null;
		const iso = localToIso(value, timeZone);
		if (iso === null) flag(field, 'date');
		return iso;
	};
	const startsAt = instant('startsAt');
	const endsAt = instant('endsAt');
	const opens = instant('signupOpensAt');
	const closes = instant('signupClosesAt');
	const cancelBy = instant('cancelDeadline');
	if (startsAt !== null && endsAt !== null && endsAt < startsAt) issues.endsAt ??= 'endBeforeStart';
	if (opens !== null && closes !== null && closes <= opens)
		issues.signupClosesAt ??= 'closeBeforeOpen';
	// Sign-up closes at the start whatever is set (as on the server: save_activity refuses these).
	if (startsAt !== null) {
		if (opens !== null && opens >= startsAt) issues.signupOpensAt ??= 'openAfterStart';
		if (closes !== null && closes > startsAt) issues.signupClosesAt ??= 'closeAfterStart';
		if (cancelBy !== null && cancelBy > startsAt) issues.cancelDeadline ??= 'cancelAfterStart';
	}
	if (draft.series.trim() === '' && draft.seriesLimit.trim() !== '')
		issues.series ??= 'seriesNeeded';

	const ids = new Set<string>();
	draft.questions.forEach((question, index) => {
		const at = `questions.${index}`;
		if (!/^[A-Za-z0-9_-]{1,40}$/.test(question.id) || ids.has(question.id))
			issues[`${at}.id`] = 'questionId';
		ids.add(question.id);
		if (question.zh.trim() === '') issues[`${at}.zh`] = 'required';
		if (question.kind === 'choice') {
			const values = new Set<string>();
			if (question.options.length === 0) issues[`${at}.options`] = 'optionsNeeded';
			question.options.forEach((option, o) => {
				if (option.value.trim() === '' || values.has(option.value.trim()))
					issues[`${at}.options.${o}.value`] = 'optionValue';
				values.add(option.value.trim());
				if (option.zh.trim() === '') issues[`${at}.options.${o}.zh`] = 'required';
			});
		}
		if (question.kind === 'text') {
			const max = Number(question.maxLength);
			if (!/^\d+$/.test(question.maxLength.trim()) || max < 1 || max > 2000)
				issues[`${at}.maxLength`] = 'maxLength';
		}
		if (question.kind === 'number') {
			const min = numberOrNull(question.min);
			const max = numberOrNull(question.max);
			if (Number.isNaN(min)) issues[`${at}.min`] = 'number';
			if (Number.isNaN(max)) issues[`${at}.max`] = 'number';
			if (min !== null && max !== null && !Number.isNaN(min) && !Number.isNaN(max) && max < min)
				issues[`${at}.max`] = 'maxBelowMin';
		}
	});

	if (Object.keys(issues).length > 0) return { ok: false, issues };
	const int = (text: string): number | null => (text.trim() === '' ? null : Number(text.trim()));
	return {
		ok: true,
		payload: {
			...(draft.id === null ? {} : { id: draft.id }),
			title: draft.title.trim(),
			description: draft.description,
			category: draft.category,
			owner_unit_id: draft.ownerUnitId,
			starts_at: startsAt,
			ends_at: endsAt,
			place: draft.place.trim(),
			signup_opens_at: opens,
			signup_closes_at: closes,
			cancel_deadline: cancelBy,
			capacity: int(draft.capacity),
			admission: draft.admission,
			waitlist_enabled: draft.waitlistEnabled,
			guests_max: int(draft.guestsMax) ?? 0,
			walk_in_allowed: draft.walkInAllowed,
			eligible_genders: draft.eligibleGenders.length === 0 ? null : draft.eligibleGenders,
			eligible_member_types:
				draft.eligibleMemberTypes.length === 0 ? null : draft.eligibleMemberTypes,
			eligible_unit_ids: draft.eligibleUnitIds.length === 0 ? null : draft.eligibleUnitIds,
			series: draft.series.trim() === '' ? null : draft.series.trim(),
			series_limit: int(draft.seriesLimit),
			questions: draft.questions.map((question) => {
				const base = {
					id: question.id,
					kind: question.kind,
					label: { zh: question.zh.trim(), en: question.en.trim() },
					required: question.required
				};
				if (question.kind === 'choice') {
					return {
						...base,
						options: question.options.map((option) => ({
							value: option.value.trim(),
							label: { zh: option.zh.trim(), en: option.en.trim() }
						}))
					};
				}
				if (question.kind === 'text') return { ...base, max_length: Number(question.maxLength) };
				const min = numberOrNull(question.min);
				const max = numberOrNull(question.max);
				return { ...base, ...(min === null ? {} : { min }), ...(max === null ? {} : { max }) };
			})
		}
	};
}

/** The form's draft from an activity as the server sends it (snake_case, ISO instants). */
export function draftFromActivity(row: Record<string, unknown>, timeZone: string): ActivityDraft {
	const text = (key: string): string => {
		const value = row[key];
		return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
	};
	const list = (key: string): string[] =>
		Array.isArray(row[key])
			? (row[key] as unknown[]).filter((v): v is string => typeof v === 'string')
			: [];
	const questions = Array.isArray(row.questions)
		? (row.questions as Record<string, unknown>[])
		: [];
	const label = (value: unknown): { zh: string; en: string } => {
		const object = (value ?? {}) as Record<string, unknown>;
		return {
			zh: typeof object.zh === 'string' ? object.zh : '',
			en: typeof object.en === 'string' ? object.en : ''
		};
	};
	const category = text('category');
	const admission = text('admission');
	return {
		id: text('id') || null,
		title: text('title'),
		description: text('description'),
		category: (ACTIVITY_CATEGORIES as readonly string[]).includes(category)
			? (category as ActivityDraft['category'])
			: 'other',
		ownerUnitId: text('owner_unit_id'),
		startsAt: isoToLocal(text('starts_at'), timeZone),
		endsAt: isoToLocal(text('ends_at'), timeZone),
		place: text('place'),
		signupOpensAt: isoToLocal(text('signup_opens_at'), timeZone),
		signupClosesAt: isoToLocal(text('signup_closes_at'), timeZone),
		cancelDeadline: isoToLocal(text('cancel_deadline'), timeZone),
		capacity: text('capacity'),
		admission: (ADMISSION_MODES as readonly string[]).includes(admission)
			? (admission as ActivityDraft['admission'])
			: 'first_come',
		waitlistEnabled: row.waitlist_enabled !== false,
		guestsMax: text('guests_max') || '0',
		walkInAllowed: row.walk_in_allowed === true,
		eligibleGenders: list('eligible_genders'),
		eligibleMemberTypes: list('eligible_member_types'),
		eligibleUnitIds: list('eligible_unit_ids'),
		series: text('series'),
		seriesLimit: text('series_limit'),
		questions: questions.map((question, index) => {
			const kind = (QUESTION_KINDS as readonly unknown[]).includes(question.kind)
				? (question.kind as QuestionDraft['kind'])
				: 'text';
			const options = Array.isArray(question.options)
				? (question.options as Record<string, unknown>[])
				: [];
			const number = (value: unknown): string => (typeof value === 'number' ? String(value) : '');
			return {
				id: typeof question.id === 'string' ? question.id : `q${index + 1}`,
				kind,
				...label(question.label),
				required: question.required === true,
				options: options.map((option) => ({
					value: typeof option.value === 'string' ? option.value : '',
					...label(option.label)
				})),
				maxLength: number(question.max_length) || (kind === 'text' ? '200' : ''),
				min: number(question.min),
				max: number(question.max)
			};
		})
	};
}
