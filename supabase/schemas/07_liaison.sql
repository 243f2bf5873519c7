-- 代报名: a liaison (工会小组长), an organizer or the office signs colleagues up and cancels
-- for them. Each person is judged by every rule of their own sign-up (02_signup.sql); one
-- refusal does not stop the others, and each refused person gets the server's reason in both
-- languages.
--
-- Rules enforced here: the caller looks after each person (the office anyone, organizers and
-- liaisons their unit subtree); the lists show only the caller's scope and activities whose
-- sign-up is open now.

-- Signs members up for an activity on their behalf, each under every rule of their own sign-up
-- (private.sign_up), one at a time so one refusal does not stop the others; the (member,
-- series) locks of all of them are taken first, in key order. The caller must look after each
-- member: the office anyone, organizers and liaisons their subtree. Results per member:
-- {member_id, name, status: applied|noop|rejected, code, outcome, registration_id, message_en,
-- message_zh}: a refused person's result carries the server's reason in both languages.
-- Refuses: member_not_in_scope.
create function private.on_behalf(
	target_activity uuid,
	member_ids uuid[],
	session uuid,
	guest_names text[],
	answers jsonb,
	cancel boolean
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	office boolean := private.is_office();
	member private.members;
	target_member uuid;
	result jsonb;
	results jsonb := '[]'::jsonb;
	err_code text;
	err_state text;
	err_en text;
	err_zh text;
begin
	-- Every member's (member, series) lock first, in key order, before the
	-- first sign-up locks the activity's row (the order a lone sign-up takes them in).
	if not cancel then
		perform private.lock_member_series(member_ids,
			(select a.series from private.activities a where a.id = target_activity));
	end if;
	foreach target_member in array (select array_agg(distinct x) from unnest(member_ids) x) loop
		select * into member from private.members m where m.id = target_member;
		if member.id is null or not (office or private.unit_in_scope(member.unit_id, array['organizer', 'liaison'])) then
			results := results || jsonb_build_object('member_id', target_member, 'name', null, 'status', 'rejected',
				'code', 'member_not_in_scope', 'outcome', null, 'registration_id', null,
				'message_en', 'This member is not in the group you look after.',
				'message_zh', '该会员不在您负责的范围内。');
			continue;
		end if;
		begin
			if cancel then
				result := private.cancel_registration(target_activity, member.id);
			else
				result := private.sign_up(target_activity, member.id, session, guest_names, answers,
					case when office then 'office' else 'liaison' end, me);
			end if;
			results := results || jsonb_build_object('member_id', member.id, 'name', member.name,
				'status', case when (result ->> 'existing')::boolean then 'noop' else 'applied' end,
				'code', result ->> 'outcome', 'outcome', result ->> 'outcome',
				'registration_id', result #>> '{registration,id}');
		exception when others then
			get stacked diagnostics err_code = message_text, err_state = returned_sqlstate,
				err_en = pg_exception_detail, err_zh = pg_exception_hint;
			if err_state not like 'PT%' then
				raise;
			end if;
			results := results || jsonb_build_object('member_id', member.id, 'name', member.name,
				'status', 'rejected', 'code', err_code, 'outcome', null, 'registration_id', null,
				'message_en', nullif(err_en, ''), 'message_zh', nullif(err_zh, ''));
		end;
	end loop;
	perform private.audit(case when cancel then 'cancelled_on_behalf' else 'signed_up_on_behalf' end,
		jsonb_build_object('activity_id', target_activity, 'member_ids', to_jsonb(member_ids),
			'applied', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied')));
	return jsonb_build_object('results', results,
		'applied', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied'),
		'rejected', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'rejected'));
end;
$$;
revoke all on function private.on_behalf(uuid,uuid[],uuid,text[],jsonb,boolean) from public, anon;
grant execute on function private.on_behalf(uuid,uuid[],uuid,text[],jsonb,boolean) to authenticated, service_role;

-- Refuses: not_allowed (403), members_invalid (400).
create function private.require_helper_of_members(member_ids uuid[]) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.is_office() and cardinality(private.scope_unit_ids(array['organizer', 'liaison'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only group leaders, organizers and the union office can sign others up.',
			'只有工会小组长、工会干事和工会办公室可以代他人报名。');
	end if;
	if member_ids is null or cardinality(member_ids) = 0 or cardinality(member_ids) > 200 then
		perform private.api_error(400, 'members_invalid', 'Choose between 1 and 200 members.', '请选择 1 到 200 名会员。');
	end if;
end;
$$;
revoke all on function private.require_helper_of_members(uuid[]) from public, anon;
grant execute on function private.require_helper_of_members(uuid[]) to authenticated, service_role;

create function public.sign_up_on_behalf(
	activity_id uuid,
	member_ids uuid[],
	session_id uuid default null,
	answers jsonb default '{}',
	guest_names text[] default '{}'
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_helper_of_members(member_ids);
	return private.on_behalf(sign_up_on_behalf.activity_id, member_ids, sign_up_on_behalf.session_id,
		sign_up_on_behalf.guest_names, sign_up_on_behalf.answers, false);
end;
$$;
revoke all on function public.sign_up_on_behalf(uuid,uuid[],uuid,jsonb,text[]) from public, anon;
grant execute on function public.sign_up_on_behalf(uuid,uuid[],uuid,jsonb,text[]) to authenticated, service_role;

create function public.cancel_on_behalf(activity_id uuid, member_ids uuid[]) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_helper_of_members(member_ids);
	return private.on_behalf(cancel_on_behalf.activity_id, member_ids, null, '{}', '{}', true);
end;
$$;
revoke all on function public.cancel_on_behalf(uuid,uuid[]) from public, anon;
grant execute on function public.cancel_on_behalf(uuid,uuid[]) to authenticated, service_role;

-- Refuses callers who may not sign others up (the same rule as private.require_helper_of_members).
-- Refuses: not_allowed (403).
create function private.require_signup_helper() returns void
language plpgsql
stable
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.is_office() and cardinality(private.scope_unit_ids(array['organizer', 'liaison'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only group leaders, organizers and the union office can sign others up.',
			'只有工会小组长、工会干事和工会办公室可以代他人报名。');
	end if;
end;
$$;
revoke all on function private.require_signup_helper() from public, anon;
grant execute on function private.require_signup_helper() to authenticated, service_role;

-- Active members in the caller's scope, ordered by name then 工号 (same names side by side, each
-- with unit and 工号), one page of at most 200 with the total of all matches. `needle` matches a
-- part of the name or 工号, or the end of the phone number (4 digits or more). With an activity,
-- each member's registration status there (null when none).
create function private.signup_members(needle text, row_offset integer, row_limit integer, target_activity uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
	pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
	phone_suffix text := case when needle ~ '^[0-9]{4,}$' then needle end;
	result jsonb;
begin
	with found as (
		select m.id, m.name, m.employee_no, u.id as unit_id, u.code as unit_code, u.name as unit_name
		from private.members m
		join private.units u on u.id = m.unit_id
		where (m.active_until is null or m.active_until > current_date)
			and (office or u.ancestors && scope)
			and (needle = ''
				or m.name like pattern
				or m.employee_no ilike pattern
				or right(regexp_replace(m.phone, '[^0-9]', '', 'g'), char_length(phone_suffix)) = phone_suffix)
	),
	page as (
		select f.* from found f order by f.name, f.employee_no offset row_offset limit row_limit
	)
	select jsonb_build_object(
		'total', (select count(*) from found),
		'offset', row_offset,
		'members', coalesce((
			select jsonb_agg(jsonb_build_object(
				'id', p.id, 'name', p.name, 'employee_no', p.employee_no, 'unit_id', p.unit_id,
				'unit_code', p.unit_code, 'unit_name', p.unit_name, 'registration_status', r.status
			) order by p.name, p.employee_no)
			from page p
			left join private.registrations r on r.member_id = p.id and r.activity_id = target_activity
		), '[]'::jsonb)
	)
	into result;
	return result;
end;
$$;
revoke all on function private.signup_members(text,integer,integer,uuid) from public, anon;
grant execute on function private.signup_members(text,integer,integer,uuid) to authenticated, service_role;

-- Refuses: page_invalid (400), query_too_long (400).
create function public.list_signup_members(
	query text default '',
	row_offset integer default 0,
	row_limit integer default 50,
	activity_id uuid default null
) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	needle text := btrim(coalesce(query, ''));
begin
	perform private.require_signup_helper();
	if row_offset is null or row_offset < 0 or row_limit is null or row_limit < 1 or row_limit > 200 then
		perform private.api_error(400, 'page_invalid', 'Ask for a page of 1 to 200 members.', '每页可显示 1 到 200 人。');
	end if;
	if char_length(needle) > 50 then
		perform private.api_error(400, 'query_too_long', 'Search for at most 50 characters.', '查找内容不能超过 50 个字。');
	end if;
	return private.signup_members(needle, row_offset, row_limit, list_signup_members.activity_id);
end;
$$;
revoke all on function public.list_signup_members(text,integer,integer,uuid) from public, anon;
grant execute on function public.list_signup_members(text,integer,integer,uuid) to authenticated, service_role;

-- Published activities whose sign-up is open now and that someone in the caller's scope may join
-- (eligible units overlap the scope; the office: all).
create function private.signup_activities()
returns table (
	id uuid,
	title text,
	category text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	admission text,
	waitlist_enabled boolean,
	signup_closes_at timestamptz,
	eligible_genders text[],
	session_count integer
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
begin
	return query
	select a.id, a.title, a.category, a.starts_at, a.ends_at, a.place, a.capacity, a.seats_taken,
		a.admission, a.waitlist_enabled, a.signup_closes_at, a.eligible_genders,
		(select count(*)::integer from private.sessions s where s.activity_id = a.id)
	from private.activities a
	where a.status = 'published'
		and now() < a.starts_at
		and (a.signup_opens_at is null or a.signup_opens_at <= now())
		and (a.signup_closes_at is null or now() < a.signup_closes_at)
		and (office or a.eligible_unit_ids is null or exists (
			-- A scope root inside an eligible subtree, or an eligible unit inside the scope.
			select 1 from private.units u
			where (u.id = any (scope) and u.ancestors && a.eligible_unit_ids)
				or (u.id = any (a.eligible_unit_ids) and u.ancestors && scope)
		))
	order by a.starts_at, a.title;
end;
$$;
revoke all on function private.signup_activities() from public, anon;
grant execute on function private.signup_activities() to authenticated, service_role;

create function public.list_signup_activities()
returns table (
	id uuid,
	title text,
	category text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	admission text,
	waitlist_enabled boolean,
	signup_closes_at timestamptz,
	eligible_genders text[],
	session_count integer
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_signup_helper();
	return query select * from private.signup_activities();
end;
$$;
revoke all on function public.list_signup_activities() from public, anon;
grant execute on function public.list_signup_activities() to authenticated, service_role;

-- Registrations (any status) of members in the caller's scope for one activity, all of them.
create function private.signup_registrations(target_activity uuid)
returns table (
	registration_id uuid,
	member_id uuid,
	employee_no text,
	member_name text,
	unit_code text,
	unit_name text,
	status text,
	source text,
	session_label text,
	session_starts_at timestamptz,
	waitlist_position integer,
	queued_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
begin
	return query
	select r.id, m.id, m.employee_no, m.name, u.code, u.name, r.status, r.source, s.label, s.starts_at,
		case when r.status = 'waitlisted' then (
			select count(*)::integer from private.registrations w
			where w.activity_id = r.activity_id and w.status = 'waitlisted'
				and w.session_id is not distinct from r.session_id
				and (w.queued_at, w.id) <= (r.queued_at, r.id)
		) end,
		r.queued_at
	from private.registrations r
	join private.members m on m.id = r.member_id
	join private.units u on u.id = m.unit_id
	left join private.sessions s on s.id = r.session_id
	where r.activity_id = target_activity and (office or u.ancestors && scope)
	order by m.name, m.employee_no;
end;
$$;
revoke all on function private.signup_registrations(uuid) from public, anon;
grant execute on function private.signup_registrations(uuid) to authenticated, service_role;

-- Refuses: activity_not_found (404).
create function public.list_signup_registrations(activity_id uuid)
returns table (
	registration_id uuid,
	member_id uuid,
	employee_no text,
	member_name text,
	unit_code text,
	unit_name text,
	status text,
	source text,
	session_label text,
	session_starts_at timestamptz,
	waitlist_position integer,
	queued_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_signup_helper();
	-- Drafts exist only for those who manage them (activities_read).
	if not exists (select 1 from private.activities a where a.id = list_signup_registrations.activity_id) then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	return query select * from private.signup_registrations(list_signup_registrations.activity_id);
end;
$$;
revoke all on function public.list_signup_registrations(uuid) from public, anon;
grant execute on function public.list_signup_registrations(uuid) to authenticated, service_role;
