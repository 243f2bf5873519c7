-- Staff roles: the union office (工会办公室), organizers (工会干事) and liaisons (工会小组长) of a
-- unit subtree, and check-in staff of one activity.
--
-- Rules enforced here:
-- - only the office grants and revokes office, organizer and liaison roles; organizers of an
--   activity also grant and revoke its check-in staff;
-- - one revoke rule for every role (private.revoke_role): nobody revokes their own office role,
--   and the last office role is never revoked, under a lock on the office rows so two revokes
--   at once cannot leave the union without an office; every grant and revoke is audited.

-- Grants `checkin_staff` for one activity to the member with `target_employee_no`; idempotent:
-- a member who already holds the grant gets the existing row back. The caller is checked by
-- the public function; this one checks again (defence in depth).
-- Refuses: not_organizer (403), member_not_found (404).
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
revoke all on function private.grant_checkin_staff(uuid,text) from public, anon;
grant execute on function private.grant_checkin_staff(uuid,text) to authenticated, service_role;

-- Refuses: not_organizer (403).
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
revoke all on function public.grant_checkin_staff(uuid,text) from public, anon;
grant execute on function public.grant_checkin_staff(uuid,text) to authenticated, service_role;

-- The current check-in staff of an activity, for the organizers who manage it.
-- Refuses: not_organizer (403).
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
revoke all on function public.list_activity_staff(uuid) from public, anon;
grant execute on function public.list_activity_staff(uuid) to authenticated, service_role;

create function private.staff_role_json(role_id uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'id', r.id, 'role', r.role, 'member_id', m.id, 'employee_no', m.employee_no, 'name', m.name,
		'member_unit_name', mu.name, 'unit_id', r.unit_id, 'unit_code', u.code, 'unit_name', u.name,
		'activity_id', r.activity_id, 'activity_title', a.title,
		'granted_at', r.granted_at, 'granted_by_name', g.name,
		'revoked_at', r.revoked_at
	)
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	join private.units mu on mu.id = m.unit_id
	left join private.units u on u.id = r.unit_id
	left join private.activities a on a.id = r.activity_id
	left join private.members g on g.id = r.granted_by
	where r.id = role_id
$$;
revoke all on function private.staff_role_json(uuid) from public, anon;
grant execute on function private.staff_role_json(uuid) to authenticated, service_role;

