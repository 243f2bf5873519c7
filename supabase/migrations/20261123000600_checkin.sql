-- Check-in at the venue (签到): the roster organizers' phones download before the doors open,
-- the check-in kinds of apply_actions (scan, by hand, walk-in, undo), the live counter and the
-- conflict inbox of the union office.
--
-- Rules (DESIGN.md §4–6, research/offline-sync.md §3.5):
-- - every scan is kept in the append-only log; a person counts once per activity-day;
-- - undo removes only the check-ins the undoing phone had seen (add-wins);
-- - an unknown ticket is never accepted silently: only as `provisional`, flagged for review;
-- - offline scans are facts: a ticket cancelled after the phone's last roster download is
--   recorded, flagged `registration_cancelled`, for the office to confirm or reverse;
-- - only staff of the activity may check in (the office, its organizers, its check-in staff).

-- ===========================================================================================
-- Section: who may check in
-- ===========================================================================================

create function private.can_check_in(target_activity uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select private.can_manage_activity(target_activity)
		or target_activity = any (private.checkin_activity_ids())
$$;

-- The hash phones compare scanned secrets with: the roster never carries the secrets themselves.
create function private.ticket_hash(secret text) returns text
language sql
immutable
set search_path = ''
as $$
	select encode(extensions.digest(secret, 'sha256'), 'hex')
$$;

-- The days an activity is held on, in the union's time zone.
create function private.activity_days(target_activity uuid) returns date[]
language sql
stable
security definer
set search_path = ''
as $$
	select array(
		select generate_series(
			(a.starts_at at time zone s.time_zone)::date,
			(a.ends_at at time zone s.time_zone)::date,
			interval '1 day'
		)::date
		from private.activities a, private.union_settings s
		where a.id = target_activity
	)
$$;

-- Check-ins that count: not undone by an undo row naming them, and not reversed on review.
create function private.live_check_ins(target_activity uuid)
returns setof private.check_ins
language sql
stable
security definer
set search_path = ''
as $$
	select c.*
	from private.check_ins c
	where c.activity_id = target_activity
		and c.kind <> 'undo'
		and not exists (
			select 1 from private.check_ins u
			where u.activity_id = target_activity and u.kind = 'undo' and c.id = any (u.undoes)
		)
		and not exists (
			select 1 from private.check_in_reviews r
			where r.check_in_id = c.id and r.decision = 'reversed'
				and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
		)
$$;

-- ===========================================================================================
-- Section: the roster phones download
-- ===========================================================================================

-- Everything a phone needs to validate tickets offline: admitted and other registrations with
-- hashed ticket secrets, names, units, guests and session, and the check-ins so far.
create function private.checkin_roster(target_activity uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'activity', jsonb_build_object(
			'id', a.id, 'title', a.title, 'status', a.status, 'starts_at', a.starts_at,
			'ends_at', a.ends_at, 'place', a.place, 'walk_in_allowed', a.walk_in_allowed,
			'guests_max', a.guests_max, 'capacity', a.capacity, 'seats_taken', a.seats_taken,
			'days', to_jsonb(private.activity_days(a.id)),
			'sessions', coalesce((
				select jsonb_agg(jsonb_build_object('id', s.id, 'label', s.label, 'starts_at', s.starts_at,
					'ends_at', s.ends_at, 'capacity', s.capacity) order by s.starts_at)
				from private.sessions s where s.activity_id = a.id
			), '[]'::jsonb)
		),
		'version', a.version,
		'entries', coalesce((
			select jsonb_agg(jsonb_build_object(
				'registration_id', r.id,
				'member_id', m.id,
				'name', m.name,
				'employee_no', m.employee_no,
				'phone_suffix', right(m.phone, 4),
				'unit_name', u.name,
				'status', r.status,
				'session_id', r.session_id,
				'guest_names', to_jsonb(r.guest_names),
				'ticket_hash', private.ticket_hash(r.ticket_secret)
			) order by m.name)
			from private.registrations r
			join private.members m on m.id = r.member_id
			join private.units u on u.id = m.unit_id
			where r.activity_id = a.id
		), '[]'::jsonb),
		'check_ins', coalesce((
			select jsonb_agg(jsonb_build_object(
				'id', c.id, 'member_id', c.member_id, 'registration_id', c.registration_id, 'day', c.day,
				'kind', c.kind, 'undoes', to_jsonb(c.undoes), 'guests_checked_in', c.guests_checked_in,
				'device_id', c.device_id, 'server_time', c.server_time, 'flags', to_jsonb(c.flags)
			) order by c.server_time)
			from private.check_ins c where c.activity_id = a.id
		), '[]'::jsonb),
		'server_now', now()
	)
	from private.activities a
	where a.id = target_activity
$$;

-- ===========================================================================================
-- Section: applying check-in actions
-- ===========================================================================================

-- The first counting check-in of a member on a day, other than `except_id`, for the warning.
create function private.first_check_in(target_activity uuid, member uuid, on_day date, except_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	-- The same rule as private.live_check_ins, for one member and day: every scan calls this, so
	-- it reads through check_ins_member_day_idx instead of the whole activity's log.
	select jsonb_build_object('check_in_id', c.id, 'device_id', c.device_id, 'server_time', c.server_time,
		'recorded_by', (select m.name from private.members m where m.id = c.recorded_by))
	from private.check_ins c
	where c.activity_id = target_activity and c.member_id = member and c.day = on_day
		and c.id <> except_id and c.kind <> 'undo'
		and not exists (
			select 1 from private.check_ins u
			where u.activity_id = target_activity and u.kind = 'undo' and c.id = any (u.undoes)
		)
		and not exists (
			select 1 from private.check_in_reviews r
			where r.check_in_id = c.id and r.decision = 'reversed'
				and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
		)
	order by c.server_time, c.id
	limit 1
$$;

create index check_ins_member_day_idx on private.check_ins (activity_id, member_id, day);

-- Applies one check_in, walk_in or undo_check_in action (called by private.apply_action inside
-- its savepoint, after the ledger claimed the id). Returns the action's result.
create function private.apply_checkin_action(
	action_id uuid,
	kind text,
	payload jsonb,
	device text,
	device_seq bigint,
	device_time timestamptz,
	clock_skew boolean
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	target uuid := (payload ->> 'activity_id')::uuid;
	activity private.activities;
	staff uuid := private.current_member_id();
	registration private.registrations;
	member private.members;
	on_day date;
	days date[];
	flags text[] := case when clock_skew then array['clock_skew'] else '{}' end;
	warnings text[] := '{}';
	check_kind text;
	guests integer;
	first jsonb;
	targets uuid[];
	live integer;
	signed jsonb;
begin
	select * into activity from private.activities a where a.id = target;
	if activity.id is null or not private.can_check_in(target) then
		-- A12/A13: only staff of this activity; nothing about the activity is revealed.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_staff');
	end if;

	if kind = 'undo_check_in' then
		select coalesce(array_agg(distinct t), '{}') into targets
		from jsonb_array_elements_text(coalesce(payload -> 'target_ids', '[]'::jsonb)) t;
		if cardinality(targets) = 0 or cardinality(targets) > 50 then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
		end if;
		select count(*) into live from private.live_check_ins(target) c where c.id = any (targets);
		-- Kept even when nothing is live yet: an undo that overtakes its check-in still wins.
		insert into private.check_ins (id, activity_id, day, kind, undoes, device_id, device_seq, device_time, recorded_by, flags)
		values (action_id, target,
			coalesce((payload ->> 'day')::date, (now() at time zone (select s.time_zone from private.union_settings s))::date),
			'undo', targets,
			device, device_seq, device_time, staff, flags);
		return jsonb_build_object('id', action_id,
			'status', case when live > 0 then 'applied' else 'noop' end,
			'code', case when live > 0 then 'undone' else 'nothing_to_undo' end);
	end if;

	days := private.activity_days(target);
	on_day := coalesce((payload ->> 'day')::date,
		(now() at time zone (select s.time_zone from private.union_settings s))::date);
	if not (on_day = any (days)) then
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_day');
	end if;
	if activity.status in ('cancelled', 'draft') then
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'activity_cancelled');
	end if;

	if kind = 'walk_in' then
		if not activity.walk_in_allowed then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'walk_in_not_allowed');
		end if;
		select * into member from private.members m where m.id = (payload ->> 'member_id')::uuid;
		if member.id is null then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'member_unknown');
		end if;
		select * into registration from private.registrations r
		where r.activity_id = target and r.member_id = member.id;
		if registration.id is null or registration.status in ('cancelled', 'rejected') then
			-- Registration and check-in as one action, under the activity's rules except the window.
			perform 1 from private.activities a where a.id = target for update;
			if private.ineligibility_reason(target, member.id) is not null then
				return jsonb_build_object('id', action_id, 'status', 'rejected',
					'code', 'ineligible_' || private.ineligibility_reason(target, member.id));
			end if;
			guests := least(greatest(coalesce((payload ->> 'guests')::integer, 0), 0), activity.guests_max);
			if activity.capacity is not null
				and activity.capacity - (select a.seats_taken from private.activities a where a.id = target) < 1 + guests then
				return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'full');
			end if;
			if registration.id is null then
				insert into private.registrations (activity_id, member_id, status, guest_names, source, made_by)
				values (target, member.id, 'registered',
					array(select '家属' || g from generate_series(1, guests) g), 'walk_in', staff)
				returning * into registration;
			else
				update private.registrations r
				set status = 'registered', source = 'walk_in', made_by = staff, generation = r.generation + 1,
					guest_names = array(select '家属' || g from generate_series(1, guests) g),
					ticket_secret = translate(rtrim(encode(extensions.gen_random_bytes(18), 'base64'), '='), '+/', '-_')
				where r.id = registration.id
				returning * into registration;
			end if;
		end if;
		check_kind := 'walk_in';
	elsif payload ? 'ticket' then
		-- A15: canonicalised once (trimmed; a ticket URL reduced to its secret), then compared exactly.
		select * into registration from private.registrations r
		where r.ticket_secret = regexp_replace(btrim(payload ->> 'ticket', E' \t\r\n'), '^.*/t/', '');
		if registration.id is null then
			if coalesce((payload ->> 'provisional')::boolean, false) then
				-- A14: accepting an unknown ticket is the organizers' call, not check-in staff's.
				if not private.can_manage_activity(target) then
					return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'provisional_not_allowed');
				end if;
				-- Invariant 7: accepted only provisionally, flagged for the office to review.
				insert into private.check_ins (id, activity_id, day, kind, device_id, device_seq, device_time,
					recorded_by, flags)
				values (action_id, target, on_day, 'provisional', device, device_seq, device_time, staff,
					flags || array['provisional', 'ticket_unknown']);
				return jsonb_build_object('id', action_id, 'status', 'applied', 'code', 'provisional',
					'warnings', '["provisional"]'::jsonb);
			end if;
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'ticket_unknown');
		end if;
		if registration.activity_id <> target then
			-- A4: another activity's ticket; nothing about that activity is revealed.
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_activity');
		end if;
		check_kind := 'scan';
	elsif payload ? 'registration_id' then
		-- By hand (name, 工号 or phone suffix looked up in the roster): a staff decision, recorded.
		select * into registration from private.registrations r
		where r.id = (payload ->> 'registration_id')::uuid and r.activity_id = target;
		if registration.id is null then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'registration_unknown');
		end if;
		check_kind := 'manual';
	else
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
	end if;

	if registration.status = 'cancelled' then
		-- Offline scans are facts: the person is at the door with a ticket that was cancelled after
		-- the phone's roster download. Recorded and flagged for review.
		flags := flags || array['registration_cancelled'];
		warnings := warnings || array['registration_cancelled'];
	elsif registration.status <> 'registered' then
		-- A9: waitlisted, pending or rejected registrations are not admitted.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_admitted',
			'entity', jsonb_build_object('registration_status', registration.status));
	end if;

	select * into member from private.members m where m.id = registration.member_id;
	guests := least(greatest(coalesce((payload ->> 'guests')::integer, cardinality(registration.guest_names)), 0),
		cardinality(registration.guest_names));
	first := private.first_check_in(target, member.id, on_day, action_id);
	if first is not null then
		-- A5/T25: counted once; the scan is kept, with a warning naming the first one.
		flags := flags || case when first ->> 'device_id' <> device then array['duplicate_other_device'] else array['duplicate'] end;
		warnings := warnings || array['duplicate_scan'];
	end if;

	insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
		guests_checked_in, device_id, device_seq, device_time, recorded_by, flags)
	values (action_id, target, registration.id, member.id, registration.session_id, on_day, check_kind,
		guests, device, device_seq, device_time, staff, flags);

	return jsonb_build_object('id', action_id, 'status', 'applied',
		'code', case when first is not null then 'already_checked_in' else 'checked_in' end,
		'warnings', to_jsonb(warnings),
		'entity', jsonb_build_object('member_id', member.id, 'name', member.name,
			'unit_name', (select u.name from private.units u where u.id = member.unit_id),
			'registration_id', registration.id, 'guests_checked_in', guests, 'day', on_day,
			'first_check_in', first));
