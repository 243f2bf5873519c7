-- Who may read what: row-level security on every table, and the helpers the policies use.
--
-- Reads go through RLS (functions in `public` are security invoker where they only read).
-- Nobody but the service role writes tables directly: every change goes through a function
-- that checks its caller. Policies are `to authenticated`: the anonymous key reads nothing.

-- ===========================================================================================
-- Section: caller helpers (security definer, so policies can ask without recursing into RLS)
-- ===========================================================================================

-- The roster entry of the signed-in account, or null.
create function private.current_member_id() returns uuid
language sql
stable
security definer
set search_path = ''
as $$
	select m.id from private.members m where m.user_id = (select auth.uid())
$$;

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

-- ===========================================================================================
-- Section: row-level security
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

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

-- Reads only; RLS decides which rows. Writes go through functions that check their caller.
revoke all on all tables in schema private from public, anon, authenticated;
grant select on all tables in schema private to authenticated;
grant all on all tables in schema private to service_role;
grant usage, select on all sequences in schema private to service_role;

revoke all on all functions in schema private from public, anon;
grant execute on function
	private.current_member_id(),
	private.is_office(),
	private.scope_unit_ids(text[]),
	private.checkin_activity_ids(),
	private.unit_in_scope(uuid, text[]),
	private.can_manage_activity(uuid),
	private.registration_seats(text, text[])
to authenticated, service_role;
