// The abuse catalogue (docs/decisions.md §10), automated against the real app:
// migrations + demo seed behind the local stand-in, reached over HTTP with supabase-js as the
// personas an attacker could be. Each title starts with its catalogue ids; tests/security/
// catalogue.ts lists where every id is covered, and a test there checks the titles exist.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StandIn } from '../../supabase/standin/index.ts';
import { DEFAULT_JWT_SECRET, signJwt } from '../../supabase/standin/keys.ts';
import {
	accountFor,
	action,
	anonClient,
	apply,
	fingerprint,
	ownerQuery,
	rawRpc,
	securityLanes,
	signIn,
	type Persona
} from './support.ts';

describe.each(securityLanes())('abuse catalogue over HTTP on $name', (lane) => {
	let standIn: StandIn;
	let stop: (() => Promise<void>) | undefined;
	let employee: Persona;
	let organizer: Persona;
	let office: Persona;
	/** Check-in staff of X only, and of Y only. */
	let staffX: Persona;
	let staffY: Persona;
	/** Two activities held today, run by the union (outside the demo organizer's branch). */
	let X: string;
	let Y: string;
	/** Tickets of X: the employee's, and of other members. */
	let ticketOfEmployee: string;
	const ticketsX: string[] = [];
	let ticketY: string;

	async function activityToday(fields: Record<string, string> = {}): Promise<string> {
		const [row] = await ownerQuery<{ id: string }>(
			standIn,
			`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at,
				signup_opens_at, signup_closes_at, cancel_deadline, capacity, walk_in_allowed)
			select coalesce($1, 'Security test activity'), 'other', 'published', u.id,
				now() - interval '1 hour', now() + interval '3 hours', now() - interval '2 days',
				now() + interval '2 hours', now() + interval '2 hours', coalesce($2::int, 100), true
			from private.units u where u.code = 'U00' returning id`,
			[fields.title ?? null, fields.capacity ?? null]
		);
		return row!.id;
	}

	/** An activity open for sign-up now, held in ten days. */
	async function upcoming(title: string, capacity = 100): Promise<string> {
		const [row] = await ownerQuery<{ id: string }>(
			standIn,
			`insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at,
				signup_opens_at, signup_closes_at, cancel_deadline, capacity, guests_max)
			select $1, 'other', 'published', u.id, now() + interval '10 days',
				now() + interval '10 days 2 hours', now() - interval '1 day', now() + interval '5 days',
				now() + interval '9 days', $2::int, 3
			from private.units u where u.code = 'U00' returning id`,
			[title, String(capacity)]
		);
		return row!.id;
	}

	/** Registers roster members (SQL condition on m) for an activity; returns their tickets. */
	async function register(activity: string, where: string, limit = 1): Promise<string[]> {
		const rows = await ownerQuery<{ ticket_secret: string }>(
			standIn,
			`insert into private.registrations (activity_id, member_id, status)
			select $1::uuid, m.id, 'registered' from private.members m
			where (${where}) and not exists (
				select 1 from private.registrations r where r.activity_id = $1::uuid and r.member_id = m.id)
			order by m.employee_no limit ${limit}
			returning ticket_secret`,
			[activity]
		);
		return rows.map((r) => r.ticket_secret);
	}

	async function checkInRows(activity: string): Promise<number> {
		const [row] = await ownerQuery<{ n: number }>(
			standIn,
			`select count(*)::int as n from private.check_ins where activity_id = $1::uuid`,
			[activity]
		);
		return row!.n;
	}

	async function grantCheckinStaff(activity: string): Promise<Persona> {
		const email = await accountFor(
			standIn,
			`m.member_type = 'staff' and m.active_until is null and m.unit_id in
				(select id from private.units where code = 'U0401')`
		);
		await ownerQuery(
			standIn,
			`insert into private.staff_roles (member_id, role, activity_id)
			select m.id, 'checkin_staff', $1::uuid from private.members m where m.email = $2`,
			[activity, email]
		);
		return signIn(standIn, email, `staff of ${activity}`);
	}

	beforeAll(async () => {
		const started = await lane.start();
		standIn = started.standIn;
		stop = () => started.stop();
		[employee, organizer, office] = await Promise.all([
			signIn(standIn, 'employee@union.example'),
			signIn(standIn, 'organizer@union.example'),
			signIn(standIn, 'office@union.example')
		]);
		X = await activityToday({ title: 'X' });
		Y = await activityToday({ title: 'Y' });
		ticketOfEmployee = (await register(X, `m.email = 'employee@union.example'`))[0]!;
		ticketsX.push(
			...(await register(
				X,
				`m.user_id is null and m.active_until is null and m.gender = 'female'`,
				30
			))
		);
		ticketY = (
			await register(Y, `m.user_id is null and m.active_until is null and m.gender = 'male'`)
		)[0]!;
		staffX = await grantCheckinStaff(X);
		staffY = await grantCheckinStaff(Y);
	});

	afterAll(async () => {
		await stop?.();
	});

	const scan = (persona: Persona, activity: string, ticket: string, extra = {}) =>
		action(persona.userId, 'check_in', { activity_id: activity, ticket, ...extra });

	test('A1 a forged, truncated, random or badly encoded ticket is unknown: no row, no attendee data', async () => {
		const before = await checkInRows(X);
		const forged = [
			'',
			'x',
			ticketsX[0]!.slice(0, 10),
			'AAAAAAAAAAAAAAAAAAAAAAAA',
			'%%%not-base64%%%',
			'\u202e' + ticketsX[1]!,
			randomUUID()
		];
		const results = await apply(
			staffX,
			forged.map((ticket) => scan(staffX, X, ticket))
		);
		expect(results.map((r) => r.code)).toEqual(forged.map(() => 'ticket_unknown'));
		for (const result of results) expect(result.entity).toBeUndefined();
		expect(await checkInRows(X)).toBe(before);
	});

	test('A2 a real ticket with one character changed (this app signs nothing: it is just unknown)', async () => {
		const real = ticketsX[2]!;
		const flipped = real.slice(0, -1) + (real.endsWith('A') ? 'B' : 'A');
		const [result] = await apply(staffX, [scan(staffX, X, flipped)]);
		expect(result?.code).toBe('ticket_unknown');
		expect(result?.entity).toBeUndefined();
	});

	test('A4 a valid ticket of activity Y scanned at X is refused without revealing Y', async () => {
		const before = await checkInRows(X);
		const [result] = await apply(staffX, [scan(staffX, X, ticketY)]);
		expect(result).toMatchObject({ status: 'rejected', code: 'wrong_activity' });
		expect(JSON.stringify(result)).not.toMatch(/Y|name|unit/);
		expect(await checkInRows(X)).toBe(before);
	});

	test('A5 a replayed check-in with a new id counts once and names the first scan', async () => {
		const ticket = ticketsX[3]!;
		const [first] = await apply(staffX, [scan(staffX, X, ticket)]);
		const [second] = await apply(staffX, [scan(staffX, X, ticket)], 'another-phone');
		expect(first?.code).toBe('checked_in');
		expect(second?.code).toBe('already_checked_in');
		expect(second?.warnings).toContain('duplicate_scan');
		expect(second?.entity?.first_check_in).toMatchObject({ check_in_id: first?.id });
		const { data } = await staffX.client.rpc('get_checkin_counter', { activity_id: X });
		expect((data as { checked_in: number }).checked_in).toBeGreaterThanOrEqual(1);
	});

	test('A6 E3 the same scan uploaded twice (answer lost, then retried): success again, one row', async () => {
		const before = await checkInRows(X);
		const same = scan(staffX, X, ticketsX[4]!);
		const [first] = await apply(staffX, [same]);
		const [retry] = await apply(staffX, [same]);
		expect(first).toMatchObject({ status: 'applied', code: 'checked_in', replayed: false });
		expect(retry).toMatchObject({ status: 'applied', code: 'checked_in', replayed: true });
		expect(await checkInRows(X)).toBe(before + 1);
	});

	test('A7 twenty stations redeem one ticket at once over HTTP: one check-in, the rest duplicates', async () => {
		const ticket = ticketsX[5]!;
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				apply(staffX, [scan(staffX, X, ticket)], `station-${i}`).then(([r]) => r)
			)
		);
		expect(results.filter((r) => r?.code === 'checked_in')).toHaveLength(1);
		expect(results.filter((r) => r?.code === 'already_checked_in')).toHaveLength(19);
	});

	test('A8 a ticket cancelled after the roster download is recorded only flagged, for review', async () => {
		const ticket = ticketsX[6]!;
		await ownerQuery(
			standIn,
			`update private.registrations set status = 'cancelled', cancelled_at = now() where ticket_secret = $1`,
			[ticket]
		);
		const [result] = await apply(staffX, [scan(staffX, X, ticket)]);
		expect(result?.warnings).toContain('registration_cancelled');
		const { data } = await office.client.rpc('list_checkin_conflicts', { activity_id: X });
		const flagged = (data as Array<{ check_in_id: string; flags: string[] }>).find(
			(c) => c.check_in_id === result?.id
		);
		expect(flagged?.flags).toContain('registration_cancelled');
	});

	test('A11 walk-in search needs 2 characters or 4 digits, caps answers at 10; tickets carry ≥128 bits', async () => {
		for (const query of ['', ' ', '张', '1', '123', '%', '_']) {
			const { error } = await staffX.client.rpc('search_walk_in_members', {
				activity_id: X,
				query
			});
			expect(error?.message, JSON.stringify(query)).toBe('query_too_short');
		}
		const { data } = await staffX.client.rpc('search_walk_in_members', {
			activity_id: X,
			query: '1001'
		});
		expect(Array.isArray(data)).toBe(true);
		const [{ data: common }] = await Promise.all([
			staffX.client.rpc('search_walk_in_members', { activity_id: X, query: '王' + '芳' })
		]);
		expect((common as unknown[]).length).toBeLessThanOrEqual(10);
		for (const ticket of [ticketOfEmployee, ...ticketsX]) {
			expect(Buffer.from(ticket, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
		}
		expect(new Set(ticketsX).size).toBe(ticketsX.length);
	});

	test('A12 A13 an attendee cannot check themselves in, and staff of Y cannot check in at X', async () => {
		const before = await fingerprint(standIn);
		const [self] = await apply(employee, [scan(employee, X, ticketOfEmployee)]);
		const [foreign] = await apply(staffY, [scan(staffY, X, ticketsX[7]!)]);
		const [walkIn] = await apply(staffY, [
			action(staffY.userId, 'walk_in', { activity_id: X, member_id: randomUUID() })
		]);
		expect([self?.code, foreign?.code, walkIn?.code]).toEqual([
			'not_staff',
			'not_staff',
			'not_staff'
		]);
		const after = await fingerprint(standIn);
		// Only the idempotency ledger remembers the refusals (G4: who, what, when).
		expect({ ...after, client_actions: '' }).toEqual({ ...before, client_actions: '' });
		for (const fn of ['get_checkin_roster', 'get_checkin_counter'] as const) {
			const { error } = await staffY.client.rpc(fn, { activity_id: X });
			expect(error?.code, fn).toBe('PT403');
		}
	});

	test('B1 an employee reads only their own registrations; table endpoints do not exist', async () => {
		const { data } = await employee.client.rpc('list_my_registrations');
		const mine = data as Array<{ id: string }>;
		const [own] = await ownerQuery<{ n: number }>(
			standIn,
			`select count(*)::int as n from private.registrations r join private.members m on m.id = r.member_id
			where m.user_id = $1::uuid`,
			[employee.userId]
		);
		expect(mine).toHaveLength(own!.n);
		for (const table of ['registrations', 'members', 'check_ins', 'activities', 'client_actions']) {
			const { error, data: rows } = await employee.client
				.from(table)
				.select('*', { count: 'exact' });
			expect(rows, table).toBeNull();
			expect(error?.code, table).toBe('PGRST205');
		}
	});

	test('B2 embedding, other schemas and RPCs give no other rows than B1', async () => {
		const embedded = await employee.client.from('activities').select('*,registrations(*)');
		expect(embedded.error?.code).toBe('PGRST205');
		const otherSchema = await employee.client.schema('private').from('registrations').select('*');
		expect(otherSchema.data).toBeNull();
		const viaRpcSchema = await employee.client.schema('private').rpc('registration_json', {
			registration_id: randomUUID()
		});
		expect(viaRpcSchema.error?.code).toBe('PGRST106');
		const { data: detail } = await employee.client.rpc('get_activity', { activity_id: X });
		const text = JSON.stringify(detail);
		for (const ticket of ticketsX) expect(text).not.toContain(ticket);
		expect(text).not.toMatch(/member_id|employee_no|phone/);
	});

	test('B3 the anonymous key reaches no table and no function (the sweep covers every function)', async () => {
		const anon = anonClient(standIn);
		const tables = await ownerQuery<{ name: string }>(
			standIn,
			`select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
			where n.nspname in ('private', 'public', 'auth') and c.relkind in ('r', 'v', 'm')`
		);
		const before = await fingerprint(standIn);
		for (const { name } of tables) {
			const read = await anon.from(name).select('*');
			expect(read.data, name).toBeNull();
			const write = await anon.from(name).insert({ id: randomUUID() });
			expect(write.error, name).not.toBeNull();
		}
		const { error } = await anon.rpc('list_activities');
		expect(error?.code).toBe('42501');
		expect(await fingerprint(standIn)).toEqual(before);
	});

	test('B4 B5 PATCH/POST/DELETE on registrations and extra sign-up fields change nothing', async () => {
		const before = await fingerprint(standIn);
		const patch = await employee.client
			.from('registrations')
			.update({ status: 'registered', activity_id: Y, checked_in_at: new Date().toISOString() })
			.eq('member_id', employee.userId);
		const insert = await employee.client
			.from('registrations')
			.insert({ activity_id: X, member_id: randomUUID(), status: 'registered' });
		const remove = await employee.client.from('registrations').delete().eq('activity_id', X);
		for (const result of [patch, insert, remove]) expect(result.error?.code).toBe('PGRST205');
		const massAssigned = await employee.client.rpc('sign_up', {
			activity_id: X,
			status: 'registered',
			member_id: randomUUID(),
			source: 'office'
		});
		expect(massAssigned.error?.code).toBe('PGRST202');
		expect(await fingerprint(standIn)).toEqual(before);
	});

	test('B6 user metadata claiming a role grants nothing; app metadata cannot be set', async () => {
		const persona = await signIn(standIn, 'employee@union.example');
		const { error } = await persona.client.auth.updateUser({
			data: { role: 'office', roles: ['organizer'], is_admin: true }
		});
		expect(error).toBeNull();
		const { data: session } = await persona.client.auth.refreshSession();
		const token = session.session?.access_token;
		expect(token).toBeDefined();
		const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as {
			role: string;
			app_metadata: Record<string, unknown>;
		};
		expect(claims.role).toBe('authenticated');
		expect(claims.app_metadata).not.toHaveProperty('role');
		const { data: me } = await persona.client.rpc('whoami');
		expect((me as { roles: unknown[] }).roles).toEqual([]);
		const roster = await persona.client.rpc('get_checkin_roster', { activity_id: X });
		expect(roster.error?.code).toBe('PT403');
	});

	test('B7 an organizer of one branch gets nothing of an activity run elsewhere', async () => {
		for (const fn of ['get_checkin_roster', 'get_checkin_counter', 'draw_lottery'] as const) {
			const { error } = await organizer.client.rpc(fn, { activity_id: X });
			expect(error?.code, fn).toBe('PT403');
		}
		const { data: conflicts } = await organizer.client.rpc('list_checkin_conflicts', {
			activity_id: X
		});
		expect(conflicts).toEqual([]);
		const staff = await organizer.client.rpc('list_activity_staff', { activity_id: X });
		expect(staff.error?.code).toBe('PT403');
	});

	test('B8 a check-in role revoked mid-event stops the next request of the same JWT', async () => {
		const persona = await grantCheckinStaff(X);
		const ok = await persona.client.rpc('get_checkin_counter', { activity_id: X });
		expect(ok.error).toBeNull();
		await ownerQuery(
			standIn,
			`update private.staff_roles set revoked_at = now()
			where member_id = (select id from private.members where user_id = $1::uuid)`,
			[persona.userId]
		);
		const after = await persona.client.rpc('get_checkin_counter', { activity_id: X });
		expect(after.error?.code).toBe('PT403');
		const [scanned] = await apply(persona, [scan(persona, X, ticketsX[8]!)]);
		expect(scanned?.code).toBe('not_staff');
	});

	test('B9 every security definer function pins search_path and lives outside the exposed schema; anon executes nothing', async () => {
		const drift = await ownerQuery<{ fn: string; problem: string | null }>(
			standIn,
			`select p.oid::regprocedure::text as fn,
				case
					when n.nspname = 'public' and p.prosecdef then 'security definer in public'
					when not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
						then 'mutable search_path'
					when has_function_privilege('anon', p.oid, 'execute') then 'executable by anon'
				end as problem
			from pg_proc p join pg_namespace n on n.oid = p.pronamespace
			where n.nspname in ('public', 'private')
				and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`
		);
		expect(drift.filter((d) => d.problem !== null)).toEqual([]);
		const [{ public_count } = { public_count: 0 }] = await ownerQuery<{ public_count: number }>(
			standIn,
			`select count(*)::int as public_count from pg_proc p join pg_namespace n on n.oid = p.pronamespace
			where n.nspname = 'public' and has_function_privilege('public', p.oid, 'execute')
				and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`
		);
		expect(public_count).toBe(0);
	});

	test('C1 C3 filter syntax and wildcards are data: no filters on RPC, % and _ match literally', async () => {
		const filtered = await rawRpcGet(`list_my_registrations?or=(status.eq.cancelled)`);
		expect(filtered.status).toBe(400);
		for (const query of ['x),or(status.eq.cancelled', '%%', '__', '%\\%', '张%']) {
			const { data, error } = await staffX.client.rpc('search_walk_in_members', {
				activity_id: X,
				query
			});
			expect(error, query).toBeNull();
			expect(data, query).toEqual([]);
		}
	});

	async function rawRpcGet(path: string): Promise<{ status: number }> {
		const response = await fetch(`${standIn.url}/rest/v1/rpc/${path}`, {
			headers: { apikey: standIn.anonKey, Authorization: `Bearer ${employee.accessToken}` }
		});
		await response.text();
		return { status: response.status };
	}

	test('C2 SQL-ish strings are stored or compared as data, and no SQL text comes back', async () => {
		const A = await upcoming('C2');
		const names = ["'; drop table members;--", '$$ select 1 $$', 'back\\slash'];
		const { data, error } = await employee.client.rpc('sign_up', {
			activity_id: A,
			guest_names: names
		});
		expect(error).toBeNull();
		expect((data as { registration: { guest_names: string[] } }).registration.guest_names).toEqual(
			names
		);
		const search = await staffX.client.rpc('search_walk_in_members', {
			activity_id: X,
			query: "' or 1=1 --"
		});
		expect(search.data).toEqual([]);
		const [{ n } = { n: 0 }] = await ownerQuery<{ n: number }>(
			standIn,
			`select count(*)::int as n from private.members`
		);
		expect(n).toBeGreaterThan(600);
	});

	test('C4 unknown keys: extra arguments are refused, extra payload keys are ignored, __proto__ too', async () => {
		const target = await upcoming('C4 answers');
		const before = await fingerprint(standIn);
		const extra = await employee.client.rpc('get_activity', { activity_id: X, is_admin: true });
		expect(extra.error?.code).toBe('PGRST202');
		const proto = await rawRpc(
			standIn,
			'get_activity',
			`{"activity_id":"${X}","__proto__":{"is_admin":true}}`,
			employee.accessToken
		);
		expect(proto.status).toBe(404);
		const answers = await employee.client.rpc('sign_up', {
			activity_id: target,
			answers: JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}')
		});
		expect(answers.error?.message).toBe('answer_invalid');
		expect(await fingerprint(standIn)).toEqual(before);
		// In an action payload, fields nobody reads are ignored: they cannot name another member.
		const C4 = await upcoming('C4');
		const [result] = await apply(employee, [
			action(employee.userId, 'signup', {
				activity_id: C4,
				member_id: randomUUID(),
				status: 'registered',
				source: 'office',
				__proto__: { admin: true }
			})
		]);
		expect(result?.status).toBe('applied');
		const [row] = await ownerQuery<{ source: string; user_id: string }>(
			standIn,
			`select r.source, m.user_id from private.registrations r join private.members m on m.id = r.member_id
			where r.activity_id = $1::uuid`,
			[C4]
		);
		expect(row).toEqual({ source: 'self', user_id: employee.userId });
		expect(({} as Record<string, unknown>).admin).toBeUndefined();
	});

	test('D1 twenty members race for the last seat over HTTP: one gets it, never over capacity', async () => {
		const D1 = await upcoming('D1', 1);
		await ownerQuery(
			standIn,
			`update private.activities set waitlist_enabled = false where id = $1::uuid`,
			[D1]
		);
		const racers: Persona[] = [];
		for (let i = 0; i < 6; i++) {
			const email = await accountFor(standIn, `m.active_until is null and m.member_type = 'staff'`);
			racers.push(await signIn(standIn, email));
		}
		const calls = [...racers, ...racers, ...racers, employee, office].map((p) =>
			p.client.rpc('sign_up', { activity_id: D1 })
		);
		const results = await Promise.all(calls);
		const won = results.filter(
			(r) => r.error === null && (r.data as { outcome: string }).outcome === 'registered'
		);
		const distinctWinners = new Set(
			won.map((r) => (r.data as { registration: { id: string } }).registration.id)
		);
		expect(distinctWinners.size).toBe(1);
		for (const r of results) {
			if (r.error !== null) expect(r.error.message).toMatch(/^(full|already_registered)$/);
		}
		const [seats] = await ownerQuery<{ capacity: number; seats_taken: number }>(
			standIn,
			`select capacity, seats_taken from private.activities where id = $1::uuid`,
			[D1]
		);
		expect(seats).toEqual({ capacity: 1, seats_taken: 1 });
	});

	test('D2 a double tap (two identical sign-ups at once) makes one registration', async () => {
		const D2 = await upcoming('D2');
		const [a, b] = await Promise.all([
			employee.client.rpc('sign_up', { activity_id: D2 }),
			employee.client.rpc('sign_up', { activity_id: D2 })
		]);
		const ids = [a, b].map((r) => (r.data as { registration: { id: string } }).registration.id);
		expect(ids[0]).toBe(ids[1]);
		const [{ n } = { n: 0 }] = await ownerQuery<{ n: number }>(
			standIn,
			`select count(*)::int as n from private.registrations where activity_id = $1::uuid`,
			[D2]
		);
		expect(n).toBe(1);
	});

	test('D5 cancelling with nothing to cancel, or twice, is refused or a no-op', async () => {
		const D5 = await upcoming('D5');
		const none = await employee.client.rpc('cancel_registration', { activity_id: D5 });
		expect(none.error?.message).toBe('registration_not_found');
		await employee.client.rpc('sign_up', { activity_id: D5 });
		const first = await employee.client.rpc('cancel_registration', { activity_id: D5 });
		const second = await employee.client.rpc('cancel_registration', { activity_id: D5 });
		expect((first.data as { existing: boolean }).existing).toBe(false);
		expect((second.data as { existing: boolean }).existing).toBe(true);
	});

	test('D6 capacity cannot be lowered below the seats taken, whatever writes it', async () => {
		const [row] = await ownerQuery<{ seats_taken: number }>(
			standIn,
			`select seats_taken from private.activities where id = $1::uuid`,
			[X]
		);
		await expect(
			ownerQuery(standIn, `update private.activities set capacity = 1 where id = $1::uuid`, [X])
		).rejects.toMatchObject({ code: '23514' });
		expect(row!.seats_taken).toBeGreaterThan(1);
	});

	test('E1 a queued action replayed with an expired token is refused (PGRST303), then applied once after refresh', async () => {
		const E1 = await upcoming('E1');
		const expired = await signJwt(
			{
				sub: employee.userId,
				role: 'authenticated',
				aud: 'authenticated',
				email: employee.email,
				iat: Math.floor(Date.now() / 1000) - 7200,
				exp: Math.floor(Date.now() / 1000) - 3600
			},
			DEFAULT_JWT_SECRET
		);
		const queued = action(employee.userId, 'signup', { activity_id: E1 });
		const before = await fingerprint(standIn);
		const stale = await rawRpc(
			standIn,
			'apply_actions',
			JSON.stringify({ device_id: 'p', sent_at: null, actions: [queued] }),
			expired
		);
		expect(stale.status).toBe(401);
		expect((stale.json as { code: string }).code).toBe('PGRST303');
		expect(await fingerprint(standIn)).toEqual(before);
		const [applied] = await apply(employee, [queued]);
		const [again] = await apply(employee, [queued]);
		expect(applied).toMatchObject({ status: 'applied', replayed: false });
		expect(again).toMatchObject({ status: 'applied', replayed: true });
	});

	test('E4 actions of one batch apply in the phone sequence, whatever order they arrive in', async () => {
		const E4 = await upcoming('E4');
		const signup = action(employee.userId, 'signup', { activity_id: E4 }, { seq: 10 });
		const cancel = action(employee.userId, 'cancel_signup', { activity_id: E4 }, { seq: 11 });
		const results = await apply(employee, [cancel, signup]);
		expect(results.map((r) => [r.id, r.status])).toEqual([
			[signup.id, 'applied'],
			[cancel.id, 'applied']
		]);
		const [row] = await ownerQuery<{ status: string }>(
			standIn,
			`select status from private.registrations where activity_id = $1::uuid`,
			[E4]
		);
		expect(row?.status).toBe('cancelled');
	});

	test('E5 a scanner clock three hours off: flagged clock_skew, same outcome, server time recorded', async () => {
		const skewed = new Date(Date.now() + 3 * 3_600_000).toISOString();
		const { data, error } = await staffX.client.rpc('apply_actions', {
			device_id: 'skewed-phone',
			sent_at: skewed,
			actions: [scan(staffX, X, ticketsX[9]!, {}), scan(staffX, X, 'unknown-ticket-xyz')].map(
				(a) => ({ ...a, client_at: skewed })
			)
		});
		expect(error).toBeNull();
		const results = (data as { results: Array<{ code: string; warnings: string[] }> }).results;
		expect(results.map((r) => r.code).sort()).toEqual(['checked_in', 'ticket_unknown']);
		for (const r of results) expect(r.warnings).toContain('clock_skew');
		const [row] = await ownerQuery<{ skew: boolean; server_ok: boolean }>(
			standIn,
			`select 'clock_skew' = any (flags) as skew, server_time <= now() as server_ok
			from private.check_ins where device_id = 'skewed-phone'`
		);
		expect(row).toEqual({ skew: true, server_ok: true });
	});

	test('G1 a cross-site form post carries no session (anon) and a text/plain body is refused', async () => {
		const before = await fingerprint(standIn);
		const form = await fetch(`${standIn.url}/rest/v1/rpc/sign_up?apikey=${standIn.anonKey}`, {
			method: 'POST',
			headers: {
				'Content-Type': 'application/x-www-form-urlencoded',
				Origin: 'https://evil.example'
			},
			body: `activity_id=${X}`
		});
		expect(form.status).toBe(401);
		const plain = await fetch(`${standIn.url}/rest/v1/rpc/sign_up?apikey=${standIn.anonKey}`, {
			method: 'POST',
			headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' },
			body: JSON.stringify({ activity_id: X })
		});
		expect(plain.status).toBe(415);
		expect(await fingerprint(standIn)).toEqual(before);
	});

	test('T36 a late duplicate of a request the client already retried is a replay: no second effect', async () => {
		const T36 = await upcoming('T36');
		const body = JSON.stringify({
			device_id: 'late',
			sent_at: new Date().toISOString(),
			actions: [action(employee.userId, 'signup', { activity_id: T36 })]
		});
		const first = await rawRpc(standIn, 'apply_actions', body, employee.accessToken);
		const before = await fingerprint(standIn);
		const late = await rawRpc(standIn, 'apply_actions', body, employee.accessToken);
		expect(first.status).toBe(200);
		expect((late.json as { results: Array<{ replayed: boolean }> }).results[0]?.replayed).toBe(
			true
		);
		expect(await fingerprint(standIn)).toEqual(before);
	});

	test('T45 offline sign-up then cancel while the last seat went to someone else: no dangling registration', async () => {
		const T45 = await upcoming('T45', 1);
		await office.client.rpc('sign_up', { activity_id: T45 });
		const results = await apply(employee, [
			action(employee.userId, 'signup', { activity_id: T45 }, { seq: 1 }),
			action(employee.userId, 'cancel_signup', { activity_id: T45 }, { seq: 2 })
		]);
		expect(results.map((r) => r.code)).toEqual(['waitlisted', 'cancelled']);
		const rows = await ownerQuery<{ status: string }>(
			standIn,
			`select r.status from private.registrations r join private.members m on m.id = r.member_id
			where r.activity_id = $1::uuid and m.user_id = $2::uuid`,
			[T45, employee.userId]
		);
		expect(rows).toEqual([{ status: 'cancelled' }]);
	});
});
