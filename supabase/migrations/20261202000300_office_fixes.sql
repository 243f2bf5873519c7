-- Issue 14, office fixes (R16, R17).

-- ===========================================================================================
-- R16. Unit import renames and moves units, and its preview says what will change.
-- ===========================================================================================

-- Redefines private.import_units of 20261123000800_office.sql. The update branch named the
-- declared variable `import_units.parent_id`, but only parameters carry the function's name as a
-- label: every rename or move failed with 42P01. The variable is now `new_parent_id`. Rows of
-- existing units also carry old_name, old_parent_code and changes (['name'], ['parent_code'] or
-- both), and a move under the unit's own descendant is refused as `cycle` already in the preview.
create or replace function private.import_units(rows jsonb, mode text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	r record;
	results jsonb := '[]'::jsonb;
	pending jsonb;
	seen text[] := '{}';
	file_codes text[];
	existing private.units;
	existing_parent_code text;
	new_parent_id uuid;
	reason text;
	action text;
	changes jsonb;
	valid jsonb := '[]'::jsonb;
	root_code text;
	progress boolean;
	item jsonb;
	counts jsonb;
begin
	perform private.require_office();
	root_code := (select u.code from private.units u where u.parent_id is null limit 1);
	select coalesce(array_agg(private.clean_cell(coalesce(e ->> 'code', e ->> '单位编码'))), '{}') into file_codes
	from jsonb_array_elements(rows) e;

	for r in
		select e.ord::integer as idx,
			case when (e.value ->> 'line') ~ '^\d{1,7}$' then (e.value ->> 'line')::integer else e.ord::integer + 1 end as line,
			upper(private.clean_cell(coalesce(e.value ->> 'code', e.value ->> '单位编码'))) as code,
			btrim(coalesce(e.value ->> 'name', e.value ->> '单位名称', ''), E' \t\r\n\u3000') as name,
			upper(private.clean_cell(coalesce(e.value ->> 'parent_code', e.value ->> '上级编码'))) as parent_code
		from jsonb_array_elements(rows) with ordinality as e (value, ord)
	loop
		select * into existing from private.units u where upper(u.code) = r.code;
		existing_parent_code := coalesce((select upper(p.code) from private.units p where p.id = existing.parent_id), '');
		reason := case
			when r.code = '' then 'code_missing'
			when r.code !~ '^[A-Za-z0-9_-]{1,32}$' then 'code_invalid'
			when r.code = any (seen) then 'duplicate_in_file'
			when r.name = '' then 'name_missing'
			when char_length(r.name) > 100 then 'name_too_long'
			when r.parent_code = r.code then 'parent_self'
			when r.parent_code = '' and root_code is not null and root_code <> r.code then 'second_root'
			when r.parent_code <> '' and not (r.parent_code = any (file_codes))
				and not exists (select 1 from private.units u where upper(u.code) = r.parent_code) then 'parent_unknown'
			-- Under one of its own descendants (as the tree stands now).
			when existing.id is not null and exists (
				select 1 from private.units p where upper(p.code) = r.parent_code and existing.id = any (p.ancestors)
			) then 'cycle'
		end;
		if r.code <> '' then
			seen := seen || r.code;
		end if;
		changes := case when existing.id is null then '[]'::jsonb else
			(case when existing.name <> r.name then '["name"]'::jsonb else '[]'::jsonb end)
			|| (case when existing_parent_code <> r.parent_code then '["parent_code"]'::jsonb else '[]'::jsonb end)
		end;
		action := case
			when reason is not null then 'reject'
			when existing.id is null then 'insert'
			when jsonb_array_length(changes) = 0 then 'unchanged'
			else 'update'
		end;
		results := results || jsonb_build_object('line', r.line, 'code', r.code, 'name', r.name,
			'parent_code', nullif(r.parent_code, ''), 'action', action, 'reason_code', reason,
			'changes', changes, 'old_name', existing.name,
			'old_parent_code', case when existing.id is null then null else nullif(existing_parent_code, '') end);
		if reason is null then
			valid := valid || jsonb_build_object('idx', r.idx, 'code', r.code, 'name', r.name, 'parent_code', r.parent_code, 'action', action);
		end if;
	end loop;

	if mode = 'apply' then
		-- Parents first: repeat until no unit is left whose parent exists.
		pending := valid;
		loop
			progress := false;
			for item in select value from jsonb_array_elements(pending) loop
				if item ->> 'parent_code' = '' then
					new_parent_id := null;
				else
					select u.id into new_parent_id from private.units u where upper(u.code) = item ->> 'parent_code';
					continue when new_parent_id is null;
				end if;
				begin
					if item ->> 'action' = 'insert' then
						insert into private.units (code, name, parent_id, kind)
						values (item ->> 'code', item ->> 'name', new_parent_id, case when new_parent_id is null then 'union' else 'group' end);
					elsif item ->> 'action' = 'update' then
						update private.units u set name = item ->> 'name', parent_id = new_parent_id,
							kind = case when new_parent_id is null then 'union' else 'group' end
						where upper(u.code) = item ->> 'code';
					end if;
				exception when sqlstate '23514' then
					-- Placed under its own descendant by an earlier line of the same file.
					results := (
						select jsonb_agg(case when x ->> 'code' = item ->> 'code'
							then x || jsonb_build_object('action', 'reject', 'reason_code', 'cycle') else x end)
						from jsonb_array_elements(results) x
					);
				end;
				pending := (select coalesce(jsonb_agg(x), '[]'::jsonb) from jsonb_array_elements(pending) x where x ->> 'code' <> item ->> 'code');
				progress := true;
			end loop;
			exit when not progress or jsonb_array_length(pending) = 0;
		end loop;
		-- Kinds follow depth: union, branch (分工会), group (工会小组).
		update private.units u
		set kind = case cardinality(u.ancestors) when 1 then 'union' when 2 then 'branch' else 'group' end
		where u.kind <> case cardinality(u.ancestors) when 1 then 'union' when 2 then 'branch' else 'group' end;
	end if;

	results := (
		select jsonb_agg(x || jsonb_build_object(
			'message_zh', case x ->> 'reason_code'
				when 'code_missing' then '缺少单位编码' when 'code_invalid' then '单位编码格式不正确'
				when 'duplicate_in_file' then '文件中单位编码重复' when 'name_missing' then '缺少单位名称'
				when 'name_too_long' then '单位名称过长' when 'parent_unknown' then '上级编码不存在'
				when 'parent_self' then '上级不能是自己' when 'second_root' then '只能有一个工会（无上级的单位）'
				when 'cycle' then '上级关系形成循环' end,
			'message_en', case x ->> 'reason_code'
				when 'code_missing' then 'Unit code missing' when 'code_invalid' then 'Malformed unit code'
				when 'duplicate_in_file' then 'Unit code repeated in the file' when 'name_missing' then 'Unit name missing'
				when 'name_too_long' then 'Unit name too long' when 'parent_unknown' then 'Unknown parent code'
				when 'parent_self' then 'A unit cannot be its own parent' when 'second_root' then 'Only one union (unit without parent)'
				when 'cycle' then 'The parents form a cycle' end))
		from jsonb_array_elements(results) x
	);
	counts := (
		select jsonb_build_object('total', count(*),
			'insert', count(*) filter (where x ->> 'action' = 'insert'),
			'update', count(*) filter (where x ->> 'action' = 'update'),
			'unchanged', count(*) filter (where x ->> 'action' = 'unchanged'),
			'reject', count(*) filter (where x ->> 'action' = 'reject'))
		from jsonb_array_elements(coalesce(results, '[]'::jsonb)) x
	);
	if mode = 'apply' then
		perform private.audit('units_imported', jsonb_build_object('summary', counts));
	end if;
	return jsonb_build_object('mode', mode, 'summary', counts, 'rows', coalesce(results, '[]'::jsonb));
end;
$$;

revoke all on function private.import_units(jsonb, text) from public, anon;
grant execute on function private.import_units(jsonb, text) to authenticated, service_role;

-- ===========================================================================================
-- R17. A sign-up deadline after the start is refused, not saved and then ignored.
-- ===========================================================================================

-- Redefines private.save_activity of 20261123000800_office.sql (its only definition); the one
-- change is the two rules after signup_window_invalid. The cancellation deadline already had
-- its rule (cancel_deadline_invalid: not after the start).
create or replace function private.save_activity(payload jsonb) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	current private.activities;
	a private.activities;
	key text;
	problem text;
	max_guests integer;
	active_registrations integer;
begin
	if payload is null or jsonb_typeof(payload) <> 'object' then
		perform private.api_error(400, 'activity_invalid', 'The activity must be an object.', '活动数据格式不正确。');
	end if;
	for key in select jsonb_object_keys(payload) loop
		if key not in ('id', 'expected_version', 'allow_overbooking', 'title', 'description', 'category',
			'owner_unit_id', 'starts_at', 'ends_at', 'place', 'signup_opens_at', 'signup_closes_at',
			'cancel_deadline', 'capacity', 'admission', 'waitlist_enabled', 'guests_max', 'walk_in_allowed',
			'eligible_genders', 'eligible_member_types', 'eligible_unit_ids', 'series', 'series_limit', 'questions') then
			perform private.api_error(400, 'field_unknown', 'Unknown field: ' || key || '.', '未知字段：' || key || '。');
		end if;
	end loop;

	if payload ->> 'id' is not null then
		begin
			select * into current from private.activities x where x.id = (payload ->> 'id')::uuid for update;
		exception when invalid_text_representation then
			perform private.field_error('id');
		end;
		if current.id is null or not private.can_manage_activity(current.id) then
			perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
		end if;
		if current.status not in ('draft', 'published', 'closed') then
			perform private.api_error(409, 'activity_locked', 'A cancelled or completed activity cannot be changed.',
				'已取消或已结束的活动不能修改。');
		end if;
		if payload ? 'expected_version' and (payload ->> 'expected_version')::bigint is distinct from current.version then
			perform private.api_error(409, 'version_conflict', 'Someone changed this activity meanwhile. Reload it first.',
				'该活动已被他人修改，请刷新后再编辑。');
		end if;
		a := current;
	else
		a.status := 'draft';
		a.description := '';
		a.place := '';
		a.admission := 'first_come';
		a.waitlist_enabled := true;
		a.guests_max := 0;
		a.walk_in_allowed := false;
		a.questions := '[]'::jsonb;
		a.seats_taken := 0;
	end if;

	-- Read the fields; a value of the wrong type is refused with its field name.
	begin
		if payload ? 'title' then a.title := btrim(payload ->> 'title'); end if;
		if payload ? 'description' then a.description := coalesce(payload ->> 'description', ''); end if;
		if payload ? 'category' then a.category := payload ->> 'category'; end if;
		if payload ? 'place' then a.place := btrim(coalesce(payload ->> 'place', '')); end if;
	exception when others then perform private.field_error('text'); end;
	begin if payload ? 'owner_unit_id' then a.owner_unit_id := (payload ->> 'owner_unit_id')::uuid; end if;
	exception when others then perform private.field_error('owner_unit_id'); end;
	begin if payload ? 'starts_at' then a.starts_at := (payload ->> 'starts_at')::timestamptz; end if;
	exception when others then perform private.field_error('starts_at'); end;
	begin if payload ? 'ends_at' then a.ends_at := (payload ->> 'ends_at')::timestamptz; end if;
	exception when others then perform private.field_error('ends_at'); end;
	begin if payload ? 'signup_opens_at' then a.signup_opens_at := (payload ->> 'signup_opens_at')::timestamptz; end if;
	exception when others then perform private.field_error('signup_opens_at'); end;
	begin if payload ? 'signup_closes_at' then a.signup_closes_at := (payload ->> 'signup_closes_at')::timestamptz; end if;
	exception when others then perform private.field_error('signup_closes_at'); end;
	begin if payload ? 'cancel_deadline' then a.cancel_deadline := (payload ->> 'cancel_deadline')::timestamptz; end if;
	exception when others then perform private.field_error('cancel_deadline'); end;
	begin if payload ? 'capacity' then a.capacity := (payload ->> 'capacity')::integer; end if;
	exception when others then perform private.field_error('capacity'); end;
	begin if payload ? 'admission' then a.admission := payload ->> 'admission'; end if;
	exception when others then perform private.field_error('admission'); end;
	begin if payload ? 'waitlist_enabled' then a.waitlist_enabled := (payload ->> 'waitlist_enabled')::boolean; end if;
	exception when others then perform private.field_error('waitlist_enabled'); end;
	begin if payload ? 'guests_max' then a.guests_max := (payload ->> 'guests_max')::integer; end if;
	exception when others then perform private.field_error('guests_max'); end;
	begin if payload ? 'walk_in_allowed' then a.walk_in_allowed := (payload ->> 'walk_in_allowed')::boolean; end if;
	exception when others then perform private.field_error('walk_in_allowed'); end;
	begin
		if payload ? 'eligible_genders' then
			a.eligible_genders := case when jsonb_typeof(payload -> 'eligible_genders') = 'array'
				then array(select jsonb_array_elements_text(payload -> 'eligible_genders')) end;
		end if;
		if payload ? 'eligible_member_types' then
			a.eligible_member_types := case when jsonb_typeof(payload -> 'eligible_member_types') = 'array'
				then array(select jsonb_array_elements_text(payload -> 'eligible_member_types')) end;
		end if;
		if payload ? 'eligible_unit_ids' then
			a.eligible_unit_ids := case when jsonb_typeof(payload -> 'eligible_unit_ids') = 'array'
				then array(select jsonb_array_elements_text(payload -> 'eligible_unit_ids')::uuid) end;
		end if;
	exception when others then perform private.field_error('eligibility'); end;
	begin
		if payload ? 'series' then a.series := nullif(btrim(payload ->> 'series'), ''); end if;
		if payload ? 'series_limit' then a.series_limit := (payload ->> 'series_limit')::integer; end if;
	exception when others then perform private.field_error('series'); end;
	if payload ? 'questions' then a.questions := payload -> 'questions'; end if;

	-- The rules.
	if a.title is null or char_length(a.title) not between 1 and 120 then
		perform private.api_error(400, 'title_invalid', 'A title of 1 to 120 characters is needed.', '请填写活动名称（1 到 120 个字）。');
	end if;
	if char_length(a.description) > 4000 then
		perform private.api_error(400, 'description_invalid', 'The description can be at most 4000 characters.', '活动介绍最多 4000 个字。');
	end if;
	if a.category is null or a.category not in ('sports', 'health', 'women', 'skills', 'outing', 'care', 'culture', 'other') then
		perform private.api_error(400, 'category_invalid', 'Choose a category.', '请选择活动类别。');
	end if;
	if char_length(a.place) > 200 then
		perform private.api_error(400, 'place_invalid', 'The place can be at most 200 characters.', '活动地点最多 200 个字。');
	end if;
	if a.owner_unit_id is null or not exists (select 1 from private.units u where u.id = a.owner_unit_id) then
		perform private.api_error(400, 'owner_unit_invalid', 'Choose the unit that runs the activity.', '请选择主办单位。');
	end if;
	if (current.id is null or a.owner_unit_id <> current.owner_unit_id)
		and not (private.is_office() or private.unit_in_scope(a.owner_unit_id, array['organizer'])) then
		perform private.api_error(403, 'owner_unit_not_in_scope', 'You can only run activities of the units you organize.',
			'只能以您负责的单位主办活动。');
	end if;
	if a.starts_at is null or a.ends_at is null or a.ends_at < a.starts_at then
		perform private.api_error(400, 'times_invalid', 'The activity needs a start and an end after it.', '请填写开始和结束时间，结束不能早于开始。');
	end if;
	if a.ends_at - a.starts_at > interval '62 days' then
		perform private.api_error(400, 'times_invalid', 'An activity can last at most 62 days.', '一个活动最长 62 天。');
	end if;
	if (a.signup_opens_at is not null and a.signup_closes_at is not null and a.signup_closes_at <= a.signup_opens_at)
		or (a.signup_closes_at is not null and a.signup_closes_at > a.ends_at)
		or (a.signup_opens_at is not null and a.signup_opens_at >= a.ends_at) then
		perform private.api_error(400, 'signup_window_invalid',
			'Sign-up must open before it closes, and close by the end of the activity.',
			'报名开始时间须早于截止时间，截止时间不晚于活动结束。');
	end if;
	-- Sign-up ends at the start whatever the deadline says (sign_up refuses from starts_at on):
	-- a later deadline, or an opening at or after the start, would be saved, shown and ignored.
	if a.signup_closes_at is not null and a.signup_closes_at > a.starts_at then
		perform private.api_error(400, 'signup_closes_after_start',
			'The sign-up deadline cannot be after the start: sign-up closes when the activity starts.',
			'报名截止时间不能晚于活动开始时间（活动开始时报名即截止）。');
	end if;
	if a.signup_opens_at is not null and a.signup_opens_at >= a.starts_at then
		perform private.api_error(400, 'signup_opens_after_start',
			'Sign-up must open before the activity starts.', '报名开始时间须早于活动开始时间。');
	end if;
	if a.cancel_deadline is not null and a.cancel_deadline > a.starts_at then
		perform private.api_error(400, 'cancel_deadline_invalid', 'The cancellation deadline must be before the start.',
			'取消报名截止时间须早于活动开始。');
	end if;
	if a.capacity is not null and a.capacity not between 1 and 100000 then
		perform private.api_error(400, 'capacity_invalid', 'Capacity is 1 to 100000, or empty for no limit.', '名额须为 1 到 100000，或不限。');
	end if;
	if a.capacity is not null and a.capacity < a.seats_taken then
		-- Even with allow_overbooking: the schema keeps seats_taken <= capacity, always.
		perform private.api_error(409, 'capacity_below_taken',
			format('%s seats are already taken: capacity cannot be lower. Cancel registrations first.', a.seats_taken),
			format('已有 %s 个名额被占用，名额不能低于此数。请先取消部分报名。', a.seats_taken));
	end if;
	if a.admission is null or a.admission not in ('first_come', 'approval', 'lottery') then
		perform private.api_error(400, 'admission_invalid', 'Admission is first come, approval or lottery.', '录取方式须为先到先得、审核或抽签。');
	end if;
	if a.waitlist_enabled is null or a.walk_in_allowed is null then
		perform private.field_error('flags');
	end if;
	if current.id is not null then
		select count(*) filter (where r.status in ('registered', 'waitlisted', 'pending_approval')),
			coalesce(max(cardinality(r.guest_names)) filter (where r.status in ('registered', 'waitlisted', 'pending_approval')), 0)
		into active_registrations, max_guests
		from private.registrations r where r.activity_id = current.id;
		if a.admission <> current.admission and active_registrations > 0 then
			perform private.api_error(409, 'admission_locked',
				format('%s people have signed up: the admission mode can no longer change.', active_registrations),
				format('已有 %s 人报名，录取方式不能再修改。', active_registrations));
		end if;
	end if;
	if a.guests_max is null or a.guests_max not between 0 and 10 then
		perform private.api_error(400, 'guests_max_invalid', 'Family members allowed: 0 to 10.', '可携带家属人数须为 0 到 10。');
	end if;
	if a.guests_max < coalesce(max_guests, 0) then
		perform private.api_error(409, 'guests_below_registered',
			format('A registration already brings %s family members.', max_guests),
			format('已有报名携带 %s 名家属，上限不能低于此数。', max_guests));
	end if;
	if (a.eligible_genders is not null and (cardinality(a.eligible_genders) = 0 or not (a.eligible_genders <@ array['female', 'male'])))
		or (a.eligible_member_types is not null and (cardinality(a.eligible_member_types) = 0
			or not (a.eligible_member_types <@ array['staff', 'contract', 'retired'])))
		or (a.eligible_unit_ids is not null and (cardinality(a.eligible_unit_ids) = 0
			or exists (select 1 from unnest(a.eligible_unit_ids) x where not exists (select 1 from private.units u where u.id = x)))) then
		perform private.api_error(400, 'eligibility_invalid', 'Eligibility lists genders, member types or existing units.',
			'参加条件须为性别、人员类别或已有单位。');
	end if;
	if (a.series is not null and char_length(a.series) > 60) or (a.series_limit is not null and (a.series_limit < 1 or a.series is null)) then
		perform private.api_error(400, 'series_invalid', 'A series limit needs a series name and is at least 1.', '系列限报须填写系列名称，且至少为 1。');
	end if;
	problem := private.questions_problem(a.questions);
	if problem is not null then
		perform private.api_error(400, 'questions_invalid', 'Questions: ' || problem || '.', '报名问题设置不正确：' || problem || '。');
	end if;

	if current.id is null then
		insert into private.activities (title, description, category, status, owner_unit_id, starts_at, ends_at, place,
			signup_opens_at, signup_closes_at, cancel_deadline, capacity, admission, waitlist_enabled, guests_max,
			walk_in_allowed, eligible_genders, eligible_member_types, eligible_unit_ids, series, series_limit, questions, created_by)
		values (a.title, a.description, a.category, 'draft', a.owner_unit_id, a.starts_at, a.ends_at, a.place,
			a.signup_opens_at, a.signup_closes_at, a.cancel_deadline, a.capacity, a.admission, a.waitlist_enabled, a.guests_max,
			a.walk_in_allowed, a.eligible_genders, a.eligible_member_types, a.eligible_unit_ids, a.series, a.series_limit, a.questions, me)
		returning id into a.id;
		perform private.audit('activity_created', jsonb_build_object('activity_id', a.id));
	else
		update private.activities x
		set title = a.title, description = a.description, category = a.category, owner_unit_id = a.owner_unit_id,
			starts_at = a.starts_at, ends_at = a.ends_at, place = a.place, signup_opens_at = a.signup_opens_at,
			signup_closes_at = a.signup_closes_at, cancel_deadline = a.cancel_deadline, capacity = a.capacity,
			admission = a.admission, waitlist_enabled = a.waitlist_enabled, guests_max = a.guests_max,
			walk_in_allowed = a.walk_in_allowed, eligible_genders = a.eligible_genders,
			eligible_member_types = a.eligible_member_types, eligible_unit_ids = a.eligible_unit_ids,
			series = a.series, series_limit = a.series_limit, questions = a.questions
		where x.id = a.id;
		perform private.audit('activity_saved', jsonb_build_object('activity_id', a.id,
			'fields', (select jsonb_agg(k) from jsonb_object_keys(payload) k where k not in ('id', 'expected_version', 'allow_overbooking'))));
		-- More seats may have freed up.
		if a.status in ('published', 'closed') and (a.capacity is null or a.capacity > coalesce(current.capacity, a.capacity)) then
			perform private.promote_waitlist(a.id);
		end if;
	end if;
	return private.activity_admin_json(a.id);
end;
$$;

revoke all on function private.save_activity(jsonb) from public, anon;
grant execute on function private.save_activity(jsonb) to authenticated, service_role;
