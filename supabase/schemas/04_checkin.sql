-- Check-in (签到) at the door: tickets, scans, walk-ins, undo, paper attendance (补录), the
-- counters staff see, and reviewing conflicts from phones that were offline.
--
-- Rules enforced here (docs/offline-and-checkin.md, "A check-in, from camera to the report"):
-- - only staff of the activity (organizers of its unit subtree, the office, check-in staff of this
--   activity) check people in (private.can_check_in);
-- - a check-in names a day of the activity in the union's time zone; a ticket for a session of
--   another day is refused `wrong_day` unless an organizer overrides it (flagged `other_day`);
-- - a member counts once per activity and day: a second scan is `duplicate`, never a second row;
-- - walk-ins obey the sign-up rules (eligibility, capacity, approval, series limits) unless the
--   activity takes no walk-ins; the walk-in search sees only the eligible population and is rate
--   limited;
-- - check-ins are never changed or deleted: undo and review add rows, and the report reads the
--   latest state (private.live_check_ins).

create function private.can_check_in(target_activity uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select private.can_manage_activity(target_activity)
		or target_activity = any (private.checkin_activity_ids())
$$;
revoke all on function private.can_check_in(uuid) from public, anon;
grant execute on function private.can_check_in(uuid) to authenticated, service_role;

-- The hash phones compare scanned secrets with: the roster never carries the secrets themselves.
create function private.ticket_hash(secret text) returns text
language sql
immutable
set search_path = ''
as $$
	select encode(extensions.digest(secret, 'sha256'), 'hex')
$$;
revoke all on function private.ticket_hash(text) from public, anon;
grant execute on function private.ticket_hash(text) to authenticated, service_role;

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
revoke all on function private.activity_days(uuid) from public, anon;
grant execute on function private.activity_days(uuid) to authenticated, service_role;

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
revoke all on function private.live_check_ins(uuid) from public, anon;
grant execute on function private.live_check_ins(uuid) to authenticated, service_role;

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
revoke all on function private.checkin_roster(uuid) from public, anon;
grant execute on function private.checkin_roster(uuid) to authenticated, service_role;

-- The first counting check-in of a member on a day, other than `except_id`, for the warning.
create function private.first_check_in(target_activity uuid, member uuid, on_day date, except_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	first jsonb;
begin
	-- The same rule as private.live_check_ins, for one member and day: every scan calls this, so
	-- it reads through check_ins_member_day_idx instead of the whole activity's log.
	select jsonb_build_object('check_in_id', c.id, 'device_id', c.device_id, 'server_time', c.server_time,
		'recorded_by', (select m.name from private.members m where m.id = c.recorded_by))
	into first
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
	limit 1;
	return first;
end;
$$;
revoke all on function private.first_check_in(uuid,uuid,date,uuid) from public, anon;
grant execute on function private.first_check_in(uuid,uuid,date,uuid) to authenticated, service_role;

-- One check-in action on its own (check_in, walk_in or undo_check_in): works out the scope,
-- then applies it with private.apply_checkin_scoped.
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
begin
	return private.apply_checkin_scoped(action_id, kind, payload, device, device_seq, device_time, clock_skew,
		private.current_member_id(), private.can_check_in(target), private.activity_days(target));
end;
$$;
revoke all on function private.apply_checkin_action(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean) from public, anon;
grant execute on function private.apply_checkin_action(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean) to authenticated, service_role;

-- Checked in (distinct members) and admitted, for a day, in total and per session. `admitted`
-- and the session lines count the people expected on that day only: registrations without a
-- session, and those of the day's sessions.
create function private.checkin_counter(target_activity uuid, on_day date) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	with day_sessions as (
		select s.* from private.sessions s, private.union_settings u
		where s.activity_id = target_activity and (s.starts_at at time zone u.time_zone)::date = on_day
	)
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
			where r.activity_id = target_activity and r.status = 'registered'
				and (r.session_id is null or r.session_id in (select d.id from day_sessions d))),
		'sessions', coalesce((
			select jsonb_agg(jsonb_build_object(
				'session_id', s.id, 'starts_at', s.starts_at,
				'admitted', (select count(*) from private.registrations r where r.session_id = s.id and r.status = 'registered'),
				'checked_in', (select count(distinct c.member_id) from private.live_check_ins(target_activity) c
					where c.session_id = s.id and c.day = on_day)
			) order by s.starts_at)
			from day_sessions s
		), '[]'::jsonb),
		'server_now', now()
	)
