-- Access: who is calling, what they may see, and the errors the app shows.
--
-- - private.api_error(status, code, english, chinese) is how every refusal is raised: PostgREST
--   answers HTTP `status` with {message: code, details: English, hint: Chinese}.
-- - The caller: private.require_user (signed in), private.require_member (on the roster),
--   private.require_office, private.require_manager (may manage this activity).
-- - Scope: organizers and liaisons act on the unit subtrees of their roles (scope_unit_ids,
--   unit_in_scope); check-in staff on their one activity (checkin_activity_ids).
-- - Row-level security on every table, with `select` policies only: nobody writes a table over the
--   API, writes go through security-definer functions that check their caller first.
-- - private.take_rate_limit: a per-caller counter for searches that could list the roster.
--
-- Refusal codes here: not_signed_in (401), not_on_roster (403), not_allowed (403),
-- rate_limited (429).

-- ===========================================================================================
-- Section: who is calling
-- ===========================================================================================

-- The roster entry of the signed-in account, or null. Every API call asks.
create function private.current_member_id() returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	member uuid;
begin
	select m.id into member from private.members m where m.user_id = (select auth.uid());
	return member;
end;
$$;
revoke all on function private.current_member_id() from public, anon;
grant execute on function private.current_member_id() to authenticated, service_role;

create function private.is_office() returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select exists (
		select 1
		from private.staff_roles r
		join private.members m on m.id = r.member_id
		where m.user_id = (select auth.uid()) and r.role = 'office' and r.revoked_at is null
	)
$$;
revoke all on function private.is_office() from public, anon;
grant execute on function private.is_office() to authenticated, service_role;

-- Roots of the unit subtrees the caller organizes (organizer) or looks after (liaison).
create function private.scope_unit_ids(roles text[] default array['organizer', 'liaison'])
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
	select coalesce(array_agg(r.unit_id), '{}')
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	where m.user_id = (select auth.uid())
		and r.role = any (roles)
		and r.revoked_at is null
$$;
revoke all on function private.scope_unit_ids(text[]) from public, anon;
grant execute on function private.scope_unit_ids(text[]) to authenticated, service_role;

-- Activities the caller scans for as check-in staff.
create function private.checkin_activity_ids() returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
	select coalesce(array_agg(r.activity_id), '{}')
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	where m.user_id = (select auth.uid()) and r.role = 'checkin_staff' and r.revoked_at is null
$$;
revoke all on function private.checkin_activity_ids() from public, anon;
grant execute on function private.checkin_activity_ids() to authenticated, service_role;

-- Is the unit inside one of the caller's organizer (or liaison) subtrees?
create function private.unit_in_scope(target_unit uuid, roles text[] default array['organizer', 'liaison'])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select exists (
		select 1 from private.units u
		where u.id = target_unit and u.ancestors && private.scope_unit_ids(roles)
	)
$$;
revoke all on function private.unit_in_scope(uuid,text[]) from public, anon;
grant execute on function private.unit_in_scope(uuid,text[]) to authenticated, service_role;

