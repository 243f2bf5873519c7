-- Check-in staff (签到员): a scanner-only grant for one activity, e.g. to a 工会小组长 who helps
-- at the door. The office and the organizers who manage an activity grant and revoke it by
-- 工号; every grant and revocation is audited. Check-in staff see only that activity's roster
-- and may not accept unknown tickets provisionally (private.can_check_in, A14).
-- Also the list of activities the caller may scan for (the scanner's start page).

-- ===========================================================================================
-- Section: private helpers (security definer: they write tables API roles cannot)
-- ===========================================================================================

-- Grants `checkin_staff` for one activity to the member with `target_employee_no`; idempotent:
-- a member who already holds the grant gets the existing row back. The caller is checked by
-- the public function; this one checks again (defence in depth).
create function private.grant_checkin_staff(target_activity uuid, target_employee_no text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	member private.members;
	role_row private.staff_roles;
	created boolean := false;
begin
	if me is null or not private.can_manage_activity(target_activity) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can name check-in staff.',
			'只有工会办公室和该活动的组织者可以指定签到员。');
	end if;
	select * into member from private.members m
	where m.employee_no = btrim(coalesce(target_employee_no, ''))
		and (m.active_until is null or m.active_until > current_date);
	if member.id is null then
		perform private.api_error(404, 'member_not_found', 'No current member has this employee number.',
			'名册中没有这个工号的在职会员。');
	end if;
	-- One grant per member and activity at a time; concurrent grants serialise on the activity.
	perform 1 from private.activities a where a.id = target_activity for update;
	select * into role_row from private.staff_roles r
	where r.member_id = member.id and r.role = 'checkin_staff' and r.activity_id = target_activity
		and r.revoked_at is null;
	if role_row.id is null then
		insert into private.staff_roles (member_id, role, activity_id, granted_by)
		values (member.id, 'checkin_staff', target_activity, me)
		returning * into role_row;
		created := true;
		insert into private.audit_log (actor_user_id, action, subject)
		values ((select auth.uid()), 'checkin_staff_granted', jsonb_build_object(
			'role_id', role_row.id, 'activity_id', target_activity, 'member_id', member.id));
	end if;
	return jsonb_build_object(
		'role_id', role_row.id, 'member_id', member.id, 'name', member.name,
		'employee_no', member.employee_no,
		'unit_name', (select u.name from private.units u where u.id = member.unit_id),
		'granted_at', role_row.granted_at, 'created', created);
end;
$$;

-- Revokes a staff role (the row is kept, with who and when). Check-in staff grants: the office or
-- an organizer who manages the activity. Other roles (organizer, liaison, office): the office
-- only, and never one's own office role (the last door out would lock). Idempotent.
create function private.revoke_staff_role(target_role uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	role_row private.staff_roles;
begin
	select * into role_row from private.staff_roles r where r.id = target_role for update;
	if role_row.id is null or me is null
		or (role_row.role = 'checkin_staff' and not private.can_manage_activity(role_row.activity_id))
		or (role_row.role <> 'checkin_staff' and not private.is_office()) then
		-- Someone else's grant looks the same as none at all.
		perform private.api_error(404, 'role_not_found', 'No such staff role.', '没有找到这项工作人员授权。');
	end if;
	if role_row.role = 'office' and role_row.member_id = me then
		perform private.api_error(409, 'own_office_role', 'You cannot revoke your own office role.',
			'不能撤销自己的工会办公室权限。');
	end if;
	if role_row.revoked_at is null then
		update private.staff_roles r set revoked_at = now(), revoked_by = me
		where r.id = target_role
		returning * into role_row;
		insert into private.audit_log (actor_user_id, action, subject)
		values ((select auth.uid()), 'staff_role_revoked', jsonb_build_object(
			'role_id', role_row.id, 'role', role_row.role, 'activity_id', role_row.activity_id,
			'unit_id', role_row.unit_id, 'member_id', role_row.member_id));
	end if;
	return jsonb_build_object('role_id', role_row.id, 'revoked_at', role_row.revoked_at);
end;
$$;

-- ===========================================================================================
-- Section: public API
-- ===========================================================================================

create function public.grant_checkin_staff(activity_id uuid, employee_no text) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_manage_activity(grant_checkin_staff.activity_id) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can name check-in staff.',
			'只有工会办公室和该活动的组织者可以指定签到员。');
	end if;
	return private.grant_checkin_staff(grant_checkin_staff.activity_id, grant_checkin_staff.employee_no);
end;
$$;

create function public.revoke_staff_role(role_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.revoke_staff_role(revoke_staff_role.role_id);
end;
$$;

-- The current check-in staff of an activity, for the organizers who manage it.
create function public.list_activity_staff(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_manage_activity(list_activity_staff.activity_id) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can see its check-in staff.',
			'只有工会办公室和该活动的组织者可以查看签到员。');
	end if;
	-- Reads through RLS: staff_roles_read lets managers of the activity see its grants.
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'role_id', r.id, 'member_id', m.id, 'name', m.name, 'employee_no', m.employee_no,
			'unit_name', (select u.name from private.units u where u.id = m.unit_id),
			'granted_at', r.granted_at,
			'granted_by', (select g.name from private.members g where g.id = r.granted_by)
		) order by r.granted_at, m.employee_no)
		from private.staff_roles r
		join private.members m on m.id = r.member_id
		where r.activity_id = list_activity_staff.activity_id
			and r.role = 'checkin_staff' and r.revoked_at is null
	), '[]'::jsonb);
end;
$$;

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

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.grant_checkin_staff(uuid, text),
	private.revoke_staff_role(uuid)
from public, anon;
grant execute on function
	private.grant_checkin_staff(uuid, text),
	private.revoke_staff_role(uuid)
to authenticated, service_role;

revoke all on function
	public.grant_checkin_staff(uuid, text),
	public.revoke_staff_role(uuid),
	public.list_activity_staff(uuid),
	public.list_checkin_activities()
from public, anon;
grant execute on function
	public.grant_checkin_staff(uuid, text),
	public.revoke_staff_role(uuid),
	public.list_activity_staff(uuid),
	public.list_checkin_activities()
to authenticated, service_role;
