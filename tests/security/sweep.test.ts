// The generated sweep (B3, A12, A13, B7): every function in schema `public`, read from pg_proc,
// called over HTTP as anon, as an employee, as an organizer of another branch and as check-in
// staff of another activity, with arguments made from its signature that point at a real demo
// activity none of them may reach. The office is the control column: it proves the arguments
// reach each function's logic, so a denial is a denial and not a typo.
//
// A function missing from EXPECTED fails the sweep: a new function needs a rule here.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StandIn } from '../../supabase/standin/index.ts';
import {
	accountFor,
	fingerprint,
	leaksInternals,
	action,
	anonClient,
	ownerQuery,
	publicFunctions,
	mintPersona,
	securityLanes,
	type AnyClient,
	type Persona,
	type PublicFunction
} from './support.ts';

/**
 * denied     401/403 (PT401, PT403, 42501), or apply_actions answering 200 with every action
 *            rejected for lack of rights (not_staff, wrong_user, not_signed_in, …)
 * not_found  404 from the function itself: the target is not revealed to exist
 * refused    400/409: a business refusal after the caller was let in (their own data only)
 * empty      2xx with nothing in it ([] or null)
 * allowed    2xx with data (own data, or data every member may see)
 */
type Outcome = 'denied' | 'not_found' | 'refused' | 'empty' | 'allowed';
type Caller = 'anon' | 'employee' | 'foreignOrganizer' | 'foreignCheckinStaff' | 'office';

const D = 'denied' as const;

/** THE table: one rule per public function. */
const EXPECTED: Record<string, Record<Caller, Outcome>> = {
	cancel_activity: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// On behalf of members outside the caller’s units: every member refused (member_not_in_scope).
	cancel_on_behalf: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	close_activity: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	copy_activity: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// Registrations, sessions and roles of foreign activities are not revealed to exist.
	decide_registration: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'refused'
	},
	delete_session: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'allowed'
	},
	generate_sessions: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	get_activity_admin: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	grant_role: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// Roster import (preview mode) is the office’s alone.
	import_roster: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	import_units: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// An organizer sees the activities of their own branch only.
	list_managed_activities: {
		anon: D,
		employee: D,
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	list_registrations: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// 代报名: organizers and liaisons get their own units only, the office everything.
	list_signup_activities: {
		anon: D,
		employee: D,
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// A page with a total, of the caller's own units: a foreign name is not found there.
	list_signup_members: {
		anon: D,
		employee: D,
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	list_signup_registrations: {
		anon: D,
		employee: D,
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// An organizer sees the staff of their own branch only.
	list_staff: {
		anon: D,
		employee: D,
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	move_from_waitlist: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'refused'
	},
	publish_activity: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	record_paper_attendance: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	revoke_role: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'allowed'
	},
	// Editing a foreign activity: it is not found (its id is not revealed).
	save_activity: {
		anon: D,
		employee: D,
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: D,
		office: 'refused'
	},
	sign_up_on_behalf: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// The office control deleted this session just before (delete_session runs first).
	update_session: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'not_found'
	},
	// Batch of intents: the call is let in, every foreign check-in is rejected per action.
	apply_actions: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// Own registration only (none of theirs on the target): nothing to cancel.
	cancel_registration: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'not_found'
	},
	draw_lottery: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	// Published activities are for every member to see (without other people's data: B2).
	get_activity: {
		anon: D,
		employee: 'allowed',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'allowed',
		office: 'allowed'
	},
	get_checkin_counter: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	get_checkin_roster: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	grant_checkin_staff: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	list_activities: {
		anon: D,
		employee: 'allowed',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'allowed',
		office: 'allowed'
	},
	list_activity_staff: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	// Only the activities the caller may check in for (their own one, for the staff).
	list_checkin_activities: {
		anon: D,
		employee: 'empty',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'allowed',
		office: 'allowed'
	},
	// Flagged check-ins of the target exist: foreign callers see none of them.
	list_checkin_conflicts: {
		anon: D,
		employee: 'empty',
		foreignOrganizer: 'empty',
		foreignCheckinStaff: 'empty',
		office: 'allowed'
	},
	list_my_registrations: {
		anon: D,
		employee: 'empty',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'empty',
		office: 'allowed'
	},
	// A flagged check-in of the target: it does not exist for a foreign caller.
	review_check_in: {
		anon: D,
		employee: 'not_found',
		foreignOrganizer: 'not_found',
		foreignCheckinStaff: 'not_found',
		office: 'allowed'
	},
	// R3: only where walk-ins are allowed; the sweep's activity takes none (walk_in_not_allowed).
	search_walk_in_members: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'refused'
	},
	// Signing oneself up for a published activity open to all is every member's right. (The
	// office control's own target was cancelled by its cancel_activity call just before.)
	sign_up: {
		anon: D,
		employee: 'allowed',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'allowed',
		office: 'refused'
	},
	// Reports (office and organizers, in their own subtrees): pointed at another branch (U01).
	report_drilldown: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'empty'
	},
	report_participation: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	report_summary_text: {
		anon: D,
		employee: D,
		foreignOrganizer: D,
		foreignCheckinStaff: D,
		office: 'allowed'
	},
	whoami: {
		anon: D,
		employee: 'allowed',
		foreignOrganizer: 'allowed',
		foreignCheckinStaff: 'allowed',
		office: 'allowed'
	}
};