-- May the caller manage the activity: the office, or an organizer of its owner unit's subtree.
create function private.can_manage_activity(target_activity uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select private.is_office() or exists (
		select 1 from private.activities a
		where a.id = target_activity and private.unit_in_scope(a.owner_unit_id, array['organizer'])
	)
$$;
revoke all on function private.can_manage_activity(uuid) from public, anon;
grant execute on function private.can_manage_activity(uuid) to authenticated, service_role;

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
revoke all on function private.api_error(integer,text,text,text) from public, anon;
grant execute on function private.api_error(integer,text,text,text) to authenticated, service_role;

-- Refuses anonymous callers; returns the caller's user id.
-- Refuses: not_signed_in (401).
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
revoke all on function private.require_user() from public, anon;
grant execute on function private.require_user() to authenticated, service_role;

-- Refuses callers who are not on the roster; returns their member id.
-- Refuses: not_on_roster (403).
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
revoke all on function private.require_member() from public, anon;
grant execute on function private.require_member() to authenticated, service_role;

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
revoke all on function private.link_account_to_roster() from public, anon;
grant execute on function private.link_account_to_roster() to authenticated, service_role;

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
revoke all on function public.whoami() from public, anon;
grant execute on function public.whoami() to authenticated, service_role;

-- Refuses callers who are not the union office.
-- Refuses: not_allowed (403).
create function private.require_office() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	if not private.is_office() then
		perform private.api_error(403, 'not_allowed', 'Only the union office can do this.', '只有工会办公室可以执行此操作。');
	end if;
	return me;
end;
$$;
revoke all on function private.require_office() from public, anon;
grant execute on function private.require_office() to authenticated, service_role;

create function private.audit(action text, subject jsonb) returns void
language sql
security definer
set search_path = ''
as $$
	insert into private.audit_log (actor_user_id, action, subject) values ((select auth.uid()), action, subject)
$$;
revoke all on function private.audit(text,jsonb) from public, anon;
grant execute on function private.audit(text,jsonb) to authenticated, service_role;

-- Refuses: not_allowed (403).
create function private.require_manager(target_activity uuid) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
	perform private.require_member();
	if target_activity is null or not private.can_manage_activity(target_activity) then
		perform private.api_error(403, 'not_allowed', 'Only the organizers of this activity can do this.', '只有该活动的组织者可以执行此操作。');
	end if;
end;
$$;
revoke all on function private.require_manager(uuid) from public, anon;
grant execute on function private.require_manager(uuid) to authenticated, service_role;

-- Counts one request of the caller in `limit_bucket` (atomically: one upsert, under the row's lock) and
-- refuses with 429 rate_limited past `per_minute` in the current window. A refused request rolls
-- back with its transaction, so refusals never extend the wait.
-- Refuses: rate_limited (429).
create function private.take_rate_limit(limit_bucket text, per_minute integer) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
	caller uuid := private.require_user();
	used_now integer;
begin
	insert into private.rate_limits as l (user_id, bucket, window_start, used)
	values (caller, limit_bucket, now(), 1)
	on conflict (user_id, bucket) do update set
		window_start = case when l.window_start > now() - interval '1 minute' then l.window_start else now() end,
		used = case when l.window_start > now() - interval '1 minute' then l.used + 1 else 1 end
	returning l.used into used_now;
	if used_now > per_minute then
		perform private.api_error(429, 'rate_limited',
			format('Too many searches: at most %s a minute. Please wait a moment.', per_minute),
			format('查找太频繁了：每分钟最多 %s 次，请稍等片刻再试。', per_minute));
	end if;
end;
$$;
revoke all on function private.take_rate_limit(text,integer) from public, anon;
grant execute on function private.take_rate_limit(text,integer) to authenticated, service_role;

-- ===========================================================================================
-- Section: row-level security (every table; `select` policies only)
-- ===========================================================================================

alter table private.union_settings enable row level security;
alter table private.units enable row level security;
alter table private.members enable row level security;
alter table private.staff_roles enable row level security;
alter table private.activities enable row level security;
alter table private.sessions enable row level security;
alter table private.registrations enable row level security;
alter table private.check_ins enable row level security;
alter table private.check_in_reviews enable row level security;
alter table private.client_actions enable row level security;
alter table private.audit_log enable row level security;
alter table private.attendances enable row level security;
alter table private.report_admissions enable row level security;
alter table private.rate_limits enable row level security;

-- The union's name and time zone are shown to every signed-in account (also on the
-- "not on the roster" page); the unit tree only to people on the roster.
create policy union_settings_read on private.union_settings
for select to authenticated using (true);

create policy units_read on private.units
for select to authenticated using ((select private.current_member_id()) is not null);

-- Members: yourself; the office everyone; organizers and liaisons their subtree.
create policy members_read on private.members
for select to authenticated using (
	user_id = (select auth.uid())
	or (select private.is_office())
	or unit_id in (
		select u.id from private.units u where u.ancestors && (select private.scope_unit_ids())
	)
);

create policy staff_roles_read on private.staff_roles
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or (unit_id is not null and private.unit_in_scope(unit_id, array['organizer']))
	or (activity_id is not null and private.can_manage_activity(activity_id))
);

-- Activities: published and later states to people on the roster (an account made by signing
-- in with an unknown email sees none); drafts to those who manage them.
create policy activities_read on private.activities
for select to authenticated using (
	(status <> 'draft' and (select private.current_member_id()) is not null)
	or (select private.is_office())
	or owner_unit_id in (
		select u.id from private.units u
		where u.ancestors && (select private.scope_unit_ids(array['organizer']))
	)
);

create policy sessions_read on private.sessions
for select to authenticated using (
	exists (select 1 from private.activities a where a.id = activity_id)
);

-- Registrations: your own; the office; organizers of the activity or of the member's unit;
-- check-in staff of the activity.
create policy registrations_read on private.registrations
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or activity_id in (select unnest(private.checkin_activity_ids()))
	or private.can_manage_activity(activity_id)
	or member_id in (
		select m.id from private.members m
		join private.units u on u.id = m.unit_id
		where u.ancestors && (select private.scope_unit_ids())
	)
);

create policy check_ins_read on private.check_ins
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or activity_id in (select unnest(private.checkin_activity_ids()))
	or private.can_manage_activity(activity_id)
);

create policy check_in_reviews_read on private.check_in_reviews
for select to authenticated using (
	(select private.is_office())
	or exists (
		select 1 from private.check_ins c
		where c.id = check_in_id and private.can_manage_activity(c.activity_id)
	)
);

create policy client_actions_read on private.client_actions
for select to authenticated using (owner_user_id = (select auth.uid()));

create policy audit_log_read on private.audit_log
for select to authenticated using ((select private.is_office()));

-- The reports' read models: the office only (the report functions check the caller's scope).
create policy attendances_read on private.attendances
for select to authenticated using ((select private.is_office()));

create policy report_admissions_read on private.report_admissions
for select to authenticated using ((select private.is_office()));

-- private.rate_limits has no policy: only the definer function that counts writes or reads it.

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

-- Reads only; RLS decides which rows. Writes go through functions that check their caller.
revoke all on all tables in schema private from public, anon, authenticated;
grant select on all tables in schema private to authenticated;
grant all on all tables in schema private to service_role;
grant usage, select on all sequences in schema private to service_role;

-- Nobody reads these over a session: the report functions and the rate limit read them as
-- their owner.
revoke all on private.attendances, private.report_admissions, private.rate_limits
from public, anon, authenticated;