$$;
revoke all on function private.checkin_counter(uuid,date) from public, anon;
grant execute on function private.checkin_counter(uuid,date) to authenticated, service_role;

-- Refuses: not_staff (403).
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
revoke all on function public.get_checkin_roster(uuid) from public, anon;
grant execute on function public.get_checkin_roster(uuid) to authenticated, service_role;

-- Refuses: not_staff (403).
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
revoke all on function public.get_checkin_counter(uuid,date) from public, anon;
grant execute on function public.get_checkin_counter(uuid,date) to authenticated, service_role;

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
revoke all on function public.list_checkin_conflicts(uuid,boolean) from public, anon;
grant execute on function public.list_checkin_conflicts(uuid,boolean) to authenticated, service_role;

-- Confirms or reverses a flagged check-in; a reversed one stops counting. Audited.
-- Refuses: check_in_not_found (404), decision_invalid (400).
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
revoke all on function private.review_check_in(uuid,text,text) from public, anon;
grant execute on function private.review_check_in(uuid,text,text) to authenticated, service_role;

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
revoke all on function public.review_check_in(uuid,text,text) from public, anon;
grant execute on function public.review_check_in(uuid,text,text) to authenticated, service_role;

-- Members a staff member may add as walk-ins: by name (at least 2 characters), 工号 or the
-- last 4 digits of the phone (at least 4 digits), at most 10 answers; the minimum lengths keep
-- the roster from being listed by guessing. Refused where the activity takes no walk-ins; only
-- the activity's eligible population is searched; each caller may search at most 30 times a
-- minute (private.take_rate_limit). Volatile: it counts the caller's searches.
-- Refuses: not_staff (403), walk_in_not_allowed (409), query_too_short (400).
create function public.search_walk_in_members(activity_id uuid, query text)
returns table (member_id uuid, name text, employee_no text, unit_name text, phone_suffix text, registration_status text)
language plpgsql
volatile
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
	if not exists (select 1 from private.activities a
		where a.id = search_walk_in_members.activity_id and a.walk_in_allowed) then
		perform private.api_error(409, 'walk_in_not_allowed', 'This activity takes no walk-ins.',
			'本活动不接受现场报名。');
	end if;
	if needle ~ '^[0-9]+$' and char_length(needle) < 4 or char_length(needle) < 2 or char_length(needle) > 30 then
		perform private.api_error(400, 'query_too_short',
			'Type at least 2 characters of a name, or at least 4 digits.', '请至少输入姓名的 2 个字，或至少 4 位数字。');
	end if;
	perform private.take_rate_limit('walk_in_search', 30);
	return query
	select m.id, m.name, m.employee_no, u.name, right(m.phone, 4), r.status
	from private.members_for_walk_in(search_walk_in_members.activity_id, needle) m
	join private.units u on u.id = m.unit_id
	left join private.registrations r on r.member_id = m.id and r.activity_id = search_walk_in_members.activity_id
	order by m.name, m.employee_no
	limit 10;
end;
$$;
revoke all on function public.search_walk_in_members(uuid,text) from public, anon;
grant execute on function public.search_walk_in_members(uuid,text) to authenticated, service_role;

-- The lookup behind it, as the definer (staff of one activity may not read every member), over
-- the activity's eligible population only.
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
		and private.ineligibility_reason(target_activity, m.id) is null
	limit 50
$$;
revoke all on function private.members_for_walk_in(uuid,text) from public, anon;
grant execute on function private.members_for_walk_in(uuid,text) to authenticated, service_role;