/** apply_actions codes that mean "not yours to do". */
const DENIAL_CODES = new Set([
	'not_staff',
	'wrong_user',
	'not_signed_in',
	'not_on_roster',
	'member_not_in_scope'
]);

/**
 * Free-text arguments where any JSON scalar is taken as text, as PostgREST's json_to_record does
 * (a number or an object becomes its text): the function then treats it as data. Everything
 * else must be refused with a 4xx. (In the stand-in, bytes that are not UTF-8 arrive as U+FFFD;
 * PostgREST itself answers 400.)
 */
const ACCEPTED_AS_DATA: Record<string, string> = {
	'review_check_in.note': 'a review note: stored as text, cut to 500 characters',
	'search_walk_in_members.query':
		'searched literally (escaped LIKE); more than 30 characters is refused',
	'apply_actions.device_id': 'a device label of 1–64 characters; longer is refused',
	'list_checkin_conflicts.include_reviewed': 'a boolean: JSON true is exactly that',
	'report_drilldown.group_key':
		'a key of the chosen grouping, compared as text (ignored for the total); read-only',
	'report_drilldown.categories': 'category names compared as text: unknown ones match nothing',
	'list_signup_members.query':
		'searched literally (escaped LIKE) in the caller’s own units; more than 50 characters is refused',
	'cancel_activity.reason':
		'the reason shown to members, stored as text (the activity is already cancelled)'
};

/** Tables the base call of a function writes when a fuzzed free-text value was accepted. */
const WRITES_WHEN_ACCEPTED: Record<string, string[]> = {
	review_check_in: ['check_in_reviews', 'audit_log'],
	// A refused action is remembered in the idempotency ledger, so its replay answers alike.
	apply_actions: ['client_actions'],
	// Every on-behalf batch is audited, refused items included.
	sign_up_on_behalf: ['audit_log'],
	cancel_on_behalf: ['audit_log'],
	cancel_activity: ['activities', 'audit_log']
};

export interface SweepTargets {
	/** A real seed activity: the foreign callers' target, or the office's own one. */
	activity: string;
	ticket: string;
	registration: string;
	member: string;
	flaggedCheckIn: string;
	staffRole: string;
	/** A session of another seed activity with sessions. */
	session: string;
	memberName: string;
	employeeNo: string;
	unit: string;
}

/** Arguments from the signature: by name where the name says what it is, else by type. */
export function argumentsFor(
	fn: PublicFunction,
	targets: SweepTargets,
	callerId: string
): Record<string, unknown> {
	const args: Record<string, unknown> = {};
	const today = new Date().toISOString().slice(0, 10);
	for (const arg of fn.args) {
		const byName: Record<string, unknown> = {
			activity_id: targets.activity,
			check_in_id: targets.flaggedCheckIn,
			role_id: targets.staffRole,
			registration_id: targets.registration,
			member_ids: [targets.member],
			session_id: targets.session,
			unit_code: 'U01',
			role: 'organizer',
			reason: 'sweep',
			rows: [],
			activity: { id: targets.activity, title: 'sweep' },
			unit_id: targets.unit,
			employee_no: targets.employeeNo,
			decision: 'reversed',
			note: 'sweep',
			query: targets.memberName,
			device_id: 'sweep-phone',
			sent_at: new Date().toISOString(),
			year: new Date().getFullYear(),
			actions: [
				action(callerId, 'check_in', { activity_id: targets.activity, ticket: targets.ticket })
			]
		};
		// An optional session would make a sign-up to an activity without sessions invalid.
		if (arg.name in byName && !(arg.name === 'session_id' && arg.hasDefault)) {
			args[arg.name] = byName[arg.name];
			continue;
		}
		if (arg.hasDefault) continue;
		args[arg.name] = valueOfType(arg.type, targets, today);
	}
	return args;
}