end;
$$;

-- ===========================================================================================
-- Section: counter and conflicts
-- ===========================================================================================

-- Checked in (distinct members) and admitted, for a day, in total and per session.
create function private.checkin_counter(target_activity uuid, on_day date) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'day', on_day,
		'checked_in', (select count(distinct c.member_id) from private.live_check_ins(target_activity) c
			where c.day = on_day and c.member_id is not null),
		'guests', (select coalesce(sum(g.guests), 0) from (
			select max(c.guests_checked_in) as guests from private.live_check_ins(target_activity) c
			where c.day = on_day and c.member_id is not null group by c.member_id) g),
		'provisional', (select count(*) from private.live_check_ins(target_activity) c
			where c.day = on_day and c.kind = 'provisional'),
		'admitted', (select count(*) from private.registrations r
			where r.activity_id = target_activity and r.status = 'registered'),
		'sessions', coalesce((
			select jsonb_agg(jsonb_build_object(
				'session_id', s.id, 'starts_at', s.starts_at,
				'admitted', (select count(*) from private.registrations r where r.session_id = s.id and r.status = 'registered'),
				'checked_in', (select count(distinct c.member_id) from private.live_check_ins(target_activity) c
					where c.session_id = s.id and c.day = on_day)
			) order by s.starts_at)
			from private.sessions s where s.activity_id = target_activity
		), '[]'::jsonb),
		'server_now', now()
	)