-- Grants office (office only), organizer (office only) or liaison (the office, or an organizer
-- whose subtree holds the unit and the member). Granting what is already granted answers with it.
-- Refuses: role_invalid (400), member_not_found (404), unit_not_expected (400), unit_not_found
--  (404), not_allowed (403), unit_not_in_scope (403), member_not_in_scope (403).
create function private.grant_role(employee_no text, role text, unit_code text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	member private.members;
	unit private.units;
	existing uuid;
	new_id uuid;
begin
	if role is null or role not in ('office', 'organizer', 'liaison') then
		perform private.api_error(400, 'role_invalid', 'The role is office, organizer or liaison.', '角色须为工会办公室、工会干事或工会小组长。');
	end if;
	select * into member from private.members m where m.employee_no = private.clean_cell(grant_role.employee_no);
	if member.id is null or (member.active_until is not null and member.active_until <= current_date) then
		perform private.api_error(404, 'member_not_found', 'No member with this employee number.', '没有这个工号的会员。');
	end if;
	if role = 'office' then
		if nullif(private.clean_cell(unit_code), '') is not null then
			perform private.api_error(400, 'unit_not_expected', 'The union office has no unit.', '工会办公室角色不需要单位。');
		end if;
	else
		select * into unit from private.units u where upper(u.code) = upper(private.clean_cell(unit_code));
		if unit.id is null then
			perform private.api_error(404, 'unit_not_found', 'No such unit.', '没有找到这个单位。');
		end if;
	end if;
	if role in ('office', 'organizer') and not private.is_office() then
		perform private.api_error(403, 'not_allowed', 'Only the union office can name organizers.', '只有工会办公室可以任命工会干事。');
	end if;
	if role = 'liaison' and not private.is_office() then
		if not private.unit_in_scope(unit.id, array['organizer']) then
			perform private.api_error(403, 'unit_not_in_scope', 'This unit is outside the units you organize.', '该单位不在您负责的范围内。');
		end if;
		if not private.unit_in_scope(member.unit_id, array['organizer']) then
			perform private.api_error(403, 'member_not_in_scope', 'This member is outside the units you organize.', '该会员不在您负责的范围内。');
		end if;
	end if;

	select r.id into existing from private.staff_roles r
	where r.member_id = member.id and r.role = grant_role.role and r.unit_id is not distinct from unit.id
		and r.revoked_at is null;
	if existing is not null then
		return private.staff_role_json(existing) || jsonb_build_object('existing', true);
	end if;
	insert into private.staff_roles (member_id, role, unit_id, granted_by)
	values (member.id, role, unit.id, me)
	returning id into new_id;
	perform private.audit('role_granted', jsonb_build_object('role_id', new_id, 'member_id', member.id, 'role', role, 'unit_id', unit.id));
	return private.staff_role_json(new_id) || jsonb_build_object('existing', false);
end;
$$;
revoke all on function private.grant_role(text,text,text) from public, anon;
grant execute on function private.grant_role(text,text,text) to authenticated, service_role;

-- Refuses: role_not_found (404), own_office_role (409), last_office (409).
create function private.revoke_role(role_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	target private.staff_roles;
begin
	select * into target from private.staff_roles r where r.id = role_id;
	if target.id is null or not (
		private.is_office()
		or (target.role = 'liaison' and private.unit_in_scope(target.unit_id, array['organizer']))
		or (target.role = 'checkin_staff' and private.can_manage_activity(target.activity_id))
	) then
		-- Someone else's grant looks the same as none at all.
		perform private.api_error(404, 'role_not_found', 'No such role you can revoke.', '没有找到可撤销的角色。');
	end if;
	if target.role = 'office' then
		perform 1 from private.staff_roles r
		where r.role = 'office' and r.revoked_at is null
		order by r.id
		for update;
	end if;
	select * into target from private.staff_roles r where r.id = role_id for update;
	if target.revoked_at is not null then
		return private.staff_role_json(target.id) || jsonb_build_object('existing', true);
	end if;
	if target.role = 'office' and target.member_id = me then
		perform private.api_error(409, 'own_office_role', 'You cannot revoke your own office role.',
			'不能撤销自己的工会办公室权限。');
	end if;
	if target.role = 'office' and (
		select count(*) from private.staff_roles r where r.role = 'office' and r.revoked_at is null
	) <= 1 then
		perform private.api_error(409, 'last_office', 'The last union office account cannot be removed.',
			'不能撤销最后一个工会办公室账号。');
	end if;
	update private.staff_roles r set revoked_at = now(), revoked_by = me where r.id = target.id;
	perform private.audit('role_revoked', jsonb_build_object('role_id', target.id, 'member_id', target.member_id,
		'role', target.role, 'unit_id', target.unit_id, 'activity_id', target.activity_id));
	return private.staff_role_json(target.id) || jsonb_build_object('existing', false);
end;
$$;
revoke all on function private.revoke_role(uuid) from public, anon;
grant execute on function private.revoke_role(uuid) to authenticated, service_role;

-- The active roles the caller may see: the office all; an organizer those in their subtrees and
-- the check-in staff of the activities they manage.
create function private.list_staff() returns setof jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select private.staff_role_json(r.id)
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	left join private.units u on u.id = r.unit_id
	where r.revoked_at is null
		and (
			private.is_office()
			or (r.unit_id is not null and private.unit_in_scope(r.unit_id, array['organizer']))
			or (r.activity_id is not null and private.can_manage_activity(r.activity_id))
		)
	order by array_position(array['office', 'organizer', 'liaison', 'checkin_staff'], r.role), u.code nulls first, m.employee_no
$$;
revoke all on function private.list_staff() from public, anon;
grant execute on function private.list_staff() to authenticated, service_role;

create function public.grant_role(employee_no text, role text, unit_code text default null) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.grant_role(grant_role.employee_no, grant_role.role, grant_role.unit_code);
end;
$$;
revoke all on function public.grant_role(text,text,text) from public, anon;
grant execute on function public.grant_role(text,text,text) to authenticated, service_role;

create function public.revoke_role(role_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.revoke_role(revoke_role.role_id);
end;
$$;
revoke all on function public.revoke_role(uuid) from public, anon;
grant execute on function public.revoke_role(uuid) to authenticated, service_role;

-- Refuses: not_allowed (403).
create function public.list_staff() returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.is_office() and cardinality(private.scope_unit_ids(array['organizer'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only the union office and organizers can see this.', '只有工会办公室和工会干事可以查看。');
	end if;
	return coalesce((select jsonb_agg(s) from private.list_staff() s), '[]'::jsonb);
end;
$$;
revoke all on function public.list_staff() from public, anon;
grant execute on function public.list_staff() to authenticated, service_role;