-- The activities the caller may check people in for, from a day before today on (rosters are
-- downloaded before the doors open), with their days in the union's time zone and whether the
-- caller manages them (organizers may accept unknown tickets provisionally; staff may not).
create function public.list_checkin_activities() returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'id', a.id, 'title', a.title, 'status', a.status, 'starts_at', a.starts_at,
			'ends_at', a.ends_at, 'place', a.place, 'walk_in_allowed', a.walk_in_allowed,
			'days', to_jsonb(private.activity_days(a.id)),
			'manages', private.can_manage_activity(a.id)
		) order by a.starts_at, a.title)
		from (
			select x.* from private.activities x
			where x.status in ('published', 'closed', 'completed')
				and x.ends_at > now() - interval '1 day'
				and private.can_check_in(x.id)
			order by x.starts_at
			limit 50
		) a
	), '[]'::jsonb);
end;
$$;
revoke all on function public.list_checkin_activities() from public, anon;
grant execute on function public.list_checkin_activities() to authenticated, service_role;

-- Attendance from a paper sign-in sheet (补录), entered by a manager after the day: a check-in
-- of kind 'paper' (flagged 'paper'), counted like any other. Idempotent per member and day: a
-- member who already counts that day gets no second row.
-- Refuses: activity_not_held (409), wrong_day (400), day_in_future (400), member_unknown,
--  already_counted.
create function private.record_paper_attendance(target_activity uuid, on_day date, member_ids uuid[]) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	me uuid := private.current_member_id();
	target_member uuid;
	member private.members;
	registration private.registrations;
	results jsonb := '[]'::jsonb;
	counted uuid[];
	today date := (now() at time zone (select s.time_zone from private.union_settings s))::date;
	seq bigint := (extract(epoch from clock_timestamp()) * 1000)::bigint;
