-- Managing an activity's registrations: the list, approving and rejecting (审核), and moving a
-- person up from the waitlist by hand.
--
-- Rules enforced here: only those who may manage the activity (private.require_manager: the
-- office, organizers of its unit subtree); a decision applies to a registration still waiting;
-- admitting takes a seat under the activity's lock like a sign-up, so capacity holds.

create function private.list_registrations(target_activity uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	with live as (
		select c.member_id, array_agg(distinct c.day order by c.day) as days,
			array_agg(distinct c.day order by c.day) filter (where c.kind = 'paper') as paper_days,
			max(c.guests_checked_in) as guests
		from private.live_check_ins(target_activity) c
		where c.member_id is not null
		group by c.member_id
	)
	select coalesce(jsonb_agg(jsonb_build_object(
		'registration_id', r.id, 'member_id', m.id, 'employee_no', m.employee_no, 'member_name', m.name,
		'unit_id', u.id, 'unit_name', u.name, 'status', r.status, 'guest_names', to_jsonb(r.guest_names),
		'answers', r.answers, 'session_id', r.session_id, 'session_label', s.label,
		'session_starts_at', s.starts_at, 'source', r.source, 'made_by', r.made_by, 'made_by_name', mb.name,
		'queued_at', r.queued_at, 'created_at', r.created_at, 'decided_at', r.decided_at,
		'waitlist_position', case when r.status = 'waitlisted' then (
			select count(*) from private.registrations w
			where w.activity_id = r.activity_id and w.status = 'waitlisted' and (w.queued_at, w.id) <= (r.queued_at, r.id)
		) end,
		'checked_in_days', coalesce(to_jsonb(l.days), '[]'::jsonb),
		'paper_days', coalesce(to_jsonb(l.paper_days), '[]'::jsonb)
	) order by array_position(array['pending_approval', 'registered', 'waitlisted', 'cancelled', 'rejected'], r.status),
		r.queued_at, m.employee_no), '[]'::jsonb)
	from private.registrations r
	join private.members m on m.id = r.member_id
	join private.units u on u.id = m.unit_id
	left join private.sessions s on s.id = r.session_id
	left join private.members mb on mb.id = r.made_by
	left join live l on l.member_id = r.member_id
	where r.activity_id = target_activity
$$;
revoke all on function private.list_registrations(uuid) from public, anon;
grant execute on function private.list_registrations(uuid) to authenticated, service_role;

create function public.list_registrations(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(list_registrations.activity_id);
	return private.list_registrations(list_registrations.activity_id);
end;
$$;
revoke all on function public.list_registrations(uuid) from public, anon;
grant execute on function public.list_registrations(uuid) to authenticated, service_role;

-- Admits a registration now, under the activity's lock: a seat must be free in the activity and
-- in its session (capacity check constraints back this up).
-- Refuses: full (409), session_full (409).
create function private.admit(registration private.registrations, activity private.activities) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
	need integer := 1 + cardinality(registration.guest_names);
	session_free integer;
begin
	if activity.capacity is not null and activity.capacity - activity.seats_taken < need then
		perform private.api_error(409, 'full',
			format('No seat free: %s of %s seats are taken.', activity.seats_taken, activity.capacity),
			format('名额已满：%s 个名额已占用 %s 个。', activity.capacity, activity.seats_taken));
	end if;
	select s.capacity - s.seats_taken into session_free from private.sessions s where s.id = registration.session_id;
	if session_free is not null and session_free < need then
		perform private.api_error(409, 'session_full', 'This session is full.', '该场次名额已满。');
	end if;
	update private.registrations r
	set status = 'registered', decided_at = now(), decided_by = private.current_member_id()
	where r.id = registration.id;
end;
$$;
revoke all on function private.admit(private.registrations,private.activities) from public, anon;
grant execute on function private.admit(private.registrations,private.activities) to authenticated, service_role;

-- Refuses: registration_not_found (404), decision_invalid (400), not_pending (409),
--  activity_not_open (409).
create function private.decide_registration(target uuid, decision text, note text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	registration private.registrations;
	activity private.activities;
begin
	select * into registration from private.registrations r where r.id = target;
	if registration.id is null or not private.can_manage_activity(registration.activity_id) then
		perform private.api_error(404, 'registration_not_found', 'No such registration.', '没有找到这条报名。');
	end if;
	if decision is null or decision not in ('approve', 'reject') then
		perform private.api_error(400, 'decision_invalid', 'Decide approve or reject.', '请选择通过或不通过。');
	end if;
	select * into activity from private.activities a where a.id = registration.activity_id for update;
	select * into registration from private.registrations r where r.id = target;
	if (decision = 'approve' and registration.status = 'registered') or (decision = 'reject' and registration.status = 'rejected') then
		return jsonb_build_object('outcome', registration.status, 'existing', true, 'registration', private.registration_json(target));
	end if;
	if registration.status <> 'pending_approval' or activity.admission <> 'approval' then
		perform private.api_error(409, 'not_pending', 'Only registrations waiting for approval can be decided.', '只能审核待审核的报名。');
	end if;
	if activity.status not in ('published', 'closed') then
		perform private.api_error(409, 'activity_not_open', 'This activity no longer takes registrations.', '该活动已不再接受报名。');
	end if;
	if decision = 'approve' then
		perform private.admit(registration, activity);
	else
		update private.registrations r set status = 'rejected', decided_at = now(), decided_by = private.current_member_id()
		where r.id = target;
	end if;
	perform private.audit('registration_decided', jsonb_build_object('registration_id', target,
		'decision', decision, 'note', left(coalesce(note, ''), 500)));
	return jsonb_build_object('outcome', case when decision = 'approve' then 'registered' else 'rejected' end,
		'existing', false, 'registration', private.registration_json(target));
end;
$$;
revoke all on function private.decide_registration(uuid,text,text) from public, anon;
grant execute on function private.decide_registration(uuid,text,text) to authenticated, service_role;

-- Refuses: registration_not_found (404), not_waitlisted (409), activity_not_open (409).
create function private.move_from_waitlist(target uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	registration private.registrations;
	activity private.activities;
begin
	select * into registration from private.registrations r where r.id = target;
	if registration.id is null or not private.can_manage_activity(registration.activity_id) then
		perform private.api_error(404, 'registration_not_found', 'No such registration.', '没有找到这条报名。');
	end if;
	select * into activity from private.activities a where a.id = registration.activity_id for update;
	select * into registration from private.registrations r where r.id = target;
	if registration.status = 'registered' then
		return jsonb_build_object('outcome', 'registered', 'existing', true, 'registration', private.registration_json(target));
	end if;
	if registration.status <> 'waitlisted' then
		perform private.api_error(409, 'not_waitlisted', 'Only waitlisted registrations can be moved up.', '只能递补候补中的报名。');
	end if;
	if activity.status not in ('published', 'closed') then
		perform private.api_error(409, 'activity_not_open', 'This activity no longer takes registrations.', '该活动已不再接受报名。');
	end if;
	perform private.admit(registration, activity);
	perform private.audit('waitlist_moved', jsonb_build_object('registration_id', target));
	return jsonb_build_object('outcome', 'registered', 'existing', false, 'registration', private.registration_json(target));
end;
$$;
revoke all on function private.move_from_waitlist(uuid) from public, anon;
grant execute on function private.move_from_waitlist(uuid) to authenticated, service_role;

create function public.decide_registration(registration_id uuid, decision text, note text default '') returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.decide_registration(decide_registration.registration_id, decide_registration.decision, decide_registration.note);
end;
$$;
revoke all on function public.decide_registration(uuid,text,text) from public, anon;
grant execute on function public.decide_registration(uuid,text,text) to authenticated, service_role;

create function public.move_from_waitlist(registration_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.move_from_waitlist(move_from_waitlist.registration_id);
end;
$$;
revoke all on function public.move_from_waitlist(uuid) from public, anon;
grant execute on function public.move_from_waitlist(uuid) to authenticated, service_role;