function valueOfType(type: string, targets: SweepTargets, today: string): unknown {
	if (type.endsWith('[]')) return [];
	if (type === 'uuid') return targets.activity;
	if (type === 'integer' || type === 'bigint' || type === 'smallint' || type === 'numeric')
		return 1;
	if (type === 'boolean') return false;
	if (type === 'date') return today;
	if (type.startsWith('time ') || type === 'time') return '08:00';
	if (type.startsWith('timestamp')) return new Date().toISOString();
	if (type === 'jsonb' || type === 'json') return {};
	return 'x';
}

export function classify(fn: string, status: number, body: unknown): Outcome | `bad: ${string}` {
	if (status === 401 || status === 403) return 'denied';
	const code = (body as { code?: string } | null)?.code;
	if (status === 404) return code === 'PT404' ? 'not_found' : `bad: 404 ${code ?? ''}`;
	if (status === 400 || status === 409) return 'refused';
	if (status >= 200 && status < 300) {
		// Batches (apply_actions, *_on_behalf) answer per item: all refused for lack of rights is a denial.
		const results = (body as { results?: unknown } | null)?.results;
		if (Array.isArray(results) && results.length > 0) {
			const items = results as Array<{ status: string; code: string }>;
			if (items.every((r) => r.status === 'rejected' && DENIAL_CODES.has(r.code))) return 'denied';
			return 'allowed';
		}
		if (body === null || body === '' || (Array.isArray(body) && body.length === 0)) return 'empty';
		return 'allowed';
	}
	return `bad: ${status} ${code ?? ''}`;
}