begin
	select * into activity from private.activities a where a.id = target_activity;
	if activity.status in ('draft', 'cancelled') then
		perform private.api_error(409, 'activity_not_held', 'This activity was not held.', '该活动未举办。');
	end if;
	if on_day is null or not (on_day = any (private.activity_days(target_activity))) then
		perform private.api_error(400, 'wrong_day', 'This day is not a day of the activity.', '该日期不是活动日期。');
	end if;
	if on_day > today then
		perform private.api_error(400, 'day_in_future', 'Attendance can be entered on or after the day.', '只能补录当天或之前的签到。');
	end if;
	select coalesce(array_agg(distinct c.member_id), '{}') into counted
	from private.live_check_ins(target_activity) c where c.day = on_day and c.member_id is not null;

	foreach target_member in array (select array_agg(distinct x) from unnest(member_ids) x) loop
		select * into member from private.members m where m.id = target_member;
		if member.id is null then
			results := results || jsonb_build_object('member_id', target_member, 'status', 'rejected', 'code', 'member_unknown');
			continue;
		end if;
		if member.id = any (counted) then
			results := results || jsonb_build_object('member_id', target_member, 'name', member.name, 'status', 'noop', 'code', 'already_counted');
			continue;
		end if;
		select * into registration from private.registrations r where r.activity_id = target_activity and r.member_id = member.id;
		seq := seq + 1;
		insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
			device_id, device_seq, recorded_by, flags)
		values (gen_random_uuid(), target_activity, registration.id, member.id, registration.session_id, on_day, 'paper',
			'paper', seq, me,
			case when registration.id is null or registration.status <> 'registered'
				then array['paper', 'not_registered'] else array['paper'] end);
		results := results || jsonb_build_object('member_id', target_member, 'name', member.name, 'status', 'applied',
			'code', case when registration.id is null or registration.status <> 'registered' then 'recorded_not_registered' else 'recorded' end);
	end loop;
	perform private.audit('paper_attendance_recorded', jsonb_build_object('activity_id', target_activity, 'day', on_day,
		'recorded', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied')));
	return jsonb_build_object('results', results,
		'recorded', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied'));
end;
$$;
revoke all on function private.record_paper_attendance(uuid,date,uuid[]) from public, anon;
grant execute on function private.record_paper_attendance(uuid,date,uuid[]) to authenticated, service_role;

-- Refuses: members_invalid (400).
create function public.record_paper_attendance(activity_id uuid, day date, member_ids uuid[]) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(record_paper_attendance.activity_id);
	if member_ids is null or cardinality(member_ids) = 0 or cardinality(member_ids) > 1000 then
		perform private.api_error(400, 'members_invalid', 'Choose between 1 and 1000 members.', '请选择 1 到 1000 名会员。');
	end if;
	return private.record_paper_attendance(record_paper_attendance.activity_id, record_paper_attendance.day, member_ids);
end;
$$;
revoke all on function public.record_paper_attendance(uuid,date,uuid[]) from public, anon;
grant execute on function public.record_paper_attendance(uuid,date,uuid[]) to authenticated, service_role;

-- Applies one check_in, walk_in or undo_check_in action, given the check-in scope of its
-- activity: the caller's member id (`staff`), whether the caller may check people in there
-- (private.can_check_in) and the activity's days (private.activity_days). Called inside
-- private.apply_action's savepoint, after the ledger claimed the id. Returns the action's result.
-- A registration for a session of another day than the check-in day is refused `wrong_day`
-- (with the session in the entity), unless an organizer overrides it (payload override_day):
-- then it is applied and flagged `other_day`.
-- Refuses: registration_rejected (409), approval_required (409), not_staff, malformed, wrong_day,
--  activity_cancelled, walk_in_not_allowed, member_unknown, full, provisional_not_allowed,
--  provisional, ticket_unknown, wrong_activity, registration_unknown, not_admitted,
--  override_not_allowed.
create function private.apply_checkin_scoped(
	action_id uuid,
	kind text,
	payload jsonb,
	device text,
	device_seq bigint,
	device_time timestamptz,
	clock_skew boolean,
	staff uuid,
	may_check_in boolean,
	days date[]
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	target uuid := (payload ->> 'activity_id')::uuid;
	activity private.activities;
	registration private.registrations;
	member private.members;
	unit_name text;
	on_day date;
	flags text[] := case when clock_skew then array['clock_skew'] else '{}' end;
	warnings text[] := '{}';
	check_kind text;
	guests integer;
	first jsonb;
	targets uuid[];
	live integer;
	booked private.sessions;
	booked_day date;
begin
	select * into activity from private.activities a where a.id = target;
	if activity.id is null or not may_check_in then
		-- A12/A13: only staff of this activity; nothing about the activity is revealed.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_staff');
	end if;

	if kind = 'undo_check_in' then
		select coalesce(array_agg(distinct t), '{}') into targets
		from jsonb_array_elements_text(coalesce(payload -> 'target_ids', '[]'::jsonb)) t;
		if cardinality(targets) = 0 or cardinality(targets) > 50 then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
		end if;
		-- The targets that count now: private.live_check_ins(target) restricted to `targets`,
		-- looked up by id instead of listing the activity's whole log.
		select count(*) into live
		from private.check_ins c
		where c.id = any (targets) and c.activity_id = target and c.kind <> 'undo'
			and not exists (
				select 1 from private.check_ins u
				where u.activity_id = target and u.kind = 'undo' and c.id = any (u.undoes)
			)
			and not exists (
				select 1 from private.check_in_reviews r
				where r.check_in_id = c.id and r.decision = 'reversed'
					and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
			);
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
			-- R2: registration and check-in as one action, under sign-up's rules (private.sign_up)
			-- but for the sign-up window and the session: an organizer's rejection stands, only the
			-- activity's population, the series limit, and only a free seat nobody waits for.
			if registration.status = 'rejected' then
				perform private.api_error(409, 'registration_rejected',
					'This member''s registration was not admitted by the organizers.', '该会员的报名未获通过。');
			end if;
			if activity.admission in ('approval', 'lottery') then
				perform private.api_error(409, 'approval_required',
					'The organizers decide who takes part in this activity: no walk-ins.', '本活动由组织者审核或抽签，不能现场报名。');
			end if;
			perform private.check_eligible(activity, member.id);
			-- R4: the (member, series) lock before the activity's row lock.
			perform private.check_series_limit(activity, member.id);
			select * into activity from private.activities a where a.id = target for update;
			guests := least(greatest(coalesce((payload ->> 'guests')::integer, 0), 0), activity.guests_max);
			if not private.seat_free(activity, null, 1 + guests) then
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
					session_id = null, queued_at = clock_timestamp(), decided_at = null, decided_by = null,
					cancelled_at = null,
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

	if registration.status not in ('registered', 'cancelled') then
		-- A9: waitlisted, pending or rejected registrations are not admitted.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_admitted',
			'entity', jsonb_build_object('registration_status', registration.status));
	end if;
	-- R1: a booking of a session admits on that session's day (union time) only. An organizer may
	-- admit it anyway (override_day), flagged for the office to review; check-in staff may not.
	select * into booked from private.sessions s where s.id = registration.session_id;
	booked_day := (booked.starts_at at time zone (select u.time_zone from private.union_settings u))::date;
	if booked_day is not null and booked_day <> on_day then
		if not coalesce((payload ->> 'override_day')::boolean, false) then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_day',
				'entity', private.session_entity(booked));
		end if;
		if not private.can_manage_activity(target) then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'override_not_allowed',
				'entity', private.session_entity(booked));
		end if;
		flags := flags || array['other_day'];
		warnings := warnings || array['other_day'];
	end if;
	if registration.status = 'cancelled' then
		-- Offline scans are facts: the person is at the door with a ticket that was cancelled after
		-- the phone's roster download. Recorded and flagged for review.
		flags := flags || array['registration_cancelled'];
		warnings := warnings || array['registration_cancelled'];
	end if;

	select * into member from private.members m where m.id = registration.member_id;
	select u.name into unit_name from private.units u where u.id = member.unit_id;
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
			'unit_name', unit_name,
			'registration_id', registration.id, 'guests_checked_in', guests, 'day', on_day,
			'first_check_in', first));
