-- One rule for revoking a role (issue 15). Until now two functions revoked the same rows under
-- different rules: public.revoke_staff_role refused one's own office role and locked the row;
-- public.revoke_role refused the last office account, wrote another audit entry and locked
-- nothing. private.revoke_role is now the one rule, and public.revoke_staff_role is gone.
--
-- Who may revoke: the office any role; an organizer a liaison in their units and the check-in
-- staff of the activities they manage; anyone else sees no such role (404 role_not_found, the
-- same answer as for an id that does not exist). Refusals: own_office_role (409: the office
-- cannot lock itself out), last_office (409: the union keeps at least one office account).
-- Revoking a revoked role answers with it again (existing: true) and writes nothing. The audit
-- entry is 'role_revoked' with the role's id, member, role, unit and activity.
--
-- Office revocations lock every active office row first (in id order), so two office accounts
-- revoking each other at the same moment cannot leave the union with none.

create or replace function private.revoke_role(role_id uuid) returns jsonb
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

drop function public.revoke_staff_role(uuid);
drop function private.revoke_staff_role(uuid);