$$;

-- ===========================================================================================
-- Section: public API
-- ===========================================================================================

create function public.get_checkin_roster(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_check_in(get_checkin_roster.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	return private.checkin_roster(get_checkin_roster.activity_id);
end;
$$;

create function public.get_checkin_counter(activity_id uuid, day date default null) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_check_in(get_checkin_counter.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	return private.checkin_counter(get_checkin_counter.activity_id,
		coalesce(get_checkin_counter.day,
			(now() at time zone (select s.time_zone from private.union_settings s))::date));
end;
$$;

-- The office's conflict inbox: flagged check-ins (duplicates across phones, provisional accepts,
-- cancelled tickets, clock skew) of the activities the caller manages, with their last review.
create function public.list_checkin_conflicts(activity_id uuid default null, include_reviewed boolean default false)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'check_in_id', c.id, 'activity_id', c.activity_id, 'activity_title', a.title,
			'member_name', m.name, 'unit_name', u.name, 'day', c.day, 'kind', c.kind,
			'flags', to_jsonb(c.flags), 'device_id', c.device_id, 'device_time', c.device_time,
			'server_time', c.server_time,
			'recorded_by', (select x.name from private.members x where x.id = c.recorded_by),
			'review', (
				select jsonb_build_object('decision', r.decision, 'note', r.note, 'decided_at', r.decided_at,
					'decided_by', (select x.name from private.members x where x.id = r.decided_by))
				from private.check_in_reviews r where r.check_in_id = c.id
				order by r.decided_at desc limit 1
			)
		) order by c.server_time desc)
		from private.check_ins c
		join private.activities a on a.id = c.activity_id
		left join private.members m on m.id = c.member_id
		left join private.units u on u.id = m.unit_id
		where cardinality(c.flags) > 0
			and c.kind <> 'undo'
			and (list_checkin_conflicts.activity_id is null or c.activity_id = list_checkin_conflicts.activity_id)
			and private.can_manage_activity(c.activity_id)
			and (include_reviewed or not exists (select 1 from private.check_in_reviews r where r.check_in_id = c.id))
	), '[]'::jsonb);