end;
$$;
revoke all on function private.apply_checkin_scoped(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean,uuid,boolean,date[]) from public, anon;
grant execute on function private.apply_checkin_scoped(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean,uuid,boolean,date[]) to authenticated, service_role;

-- A batch of scans and check-ins by hand at one activity, applied with set-based statements: the
-- lookups in one query, the ledger rows and the check-ins in one insert each. Only for the plain
-- case, where the result is exactly what applying the actions one by one in seq order gives:
-- every action a well-formed, new `check_in` of the caller's naming `target` with a ticket (or a
-- registration id), distinct ids and seqs, no two check-ins of one member and day in the batch
-- (the second would name the first as a duplicate), no provisional acceptance and no
-- override_day. The same session-day rule as one by one (`wrong_day`), and `v` must be the number
-- 1. Returns the results in seq order, or null (nothing written) when the batch is not that
-- plain case; raises when an action turns out not to be (a malformed day, an id already in the
-- ledger), so that the caller rolls it back and applies the actions one by one.
-- Refuses: wrong_day, not_admitted.
create function private.apply_checkin_batch(
	caller uuid,
	device text,
	actions jsonb,
	clock_skew boolean,
	target uuid,
	staff uuid,
	may_check_in boolean,
	days date[]
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	zone text := (select u.time_zone from private.union_settings u);
	today date;
	planned jsonb;
	plain boolean;
	written integer;
begin
	select * into activity from private.activities a where a.id = target;
	if activity.id is null or may_check_in is not true or activity.status in ('cancelled', 'draft')
		or jsonb_typeof(actions) <> 'array' or jsonb_array_length(actions) = 0 then
		return null;
	end if;
	today := (now() at time zone zone)::date;

	-- Each action as private.apply_action_scoped and private.apply_checkin_scoped would apply it.
	with input as (
		select x.value as action, x.value -> 'payload' as payload
		from jsonb_array_elements(actions) x
	),
	shaped as (
		select i.*,
			jsonb_typeof(i.action) = 'object'
				and i.action ->> 'id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
				and i.action -> 'kind' = '"check_in"'::jsonb
				-- R15: the number 1 only, as the one-by-one path's well-formedness check (a string
				-- "1" is malformed there; here it makes the batch go one by one).
				and jsonb_typeof(i.action -> 'v') = 'number' and i.action ->> 'v' = '1'
				and jsonb_typeof(i.action -> 'seq') = 'number' and i.action ->> 'seq' ~ '^[0-9]{1,15}$'
				and i.action ->> 'user_id' = caller::text
				and jsonb_typeof(i.payload) = 'object'
				and i.payload ->> 'activity_id' = target::text
				and (i.payload ? 'ticket' or i.payload ? 'registration_id')
				-- R1: an organizer's override of the session day is applied one by one.
				and not (i.payload ? 'override_day') as plain
		from input i
	),
	parsed as (
		select s.action, s.payload,
			(s.action ->> 'id')::uuid as id,
			(s.action ->> 'seq')::bigint as seq,
			(s.action ->> 'client_at')::timestamptz as client_at,
			coalesce((s.payload ->> 'day')::date, today) as on_day
		from shaped s
		where s.plain
	),
	found as (
		select p.*, p.payload ? 'ticket' as by_ticket,
			r.id as registration_id, r.activity_id as registration_activity, r.member_id as registration_member,
			r.session_id, r.status as registration_status, r.guest_names,
			booked as booked, (booked.starts_at at time zone zone)::date as booked_day
		from parsed p
		left join lateral (
			-- A15: canonicalised once (trimmed; a ticket URL reduced to its secret), then compared exactly.
			select x.* from private.registrations x
			where p.payload ? 'ticket'
				and x.ticket_secret = regexp_replace(btrim(p.payload ->> 'ticket', E' \t\r\n'), '^.*/t/', '')
			union all
			-- By hand: a registration of this activity.
			select x.* from private.registrations x
			where not (p.payload ? 'ticket')
				and x.id = (p.payload ->> 'registration_id')::uuid and x.activity_id = target
		) r on p.on_day = any (days)
		left join private.sessions booked on booked.id = r.session_id
	),
	judged as (
		select f.*,
			case
				when not (f.on_day = any (days)) then 'wrong_day'
				when f.registration_id is null and f.by_ticket then
					case when coalesce((f.payload ->> 'provisional')::boolean, false) then 'provisional' else 'ticket_unknown' end
				when f.registration_id is null then 'registration_unknown'
				when f.registration_activity <> target then 'wrong_activity'
				when f.registration_status not in ('registered', 'cancelled') then 'not_admitted'
				-- R1: as private.apply_checkin_scoped, a session's booking on its own day only.
				when f.booked_day is not null and f.booked_day <> f.on_day then 'session_day'
			end as refusal
		from found f
	),
	-- Materialized: each action's lookups run once, however often the expressions below name them.
	checked as materialized (
		select j.*, m.id as member_id, m.name as member_name, u.name as unit_name,
			case when j.refusal is null then
				least(greatest(coalesce((j.payload ->> 'guests')::integer, cardinality(j.guest_names)), 0),
					cardinality(j.guest_names))
			end as guests,
			case when j.refusal is null then private.first_check_in(target, m.id, j.on_day, j.id) end as first
		from judged j
		left join private.members m on m.id = j.registration_member and j.refusal is null
		left join private.units u on u.id = m.unit_id
	),
	outcome as materialized (
		select c.*,
			case when c.refusal is null then
				case when clock_skew then array['clock_skew'] else '{}' end
				|| case when c.registration_status = 'cancelled' then array['registration_cancelled'] else '{}' end
				|| case when c.first is null then '{}'
					when c.first ->> 'device_id' <> device then array['duplicate_other_device'] else array['duplicate'] end
			end as flags,
			case when c.refusal is null then
				jsonb_build_object('id', c.id, 'status', 'applied',
					'code', case when c.first is not null then 'already_checked_in' else 'checked_in' end,
					'warnings', to_jsonb(
						case when c.registration_status = 'cancelled' then array['registration_cancelled'] else '{}'::text[] end
						|| case when c.first is not null then array['duplicate_scan'] else '{}' end),
					'entity', jsonb_build_object('member_id', c.member_id, 'name', c.member_name,
						'unit_name', c.unit_name,
						'registration_id', c.registration_id, 'guests_checked_in', c.guests, 'day', c.on_day,
						'first_check_in', c.first))
			when c.refusal = 'session_day' then
				jsonb_build_object('id', c.id, 'status', 'rejected', 'code', 'wrong_day',
					'entity', private.session_entity(c.booked))
			when c.refusal = 'not_admitted' then
				jsonb_build_object('id', c.id, 'status', 'rejected', 'code', 'not_admitted',
					'entity', jsonb_build_object('registration_status', c.registration_status))
			else jsonb_build_object('id', c.id, 'status', 'rejected', 'code', c.refusal)
			end as result
		from checked c
	)
	select
		count(*) = jsonb_array_length(actions)
			and count(distinct o.id) = count(*) and count(distinct o.seq) = count(*)
			and count(*) filter (where o.refusal = 'provisional') = 0
			and count(distinct (o.member_id, o.on_day)) filter (where o.refusal is null)
				= count(*) filter (where o.refusal is null),
		jsonb_agg(jsonb_build_object(
			'id', o.id,
			'seq', o.seq,
			'kind', o.action ->> 'kind',
			'hash', private.action_hash(o.action ->> 'kind', o.action -> 'payload'),
			'client_at', o.client_at,
			'applies', o.refusal is null,
			'registration_id', o.registration_id,
			'member_id', o.member_id,
			'session_id', o.session_id,
			'day', o.on_day,
			'check_kind', case when o.by_ticket then 'scan' else 'manual' end,
			'guests', o.guests,
			'flags', o.flags,
			'result', o.result
				|| jsonb_build_object('warnings', coalesce(o.result -> 'warnings', '[]'::jsonb)
					|| case when clock_skew then '["clock_skew"]'::jsonb else '[]'::jsonb end, 'replayed', false)
				|| jsonb_build_object('activity_version', activity.version)
		) order by o.seq)
	into plain, planned
	from outcome o;

	if not plain then
		return null;
	end if;

	-- The ledger first (the claim, here with its result), then the effects, as for one action.
	insert into private.client_actions
		(id, owner_user_id, device_id, device_seq, kind, schema_version, payload_hash, result, device_time)
	select p.id, caller, device, p.seq, p.kind, 1, p.hash, p.result, p.client_at
	from jsonb_to_recordset(planned) as p(id uuid, seq bigint, kind text, hash text, result jsonb, client_at timestamptz)
	on conflict (id) do nothing;
	get diagnostics written = row_count;
	if written <> jsonb_array_length(planned) then
		-- A replay or a concurrent duplicate: answered one by one instead.
		raise exception 'apply_checkin_batch: an action id is already in the ledger';
	end if;

	insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
		guests_checked_in, device_id, device_seq, device_time, recorded_by, flags)
	select p.id, target, p.registration_id, p.member_id, p.session_id, p.day, p.check_kind,
		p.guests, device, p.seq, p.client_at, staff, p.flags
	from jsonb_to_recordset(planned) as p(id uuid, seq bigint, client_at timestamptz, applies boolean,
		registration_id uuid, member_id uuid, session_id uuid, day date, check_kind text, guests integer, flags text[])
	where p.applies
	order by p.seq;

	return (select jsonb_agg(p.value -> 'result' order by p.ordinality) from jsonb_array_elements(planned) with ordinality p);
end;
$$;
revoke all on function private.apply_checkin_batch(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) from public, anon;
grant execute on function private.apply_checkin_batch(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) to authenticated, service_role;
