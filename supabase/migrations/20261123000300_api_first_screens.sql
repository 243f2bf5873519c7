-- The API the first screens need: who am I, and the activities open to me.
--
-- Conventions for every API function in `public`:
-- - `set search_path = ''` and fully qualified names;
-- - security invoker unless it must write, and then the writing part is a private definer helper;
-- - it checks its caller first and refuses with `private.api_error`, whose code the app maps to
--   a message in Chinese or English.

-- ===========================================================================================
-- Section: errors
-- ===========================================================================================

-- Raises an error PostgREST turns into HTTP `http_status` with body
-- {code: 'PT<status>', message: <code>, details: <English>, hint: <Chinese>}.
create function private.api_error(http_status integer, code text, message_en text, message_zh text)
returns void
language plpgsql
set search_path = ''
as $$
begin
	raise exception using
		errcode = 'PT' || http_status::text,
		message = code,
		detail = message_en,
		hint = message_zh;
end;
$$;

-- Refuses anonymous callers; returns the caller's user id.
create function private.require_user() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	caller uuid := (select auth.uid());
begin
	if caller is null then
		perform private.api_error(401, 'not_signed_in', 'Please sign in first.', '请先登录。');
	end if;
	return caller;
end;
$$;

-- Refuses callers who are not on the roster; returns their member id.
create function private.require_member() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	member uuid;
begin
	perform private.require_user();
	member := private.current_member_id();
	if member is null then
		perform private.api_error(403, 'not_on_roster',
			'Your email is not on the union roster. Please ask your union office.',
			'您的邮箱不在工会名册中，请联系工会办公室。');
	end if;
	return member;
end;
$$;

-- ===========================================================================================
-- Section: linking an account to its roster entry
-- ===========================================================================================

-- On first sign-in an account is linked to the roster entry with the same confirmed email.
-- Only a confirmed email links, so a password sign-up with someone else's address gets nothing.
create function private.link_account_to_roster() returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
	caller uuid := (select auth.uid());
	linked uuid;
begin
	select m.id into linked from private.members m where m.user_id = caller;
	if linked is not null or caller is null then
		return linked;
	end if;
	update private.members m
	set user_id = u.id
	from auth.users u
	where u.id = caller
		and u.email_confirmed_at is not null
		and m.user_id is null
		and m.email = lower(u.email)
	returning m.id into linked;
	if linked is not null then
		insert into private.audit_log (actor_user_id, action, subject)
		values (caller, 'account_linked', jsonb_build_object('member_id', linked));
	end if;
	return linked;
end;
$$;

-- ===========================================================================================
-- Section: eligibility
-- ===========================================================================================

-- Why a member may not sign up for an activity, or null when they may. The codes are shown
-- in plain words by the app: not_member, gender, member_type, unit.
create function private.ineligibility_reason(activity_id uuid, member_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
	select case
		when m.id is null or (m.active_until is not null and m.active_until <= current_date)
			then 'not_member'
		when a.eligible_genders is not null and not (m.gender = any (a.eligible_genders))
			then 'gender'
		when a.eligible_member_types is not null and not (m.member_type = any (a.eligible_member_types))
			then 'member_type'
		when a.eligible_unit_ids is not null and not (u.ancestors && a.eligible_unit_ids)
			then 'unit'
	end
	from private.activities a
	left join private.members m on m.id = ineligibility_reason.member_id
	left join private.units u on u.id = m.unit_id
	where a.id = ineligibility_reason.activity_id
$$;

-- ===========================================================================================
-- Section: public API
-- ===========================================================================================

-- Who am I: the account, the union, my roster entry (null when not on the roster) and my roles.
-- Volatile because it links the account on first call; supabase-js calls it with POST.
create function public.whoami() returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
	caller uuid := private.require_user();
	my_member_id uuid := private.link_account_to_roster();
begin
	return jsonb_build_object(
		'user_id', caller,
		'email', (select auth.jwt() ->> 'email'),
		'union', (
			select jsonb_build_object('name', s.name, 'time_zone', s.time_zone)
			from private.union_settings s
		),
		'member', (
			select jsonb_build_object(
				'id', m.id,
				'employee_no', m.employee_no,
				'name', m.name,
				'gender', m.gender,
				'member_type', m.member_type,
				'unit_id', u.id,
				'unit_name', u.name,
				'branch_name', (
					select b.name from private.units b
					where b.id = any (u.ancestors) and b.kind = 'branch'
				)
			)
			from private.members m
			join private.units u on u.id = m.unit_id
			where m.id = my_member_id
		),
		'roles', coalesce((
			select jsonb_agg(
				jsonb_build_object(
					'role', r.role,
					'unit_id', r.unit_id,
					'unit_name', u.name,
					'activity_id', r.activity_id
				) order by r.role, u.code
			)
			from private.staff_roles r
			left join private.units u on u.id = r.unit_id
			where r.member_id = my_member_id and r.revoked_at is null
		), '[]'::jsonb)
	);
end;
$$;

-- The activities a member can see (published and later), each with whether they may sign up
-- and why not, their own registration's status, and the server's clock to judge windows by.
create function public.list_activities()
returns table (
	id uuid,
	title text,
	category text,
	status text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	signup_opens_at timestamptz,
	signup_closes_at timestamptz,
	cancel_deadline timestamptz,
	admission text,
	waitlist_enabled boolean,
	guests_max integer,
	session_count integer,
	eligible boolean,
	ineligible_reason text,
	my_registration_status text,
	version bigint,
	server_now timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	return query
	select
		a.id,
		a.title,
		a.category,
		a.status,
		a.starts_at,
		a.ends_at,
		a.place,
		a.capacity,
		a.seats_taken,
		a.signup_opens_at,
		a.signup_closes_at,
		a.cancel_deadline,
		a.admission,
		a.waitlist_enabled,
		a.guests_max,
		(select count(*)::integer from private.sessions s where s.activity_id = a.id),
		reason.code is null,
		reason.code,
		r.status,
		a.version,
		now()
	from private.activities a
	cross join lateral (select private.ineligibility_reason(a.id, me) as code) reason
	left join private.registrations r on r.activity_id = a.id and r.member_id = me
	where a.status <> 'draft'
	order by a.starts_at, a.title;
end;
$$;

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.api_error(integer, text, text, text),
	private.require_user(),
	private.require_member(),
	private.link_account_to_roster(),
	private.ineligibility_reason(uuid, uuid)
from public, anon;
grant execute on function
	private.api_error(integer, text, text, text),
	private.require_user(),
	private.require_member(),
	private.link_account_to_roster(),
	private.ineligibility_reason(uuid, uuid)
to authenticated, service_role;

revoke all on function public.whoami(), public.list_activities() from public, anon;
grant execute on function public.whoami(), public.list_activities() to authenticated, service_role;