describe.each(securityLanes())('public function sweep on $name', (lane) => {
	let standIn: StandIn;
	let stop: (() => Promise<void>) | undefined;
	let functions: PublicFunction[];
	let targets: SweepTargets;
	let officeTargets: SweepTargets;
	const callers = {} as Record<Caller, { id: string; token: string | null; client: AnyClient }>;

	beforeAll(async () => {
		const started = await lane.start();
		standIn = started.standIn;
		stop = () => started.stop();
		functions = await publicFunctions(standIn);
		// Targets: the union's own activities (outside the demo organizer's branch), each with a
		// registered member, a flagged check-in and a staff grant. The first is every foreign
		// caller's; the office (control) works on the second, so its writes change nothing the
		// others are judged on.
		const activities = await ownerQuery<{ id: string }>(
			standIn,
			`select a.id from private.activities a join private.units u on u.id = a.owner_unit_id
			where u.code = 'U00' and a.status = 'published' and a.capacity >= 30
				and a.eligible_genders is null and a.eligible_member_types is null
				and a.eligible_unit_ids is null and a.admission = 'first_come'
				and a.signup_opens_at < now() and a.signup_closes_at > now()
				and not exists (select 1 from private.sessions s where s.activity_id = a.id)
			order by a.capacity desc, a.starts_at limit 2`
		);
		if (activities.length < 2) throw new Error('no suitable seed activities');
		const [person] = await ownerQuery<{ name: string; employee_no: string }>(
			standIn,
			`select name, employee_no from private.members where active_until is null
			order by employee_no limit 1`
		);
		const [unit] = await ownerQuery<{ id: string }>(
			standIn,
			`select id from private.units where code = 'U01'`
		);
		const sessions = await ownerQuery<{ id: string }>(
			standIn,
			`select s.id from private.sessions s join private.activities a on a.id = s.activity_id
			join private.units u on u.id = a.owner_unit_id where u.code = 'U00'
			order by s.starts_at desc limit 2`
		);
		const build = async (activity: string, session: string): Promise<SweepTargets> => {
			const [registration] = await ownerQuery<{
				id: string;
				ticket_secret: string;
				member_id: string;
			}>(
				standIn,
				`select id, ticket_secret, member_id from private.registrations
				where activity_id = $1::uuid and status = 'registered' and member_id in (
					select m.id from private.members m join private.units u on u.id = m.unit_id
					where not (u.ancestors && array[(select id from private.units where code = 'U03')]))
				order by created_at limit 1`,
				[activity]
			);
			const flagged = randomUUID();
			await ownerQuery(
				standIn,
				`insert into private.check_ins (id, activity_id, day, kind, device_id, device_seq, flags)
				values ($1::uuid, $2::uuid, current_date, 'provisional', 'seed-phone', 1, '{provisional,ticket_unknown}')`,
				[flagged, activity]
			);
			const [role] = await ownerQuery<{ id: string }>(
				standIn,
				`insert into private.staff_roles (member_id, role, activity_id)
				values ($1::uuid, 'checkin_staff', $2::uuid) returning id`,
				[registration!.member_id, activity]
			);
			return {
				activity,
				ticket: registration!.ticket_secret,
				registration: registration!.id,
				member: registration!.member_id,
				flaggedCheckIn: flagged,
				staffRole: role!.id,
				session,
				memberName: person!.name.slice(0, 2),
				employeeNo: person!.employee_no,
				unit: unit!.id
			};
		};
		targets = await build(activities[0]!.id, sessions[0]!.id);
		officeTargets = await build(activities[1]!.id, sessions[1]!.id);
		// Check-in staff of another seed activity (the nursing branch's own contest).
		const staffEmail = await accountFor(
			standIn,
			`m.active_until is null and m.unit_id in (select id from private.units where code = 'U0402')`
		);
		await ownerQuery(
			standIn,
			`insert into private.staff_roles (member_id, role, activity_id)
			select m.id, 'checkin_staff', (
				select a.id from private.activities a join private.units u on u.id = a.owner_unit_id
				where u.code = 'U03' order by a.starts_at limit 1)
			from private.members m where m.email = $1`,
			[staffEmail]
		);
		const personas: Record<Exclude<Caller, 'anon'>, Persona> = {
			employee: await mintPersona(standIn, 'employee@union.example'),
			foreignOrganizer: await mintPersona(standIn, 'organizer@union.example'),
			foreignCheckinStaff: await mintPersona(standIn, staffEmail),
			office: await mintPersona(standIn, 'office@union.example')
		};
		callers.anon = { id: randomUUID(), token: null, client: anonClient(standIn) };
		for (const [name, persona] of Object.entries(personas)) {
			callers[name as Caller] = {
				id: persona.userId,
				token: persona.accessToken,
				client: persona.client
			};
		}
	});

	afterAll(async () => {
		await stop?.();
	});

	test('B3 A12 A13 B7 every public function answers each caller as its rule says; none lacks a rule', async () => {
		const names = [...new Set(functions.map((f) => f.name))].sort();
		expect(names.length).toBeGreaterThan(10);

		const order: Caller[] = [
			'anon',
			'employee',
			'foreignOrganizer',
			'foreignCheckinStaff',
			'office'
		];
		const actual: Record<string, Record<Caller, string>> = {};
		for (const fn of functions) {
			const row = {} as Record<Caller, string>;
			for (const caller of order) {
				const who = callers[caller];
				const response = await fetch(`${standIn.url}/rest/v1/rpc/${fn.name}`, {
					method: 'POST',
					headers: {
						apikey: standIn.anonKey,
						'Content-Type': 'application/json',
						...(who.token ? { Authorization: `Bearer ${who.token}` } : {})
					},
					body: JSON.stringify(
						argumentsFor(fn, caller === 'office' ? officeTargets : targets, who.id)
					)
				});
				const text = await response.text();
				let body: unknown = text;
				try {
					body = text === '' ? null : JSON.parse(text);
				} catch {
					// not JSON: classified by status
				}
				row[caller] = classify(fn.name, response.status, body);
			}
			actual[fn.name] = row;
		}
		// A new function fails here, with what it answered each caller (judge it, then add a rule).
		const withoutRule = Object.fromEntries(
			Object.entries(actual).filter(([name]) => !(name in EXPECTED))
		);
		expect(withoutRule, 'new function without a rule in EXPECTED').toEqual({});
		const stale = Object.keys(EXPECTED).filter((name) => !names.includes(name));
		expect(stale, 'rules for functions that no longer exist').toEqual([]);
		expect(actual).toEqual(EXPECTED);
	});

	test('C5 C6 C7 G3 every argument of every function, fuzzed: 4xx with a code, no 5xx, no stack trace, nothing written', async () => {
		const office = callers.office;
		const big = 'x'.repeat(1_000_000);
		const cases: Array<[string, (arg: string) => unknown]> = [
			['1 MB string', () => big],
			['10k-element array', () => Array.from({ length: 10_000 }, () => 'x')],
			['NUL', () => 'a\u0000b'],
			['lone surrogate', () => '\ud800x'],
			['number', () => 12345.5],
			['object', () => ({ nested: { deep: true } })]
		];
		const failures: string[] = [];
		const accepted = new Set<string>();
		let tried = 0;
		const post = async (fn: string, body: string | Uint8Array<ArrayBuffer>) => {
			tried += 1;
			const response = await fetch(`${standIn.url}/rest/v1/rpc/${fn}`, {
				method: 'POST',
				headers: {
					apikey: standIn.anonKey,
					'Content-Type': 'application/json',
					Authorization: `Bearer ${office.token}`
				},
				body
			});
			const text = await response.text();
			let json: unknown;
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}
			return { status: response.status, text, json };
		};
		const judge = (
			label: string,
			fn: string,
			arg: string | null,
			r: { status: number; text: string; json: unknown }
		) => {
			const code = (r.json as { code?: unknown } | undefined)?.code;
			const items = (r.json as { results?: unknown } | undefined)?.results;
			// Batches (apply_actions, *_on_behalf) refuse per item inside a 200.
			const refusedPerAction =
				r.status === 200 &&
				Array.isArray(items) &&
				(items as Array<{ status: string }>).every((x) => x.status === 'rejected');
			if (refusedPerAction) accepted.add(fn);
			if (r.status >= 500) failures.push(`${label}: ${r.status} ${r.text.slice(0, 200)}`);
			else if (leaksInternals(r.text)) failures.push(`${label}: leaks internals`);
			else if (r.status < 300 && arg !== null && `${fn}.${arg}` in ACCEPTED_AS_DATA)
				accepted.add(fn);
			else if (!refusedPerAction && !(r.status >= 400 && typeof code === 'string'))
				failures.push(`${label}: ${r.status} without an error code`);
		};
		for (const fn of functions) {
			const before = await fingerprint(standIn);
			const base = argumentsFor(fn, officeTargets, office.id);
			for (const arg of fn.args) {
				// The cases of one argument at once (PostgreSQL runs them in parallel).
				const answers = await Promise.all(
					cases.map(([, make]) =>
						post(fn.name, JSON.stringify({ ...base, [arg.name]: make(arg.name) }))
					)
				);
				for (const [i, [name]] of cases.entries()) {
					judge(`${fn.name}(${arg.name} = ${name})`, fn.name, arg.name, answers[i]!);
				}
				// Raw bytes that are not UTF-8 inside the argument's JSON string.
				const prefix = Buffer.from(
					JSON.stringify({ ...base, [arg.name]: 'A' }).split('"A"')[0]! + '"'
				);
				const rest = Buffer.from(
					'"' + JSON.stringify({ ...base, [arg.name]: 'A' }).split('"A"')[1]!
				);
				const bytes = Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), rest]);
				judge(
					`${fn.name}(${arg.name} = malformed UTF-8)`,
					fn.name,
					arg.name,
					await post(fn.name, new Uint8Array(bytes))
				);
			}
			for (const [name, body] of [
				['extra key', JSON.stringify({ ...base, is_admin: true })],
				['__proto__', `{"__proto__":{"role":"service_role"},${JSON.stringify(base).slice(1)}`],
				['not an object', '[1,2,3]'],
				['truncated JSON', JSON.stringify(base).slice(0, -1)]
			] as const) {
				judge(`${fn.name}(${name})`, fn.name, null, await post(fn.name, body));
			}
			const after = await fingerprint(standIn);
			const mayWrite = accepted.has(fn.name) ? (WRITES_WHEN_ACCEPTED[fn.name] ?? []) : [];
			const changed = Object.keys(after).filter(
				(t) => after[t] !== before[t] && !mayWrite.includes(t)
			);
			if (changed.length > 0) failures.push(`${fn.name}: wrote to ${changed.join(', ')}`);
		}
		expect(tried).toBeGreaterThan(functions.length * 8);
		expect(failures).toEqual([]);
		// Thousands of calls, one after another: about 45 s on a quiet machine, and every new
		// function adds its share. A limit for a hung run, not a speed check.
	}, 240_000);
});
