-- The activity editor: creating, editing, copying, publishing, closing and cancelling
-- activities, and their sessions (场次).
--
-- Rules enforced here: only the office and organizers of the activity's unit subtree; every
-- field is checked with a field-level code the editor shows beside the field (private.field_error):
-- times in order, the sign-up window inside the time before the start, capacity never below the
-- seats already taken, questions well formed; a published activity keeps its registrations'
-- promises (a session with registrations is not deleted). Every change is audited.

-- Why a list of typed questions is malformed, or null. Rules: at most 20; ids unique, of
-- [a-z0-9_], 1–40 characters; kind choice, text or number; label {zh (required), en}; required
-- boolean; choice: 1–50 options with unique non-empty values and a zh label; text: max_length
-- 1–2000; number: min <= max.
create function private.questions_problem(questions jsonb) returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
	q jsonb;
	o jsonb;
	ids text[] := '{}';
	values_seen text[];
begin
	if questions is null or jsonb_typeof(questions) <> 'array' then
		return 'questions must be a list';
	end if;
	if jsonb_array_length(questions) > 20 then
		return 'at most 20 questions';
	end if;
	for q in select value from jsonb_array_elements(questions) loop
		if jsonb_typeof(q) <> 'object' then
			return 'each question must be an object';
		end if;
		if coalesce(q ->> 'id', '') !~ '^[a-z0-9_]{1,40}$' then
			return 'question id malformed: ' || coalesce(q ->> 'id', '');
		end if;
		if (q ->> 'id') = any (ids) then
			return 'question id repeated: ' || (q ->> 'id');
		end if;
		ids := ids || (q ->> 'id');
		if coalesce(q ->> 'kind', '') not in ('choice', 'text', 'number') then
			return 'question kind must be choice, text or number: ' || (q ->> 'id');
		end if;
		if jsonb_typeof(q -> 'label') is distinct from 'object' or btrim(coalesce(q #>> '{label,zh}', '')) = ''
			or char_length(q #>> '{label,zh}') > 200
			or (q #> '{label,en}' is not null and jsonb_typeof(q #> '{label,en}') <> 'string') then
			return 'question label needs zh (and optionally en): ' || (q ->> 'id');
		end if;
		if q ? 'required' and jsonb_typeof(q -> 'required') not in ('boolean', 'null') then
			return 'required must be true or false: ' || (q ->> 'id');
		end if;
		if q ->> 'kind' = 'choice' then
			if jsonb_typeof(q -> 'options') is distinct from 'array' or jsonb_array_length(q -> 'options') not between 1 and 50 then
				return 'a choice needs 1 to 50 options: ' || (q ->> 'id');
			end if;
			values_seen := '{}';
			for o in select value from jsonb_array_elements(q -> 'options') loop
				if jsonb_typeof(o -> 'value') is distinct from 'string' or btrim(o ->> 'value') = ''
					or jsonb_typeof(o -> 'label') is distinct from 'object' or btrim(coalesce(o #>> '{label,zh}', '')) = '' then
					return 'each option needs a value and a zh label: ' || (q ->> 'id');
				end if;
				if (o ->> 'value') = any (values_seen) then
					return 'option value repeated: ' || (q ->> 'id') || '.' || (o ->> 'value');
				end if;
				values_seen := values_seen || (o ->> 'value');
			end loop;
		elsif q ->> 'kind' = 'text' then
			if q ? 'max_length' and q -> 'max_length' <> 'null'::jsonb and (jsonb_typeof(q -> 'max_length') <> 'number'
				or (q ->> 'max_length')::numeric not between 1 and 2000 or (q ->> 'max_length')::numeric % 1 <> 0) then
				return 'max_length must be 1 to 2000: ' || (q ->> 'id');
			end if;
		else
			if (q ? 'min' and q -> 'min' <> 'null'::jsonb and jsonb_typeof(q -> 'min') <> 'number')
				or (q ? 'max' and q -> 'max' <> 'null'::jsonb and jsonb_typeof(q -> 'max') <> 'number') then
				return 'min and max must be numbers: ' || (q ->> 'id');
			end if;
			if jsonb_typeof(q -> 'min') = 'number' and jsonb_typeof(q -> 'max') = 'number'
				and (q ->> 'min')::numeric > (q ->> 'max')::numeric then
				return 'min must not exceed max: ' || (q ->> 'id');
			end if;
		end if;
	end loop;
	return null;
end;
$$;
revoke all on function private.questions_problem(jsonb) from public, anon;
grant execute on function private.questions_problem(jsonb) to authenticated, service_role;

-- The activity as the editor shows it: every field, raw ids, sessions with seats, counts.
create function private.activity_admin_json(target uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'id', a.id, 'title', a.title, 'description', a.description, 'category', a.category,
		'status', a.status, 'owner_unit_id', a.owner_unit_id,
		'owner_unit_name', (select u.name from private.units u where u.id = a.owner_unit_id),
		'starts_at', a.starts_at, 'ends_at', a.ends_at, 'place', a.place,
		'signup_opens_at', a.signup_opens_at, 'signup_closes_at', a.signup_closes_at,
		'cancel_deadline', a.cancel_deadline, 'capacity', a.capacity, 'seats_taken', a.seats_taken,
		'admission', a.admission, 'waitlist_enabled', a.waitlist_enabled, 'guests_max', a.guests_max,
		'walk_in_allowed', a.walk_in_allowed, 'eligible_genders', to_jsonb(a.eligible_genders),
		'eligible_member_types', to_jsonb(a.eligible_member_types),
		'eligible_unit_ids', to_jsonb(a.eligible_unit_ids), 'series', a.series, 'series_limit', a.series_limit,
		'questions', a.questions, 'cancelled_reason', a.cancelled_reason,
		'lottery_drawn_at', a.lottery_drawn_at, 'version', a.version,
		'created_at', a.created_at, 'updated_at', a.updated_at,
		'counts', (
			select jsonb_build_object(
				'registered', count(*) filter (where r.status = 'registered'),
				'waitlisted', count(*) filter (where r.status = 'waitlisted'),
				'pending_approval', count(*) filter (where r.status = 'pending_approval'),
				'cancelled', count(*) filter (where r.status = 'cancelled'),
				'rejected', count(*) filter (where r.status = 'rejected'))
			from private.registrations r where r.activity_id = a.id
		),
		'sessions', coalesce((
			select jsonb_agg(jsonb_build_object('id', s.id, 'label', s.label, 'starts_at', s.starts_at,
				'ends_at', s.ends_at, 'capacity', s.capacity, 'seats_taken', s.seats_taken,
				'registrations', (select count(*) from private.registrations r where r.session_id = s.id
					and r.status not in ('cancelled', 'rejected'))) order by s.starts_at, s.id)
			from private.sessions s where s.activity_id = a.id
		), '[]'::jsonb)
	)
	from private.activities a
	where a.id = target
$$;
revoke all on function private.activity_admin_json(uuid) from public, anon;
grant execute on function private.activity_admin_json(uuid) to authenticated, service_role;

create function private.field_error(field text) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
	perform private.api_error(400, field || '_invalid', 'This field is not valid: ' || field || '.',
		'此项填写不正确：' || field || '。');
end;
$$;
revoke all on function private.field_error(text) from public, anon;
grant execute on function private.field_error(text) to authenticated, service_role;

-- Creates (no id) or updates an activity from the editor's JSON. On update, fields absent from
-- the JSON keep their values. Every rule of an activity (docs/product.md) is checked; the sign-up
-- window must close and open before the start; see the codes below.
-- Refuses: activity_invalid (400), field_unknown (400), activity_not_found (404), activity_locked
--  (409), version_conflict (409), title_invalid (400), description_invalid (400), category_invalid
--  (400), place_invalid (400), owner_unit_invalid (400), owner_unit_not_in_scope (403),
--  times_invalid (400), signup_window_invalid (400), signup_closes_after_start (400),
--  signup_opens_after_start (400), cancel_deadline_invalid (400), capacity_invalid (400),
--  capacity_below_taken (409), admission_invalid (400), admission_locked (409), guests_max_invalid
--  (400), guests_below_registered (409), eligibility_invalid (400), series_invalid (400),
--  questions_invalid (400).
create function private.save_activity(payload jsonb) returns jsonb
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

-- publish: draft or closed → published; close: published → closed; cancel: → cancelled, with
-- a reason registrants see; the registrations keep their status (their tickets no longer scan).
-- Refuses: activity_not_found (404), status_invalid (409), activity_over (409), reason_invalid
--  (400).
create function private.set_activity_status(target uuid, new_status text, reason text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	a private.activities;
begin
	select * into a from private.activities x where x.id = target for update;
	if a.id is null or not private.can_manage_activity(target) then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	if a.status = new_status then
		return private.activity_admin_json(target);
	end if;
	if new_status = 'published' then
		if a.status not in ('draft', 'closed') then
			perform private.api_error(409, 'status_invalid', 'Only drafts and closed activities can be published.', '只能发布草稿或已截止的活动。');
		end if;
		if a.ends_at <= now() then
			perform private.api_error(409, 'activity_over', 'This activity is over.', '该活动已结束。');
		end if;
	elsif new_status = 'closed' then
		if a.status <> 'published' then
			perform private.api_error(409, 'status_invalid', 'Only published activities can be closed.', '只能截止已发布的活动。');
		end if;
	elsif new_status = 'cancelled' then
		if a.status not in ('draft', 'published', 'closed') then
			perform private.api_error(409, 'status_invalid', 'A completed activity cannot be cancelled.', '已结束的活动不能取消。');
		end if;
		if reason is null or char_length(btrim(reason)) not between 1 and 500 then
			perform private.api_error(400, 'reason_invalid', 'Give the reason for cancelling (at most 500 characters).', '请填写取消原因（最多 500 字）。');
		end if;
	end if;
	update private.activities x
	set status = new_status, cancelled_reason = case when new_status = 'cancelled' then btrim(reason) else x.cancelled_reason end
	where x.id = target;
	perform private.audit('activity_' || new_status, jsonb_build_object('activity_id', target, 'reason', reason));
	return private.activity_admin_json(target);
end;
$$;
revoke all on function private.set_activity_status(uuid,text,text) from public, anon;
grant execute on function private.set_activity_status(uuid,text,text) to authenticated, service_role;

-- A copy for next time (by default 364 days later: the same weekday), as a draft, with its
-- sessions; no registrations.
-- Refuses: activity_not_found (404).
create function private.copy_activity(target uuid, shift_days integer) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	a private.activities;
	shift interval := make_interval(days => shift_days);
	new_id uuid;
begin
	select * into a from private.activities x where x.id = target;
	if a.id is null or not private.can_manage_activity(target) then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	insert into private.activities (title, description, category, status, owner_unit_id, starts_at, ends_at, place,
		signup_opens_at, signup_closes_at, cancel_deadline, capacity, admission, waitlist_enabled, guests_max,
		walk_in_allowed, eligible_genders, eligible_member_types, eligible_unit_ids, series, series_limit, questions, created_by)
	values (a.title, a.description, a.category, 'draft', a.owner_unit_id, a.starts_at + shift, a.ends_at + shift, a.place,
		a.signup_opens_at + shift, a.signup_closes_at + shift, a.cancel_deadline + shift, a.capacity, a.admission,
		a.waitlist_enabled, a.guests_max, a.walk_in_allowed, a.eligible_genders, a.eligible_member_types,
		a.eligible_unit_ids, a.series, a.series_limit, a.questions, private.current_member_id())
	returning id into new_id;
	insert into private.sessions (activity_id, label, starts_at, ends_at, capacity)
	select new_id, s.label, s.starts_at + shift, s.ends_at + shift, s.capacity
	from private.sessions s where s.activity_id = target;
	perform private.audit('activity_copied', jsonb_build_object('activity_id', new_id, 'from', target, 'shift_days', shift_days));
	return private.activity_admin_json(new_id);
end;
$$;
revoke all on function private.copy_activity(uuid,integer) from public, anon;
grant execute on function private.copy_activity(uuid,integer) to authenticated, service_role;

-- Sessions for the given days, or for the weekdays (ISO: 1 = Monday … 7 = Sunday) between two
-- dates, from start_time to end_time in the union's time zone, each with `capacity` seats.
-- Days that already have a session at that time are skipped; every session lies inside the
-- activity's times.
-- Refuses: activity_not_found (404), activity_locked (409), session_times_invalid (400),
--  capacity_invalid (400), session_days_invalid (400), session_outside_activity (400).
create function private.generate_sessions(
	target uuid,
	start_time time,
	end_time time,
	capacity integer,
	days date[],
	from_date date,
	to_date date,
	weekdays integer[],
	label text
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	a private.activities;
	tz text := (select s.time_zone from private.union_settings s);
	wanted date[];
	created integer;
begin
	select * into a from private.activities x where x.id = target for update;
	if a.id is null or not private.can_manage_activity(target) then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	if a.status not in ('draft', 'published', 'closed') then
		perform private.api_error(409, 'activity_locked', 'A cancelled or completed activity cannot be changed.', '已取消或已结束的活动不能修改。');
	end if;
	if start_time is null or end_time is null or end_time <= start_time then
		perform private.api_error(400, 'session_times_invalid', 'A session ends after it starts.', '场次结束时间须晚于开始时间。');
	end if;
	if capacity is not null and capacity not between 1 and 100000 then
		perform private.api_error(400, 'capacity_invalid', 'Capacity is 1 to 100000, or empty for no limit.', '名额须为 1 到 100000，或不限。');
	end if;
	if days is not null then
		wanted := array(select distinct d from unnest(days) d where d is not null order by d);
	elsif from_date is not null and to_date is not null and to_date >= from_date and to_date - from_date <= 366 then
		wanted := array(
			select d::date from generate_series(from_date, to_date, interval '1 day') d
			where extract(isodow from d)::integer = any (coalesce(weekdays, array[1, 2, 3, 4, 5]))
		);
	else
		perform private.api_error(400, 'session_days_invalid', 'Give the days, or a range of at most a year.', '请指定日期，或不超过一年的日期范围。');
	end if;
	if cardinality(wanted) = 0 or cardinality(wanted) > 366 then
		perform private.api_error(400, 'session_days_invalid', 'Between 1 and 366 sessions can be made at once.', '一次可生成 1 到 366 个场次。');
	end if;
	if exists (
		select 1 from unnest(wanted) d
		where ((d + start_time) at time zone tz) < a.starts_at or ((d + end_time) at time zone tz) > a.ends_at
	) then
		perform private.api_error(400, 'session_outside_activity', 'Every session must lie within the activity''s times.',
			'场次须在活动时间范围内。');
	end if;
	insert into private.sessions (activity_id, label, starts_at, ends_at, capacity)
	select target, coalesce(label, ''), (d + start_time) at time zone tz, (d + end_time) at time zone tz,
		generate_sessions.capacity
	from unnest(wanted) d
	where not exists (
		select 1 from private.sessions s
		where s.activity_id = target and s.starts_at = (d + start_time) at time zone tz
			and s.ends_at = (d + end_time) at time zone tz
	);
	get diagnostics created = row_count;
	update private.activities x set updated_at = now() where x.id = target;
	perform private.audit('sessions_generated', jsonb_build_object('activity_id', target, 'created', created));
	return private.activity_admin_json(target) || jsonb_build_object('created', created);
end;
$$;
revoke all on function private.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) from public, anon;
grant execute on function private.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) to authenticated, service_role;

-- Refuses: session_not_found (404), capacity_invalid (400), capacity_below_taken (409).
create function private.update_session(target uuid, capacity integer, label text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	s private.sessions;
begin
	select * into s from private.sessions x where x.id = target;
	if s.id is null or not private.can_manage_activity(s.activity_id) then
		perform private.api_error(404, 'session_not_found', 'No such session.', '没有找到这个场次。');
	end if;
	perform 1 from private.activities a where a.id = s.activity_id for update;
	select * into s from private.sessions x where x.id = target;
	if capacity is not null and capacity not between 1 and 100000 then
		perform private.api_error(400, 'capacity_invalid', 'Capacity is 1 to 100000, or empty for no limit.', '名额须为 1 到 100000，或不限。');
	end if;
	if capacity is not null and capacity < s.seats_taken then
		perform private.api_error(409, 'capacity_below_taken',
			format('%s seats of this session are already taken: capacity cannot be lower.', s.seats_taken),
			format('该场次已有 %s 个名额被占用，名额不能低于此数。', s.seats_taken));
	end if;
	update private.sessions x set capacity = update_session.capacity, label = coalesce(update_session.label, x.label)
	where x.id = target;
	update private.activities a set updated_at = now() where a.id = s.activity_id;
	perform private.audit('session_updated', jsonb_build_object('session_id', target, 'capacity', capacity));
	if capacity is null or capacity > coalesce(s.capacity, capacity) then
		perform private.promote_waitlist(s.activity_id);
	end if;
	return private.activity_admin_json(s.activity_id);
end;
$$;
revoke all on function private.update_session(uuid,integer,text) from public, anon;
grant execute on function private.update_session(uuid,integer,text) to authenticated, service_role;

-- Refuses: session_not_found (404), session_not_empty (409).
create function private.delete_session(target uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	s private.sessions;
	taken integer;
begin
	select * into s from private.sessions x where x.id = target;
	if s.id is null or not private.can_manage_activity(s.activity_id) then
		perform private.api_error(404, 'session_not_found', 'No such session.', '没有找到这个场次。');
	end if;
	perform 1 from private.activities a where a.id = s.activity_id for update;
	select count(*) into taken from private.registrations r where r.session_id = target;
	if taken > 0 then
		perform private.api_error(409, 'session_not_empty',
			format('%s registrations (also cancelled ones) name this session: it cannot be deleted.', taken),
			format('该场次有 %s 条报名记录（含已取消），不能删除。', taken));
	end if;
	delete from private.sessions x where x.id = target;
	update private.activities a set updated_at = now() where a.id = s.activity_id;
	perform private.audit('session_deleted', jsonb_build_object('session_id', target, 'activity_id', s.activity_id));
	return private.activity_admin_json(s.activity_id);
end;
$$;
revoke all on function private.delete_session(uuid) from public, anon;
grant execute on function private.delete_session(uuid) to authenticated, service_role;

-- The activities the caller manages, drafts included.
create function private.list_managed_activities() returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select coalesce(jsonb_agg(jsonb_build_object(
		'id', a.id, 'title', a.title, 'category', a.category, 'status', a.status,
		'starts_at', a.starts_at, 'ends_at', a.ends_at, 'owner_unit_id', a.owner_unit_id, 'owner_unit_name', u.name,
		'capacity', a.capacity, 'seats_taken', a.seats_taken, 'admission', a.admission,
		'registered', (select count(*) from private.registrations r where r.activity_id = a.id and r.status = 'registered'),
		'waitlisted', (select count(*) from private.registrations r where r.activity_id = a.id and r.status = 'waitlisted'),
		'pending_approval', (select count(*) from private.registrations r where r.activity_id = a.id and r.status = 'pending_approval'),
		'version', a.version
	) order by a.starts_at desc, a.title), '[]'::jsonb)
	from private.activities a
	join private.units u on u.id = a.owner_unit_id
	where private.is_office() or u.ancestors && private.scope_unit_ids(array['organizer'])
$$;
revoke all on function private.list_managed_activities() from public, anon;
grant execute on function private.list_managed_activities() to authenticated, service_role;

-- Refuses: not_allowed (403).
create function public.save_activity(activity jsonb) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.is_office() and cardinality(private.scope_unit_ids(array['organizer'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only the union office and organizers can edit activities.', '只有工会办公室和工会干事可以编辑活动。');
	end if;
	return private.save_activity(activity);
end;
$$;
revoke all on function public.save_activity(jsonb) from public, anon;
grant execute on function public.save_activity(jsonb) to authenticated, service_role;

create function public.get_activity_admin(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(get_activity_admin.activity_id);
	return private.activity_admin_json(get_activity_admin.activity_id);
end;
$$;
revoke all on function public.get_activity_admin(uuid) from public, anon;
grant execute on function public.get_activity_admin(uuid) to authenticated, service_role;

-- Refuses: not_allowed (403).
create function public.list_managed_activities() returns jsonb
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
	return private.list_managed_activities();
end;
$$;
revoke all on function public.list_managed_activities() from public, anon;
grant execute on function public.list_managed_activities() to authenticated, service_role;

create function public.publish_activity(activity_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(publish_activity.activity_id);
	return private.set_activity_status(publish_activity.activity_id, 'published', null);
end;
$$;
revoke all on function public.publish_activity(uuid) from public, anon;
grant execute on function public.publish_activity(uuid) to authenticated, service_role;

create function public.close_activity(activity_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(close_activity.activity_id);
	return private.set_activity_status(close_activity.activity_id, 'closed', null);
end;
$$;
revoke all on function public.close_activity(uuid) from public, anon;
grant execute on function public.close_activity(uuid) to authenticated, service_role;

create function public.cancel_activity(activity_id uuid, reason text) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(cancel_activity.activity_id);
	return private.set_activity_status(cancel_activity.activity_id, 'cancelled', reason);
end;
$$;
revoke all on function public.cancel_activity(uuid,text) from public, anon;
grant execute on function public.cancel_activity(uuid,text) to authenticated, service_role;

-- Refuses: shift_invalid (400).
create function public.copy_activity(activity_id uuid, shift_days integer default 364) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(copy_activity.activity_id);
	if shift_days is null or shift_days not between -3660 and 3660 then
		perform private.api_error(400, 'shift_invalid', 'Shift by at most ten years.', '平移天数最多十年。');
	end if;
	return private.copy_activity(copy_activity.activity_id, shift_days);
end;
$$;
revoke all on function public.copy_activity(uuid,integer) from public, anon;
grant execute on function public.copy_activity(uuid,integer) to authenticated, service_role;

create function public.generate_sessions(
	activity_id uuid,
	start_time time,
	end_time time,
	capacity integer default null,
	days date[] default null,
	from_date date default null,
	to_date date default null,
	weekdays integer[] default '{1,2,3,4,5}',
	label text default ''
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(generate_sessions.activity_id);
	return private.generate_sessions(generate_sessions.activity_id, start_time, end_time, generate_sessions.capacity,
		days, from_date, to_date, weekdays, generate_sessions.label);
end;
$$;
revoke all on function public.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) from public, anon;
grant execute on function public.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) to authenticated, service_role;

create function public.update_session(session_id uuid, capacity integer, label text default null) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.update_session(update_session.session_id, update_session.capacity, update_session.label);
end;
$$;
revoke all on function public.update_session(uuid,integer,text) from public, anon;
grant execute on function public.update_session(uuid,integer,text) to authenticated, service_role;

create function public.delete_session(session_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.delete_session(delete_session.session_id);
end;
$$;
revoke all on function public.delete_session(uuid) from public, anon;
grant execute on function public.delete_session(uuid) to authenticated, service_role;