end;
$$;

-- Confirms or reverses a flagged check-in; a reversed one stops counting. Audited.
create function private.review_check_in(target uuid, decision text, note text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	check_in private.check_ins;
begin
	select * into check_in from private.check_ins c where c.id = target;
	if check_in.id is null or check_in.kind = 'undo' or not private.can_manage_activity(check_in.activity_id) then
		perform private.api_error(404, 'check_in_not_found', 'No such check-in.', '没有找到这条签到记录。');
	end if;
	if decision not in ('confirmed', 'reversed') then
		perform private.api_error(400, 'decision_invalid', 'Decide confirmed or reversed.', '请选择确认或撤销。');
	end if;
	insert into private.check_in_reviews (check_in_id, decision, note, decided_by)
	values (target, decision, left(coalesce(note, ''), 500), private.current_member_id());
	insert into private.audit_log (actor_user_id, action, subject)
	values ((select auth.uid()), 'check_in_reviewed',
		jsonb_build_object('check_in_id', target, 'decision', decision));
	return jsonb_build_object('check_in_id', target, 'decision', decision);
end;
$$;

create function public.review_check_in(check_in_id uuid, decision text, note text default '')
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.review_check_in(review_check_in.check_in_id, review_check_in.decision, review_check_in.note);
end;
$$;

-- Members a staff member may add as walk-ins: by name (at least 2 characters), 工号 or the
-- last 4 digits of the phone (at least 4 digits), at most 10 answers; the minimum lengths keep
-- the roster from being listed by guessing.
create function public.search_walk_in_members(activity_id uuid, query text)
returns table (member_id uuid, name text, employee_no text, unit_name text, phone_suffix text, registration_status text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	needle text := btrim(coalesce(query, ''));
begin
	perform private.require_member();
	if not private.can_check_in(search_walk_in_members.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	if needle ~ '^[0-9]+$' and char_length(needle) < 4 or char_length(needle) < 2 or char_length(needle) > 30 then
		perform private.api_error(400, 'query_too_short',
			'Type at least 2 characters of a name, or at least 4 digits.', '请至少输入姓名的 2 个字，或至少 4 位数字。');
	end if;
	return query
	select m.id, m.name, m.employee_no, u.name, right(m.phone, 4), r.status
	from private.members_for_walk_in(search_walk_in_members.activity_id, needle) m
	join private.units u on u.id = m.unit_id
	left join private.registrations r on r.member_id = m.id and r.activity_id = search_walk_in_members.activity_id
	order by m.name, m.employee_no
	limit 10;
end;
$$;

-- The lookup behind it, on the whole roster (staff of one activity may not read every member).
create function private.members_for_walk_in(target_activity uuid, needle text)
returns setof private.members
language sql
stable
security definer
set search_path = ''
as $$
	select m.* from private.members m
	where (m.active_until is null or m.active_until > current_date)
		and (
			(needle ~ '^[0-9]+$' and (m.employee_no = needle or right(m.phone, 4) = right(needle, 4) and char_length(needle) = 4))
			or (needle !~ '^[0-9]+$' and m.name like '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%')
		)
	limit 50
$$;

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.can_check_in(uuid),
	private.ticket_hash(text),
	private.activity_days(uuid),
	private.live_check_ins(uuid),
	private.checkin_roster(uuid),
	private.first_check_in(uuid, uuid, date, uuid),
	private.apply_checkin_action(uuid, text, jsonb, text, bigint, timestamptz, boolean),
	private.checkin_counter(uuid, date),
	private.review_check_in(uuid, text, text),
	private.members_for_walk_in(uuid, text)
from public, anon;
grant execute on function
	private.can_check_in(uuid),
	private.ticket_hash(text),
	private.activity_days(uuid),
	private.live_check_ins(uuid),
	private.checkin_roster(uuid),
	private.first_check_in(uuid, uuid, date, uuid),
	private.apply_checkin_action(uuid, text, jsonb, text, bigint, timestamptz, boolean),
	private.checkin_counter(uuid, date),
	private.review_check_in(uuid, text, text),
	private.members_for_walk_in(uuid, text)
to authenticated, service_role;

revoke all on function
	public.get_checkin_roster(uuid),
	public.get_checkin_counter(uuid, date),
	public.list_checkin_conflicts(uuid, boolean),
	public.review_check_in(uuid, text, text),
	public.search_walk_in_members(uuid, text)
from public, anon;
grant execute on function
	public.get_checkin_roster(uuid),
	public.get_checkin_counter(uuid, date),
	public.list_checkin_conflicts(uuid, boolean),
	public.review_check_in(uuid, text, text),
	public.search_walk_in_members(uuid, text)
to authenticated, service_role;
