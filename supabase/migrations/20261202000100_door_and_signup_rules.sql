-- Door and sign-up rules (issue 14: R1–R4, R15 v).
--
-- R4  The series limit holds under concurrency: every path that admits a member into an activity
--     of a series (sign_up, and through it the member, 代报名 and the office; walk-ins) takes a
--     transaction lock on (member, series) BEFORE it counts the member's registrations in the
--     series and before it locks the activity's row. Lock order, everywhere: the (member, series)
--     locks, sorted by key, then activity rows. Paths that admit several members in one
--     transaction (on_behalf, a batch of actions) take all their (member, series) locks first.
--     Waitlist promotion, approval and the lottery only move registrations between the statuses
--     the limit already counts, so they take none.

-- ===========================================================================================
-- Section: R4 the (member, series) lock
-- ===========================================================================================

-- The advisory-lock key of (member, series). A hash collision only serialises two unrelated
-- sign-ups a little; it never lets one through.
create function private.member_series_key(member uuid, series text) returns bigint
language plpgsql
immutable
set search_path = ''
as $$
begin
	return hashtextextended('member-series:' || series || ':' || member::text, 0);
end;
$$;

-- Takes the (member, series) locks of the given members in one series, in key order (the order
-- every path uses, so two transactions never wait for each other in a circle). Held until the
-- transaction ends; taking one already held is free.
create function private.lock_member_series(members uuid[], series text) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
	key bigint;
begin
	if series is null then
		return;
	end if;
	for key in
		select distinct private.member_series_key(m, series) as k from unnest(members) m where m is not null order by k
	loop
		perform pg_advisory_xact_lock(key);
	end loop;
end;
$$;

-- Refuses when `member` has reached the activity's series limit; takes the (member, series) lock
-- first, so the count stays true until the transaction ends (no concurrent admission into the
-- series for this member can slip in between the count and the insert).
create function private.check_series_limit(activity private.activities, member uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
	taken_in_series integer;
begin
	if activity.series is null then
		return;
	end if;
	-- Also without a limit here: another activity of the series may have one and count this one.
	perform private.lock_member_series(array[member], activity.series);
	if activity.series_limit is null then
		return;
	end if;
	select count(*) into taken_in_series
	from private.registrations r join private.activities a on a.id = r.activity_id
	where r.member_id = member and a.series = activity.series and a.id <> activity.id
		and r.status in ('registered', 'waitlisted', 'pending_approval');
	if taken_in_series >= activity.series_limit then
		perform private.api_error(409, 'series_limit_reached',
			format('You can take part in at most %s activities of this series.', activity.series_limit),
			format('本系列活动每人最多参加 %s 项。', activity.series_limit));
	end if;
end;
$$;

-- ===========================================================================================
-- Section: R4 sign-up (live body from 20261123000900, the series check moved to the helper)
-- ===========================================================================================

-- Signs `member` up for an activity under every rule; `source` and `made_by` record who did it
-- (the member, a liaison, the office). Returns {outcome, existing, registration}. A repeated
-- request with the same choices returns the existing registration (a double tap makes one).
--
-- The rules are checked in the same order as before, first without the lock. Then the activity's
-- row is locked (the lock that serialises every change to its seats) and read again with the
-- member's registration and the chosen session: when a rule input changed in between, the checks
-- run again on the locked rows, so every answer is one the rules give on the locked state.
create or replace function private.sign_up(
	target_activity uuid,
	member uuid,
	session uuid,
	guest_names text[],
	answers jsonb,
	source text,
	made_by uuid
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	locked private.activities;
	chosen private.sessions;
	chosen_now private.sessions;
	existing private.registrations;
	existing_now private.registrations;
	under_lock boolean := false;
	guests text[];
	reason text;
	bad_answer text;
	need integer;
	new_status text;
	registration_id uuid;
begin
	select * into activity from private.activities a where a.id = target_activity;
	loop
		if activity.id is null or activity.status = 'draft' then
			perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
		end if;

		select * into existing from private.registrations r
		where r.activity_id = target_activity and r.member_id = member;
		guests := private.clean_guest_names(guest_names, activity.guests_max);
		answers := coalesce(answers, '{}'::jsonb);

		if existing.id is not null and existing.status not in ('cancelled', 'rejected') then
			if existing.session_id is not distinct from session
				and existing.guest_names = guests and existing.answers = answers then
				return jsonb_build_object('outcome', existing.status, 'existing', true,
					'registration', private.registration_json(existing.id));
			end if;
			perform private.api_error(409, 'already_registered',
				'You have already signed up for this activity. Cancel first to change it.',
				'您已报名此活动。如需修改，请先取消报名。');
		end if;

		if existing.status = 'rejected' then
			-- An organizer's decision (or the lottery) stands: asking again does not undo it.
			perform private.api_error(409, 'registration_rejected',
				'Your registration for this activity was not admitted.', '您的报名未获通过。');
		end if;
		if activity.status = 'cancelled' then
			perform private.api_error(409, 'activity_cancelled', 'This activity has been cancelled.', '该活动已取消。');
		end if;
		if activity.status <> 'published' then
			perform private.api_error(409, 'signup_closed', 'Sign-up for this activity has closed.', '该活动报名已截止。');
		end if;
		if activity.signup_opens_at is not null and now() < activity.signup_opens_at then
			perform private.api_error(409, 'signup_not_open', 'Sign-up has not opened yet.', '报名尚未开始。');
		end if;
		if (activity.signup_closes_at is not null and now() >= activity.signup_closes_at)
			or now() >= activity.starts_at then
			perform private.api_error(409, 'signup_closed', 'Sign-up for this activity has closed.', '该活动报名已截止。');
		end if;

		reason := private.ineligibility_reason(target_activity, member);
		if reason is not null then
			perform private.api_error(403, 'ineligible_' || reason,
				case reason
					when 'gender' then 'This activity is for ' || array_to_string(activity.eligible_genders, ', ') || ' members only.'
					when 'member_type' then 'This activity is not open to your member type.'
					when 'unit' then 'This activity is only for members of certain units.'
					else 'Only members on the union roster can sign up.'
				end,
				case reason
					when 'gender' then case when activity.eligible_genders = array['female'] then '该活动仅限女职工参加。' else '该活动仅限男职工参加。' end
					when 'member_type' then '该活动不面向您的人员类别。'
					when 'unit' then '该活动仅限指定单位的会员参加。'
					else '只有工会名册中的会员才能报名。'
				end);
		end if;

		-- Sessions: required when the activity has any, and must be one of its own.
		chosen := null;
		if session is not null then
			select * into chosen from private.sessions s where s.id = session and s.activity_id = target_activity;
			if chosen.id is null then
				perform private.api_error(400, 'session_invalid', 'Please choose one of this activity''s sessions.', '请选择本活动的场次。');
			end if;
		elsif exists (select 1 from private.sessions s where s.activity_id = target_activity) then
			perform private.api_error(400, 'session_required', 'Please choose a session.', '请选择场次。');
		end if;

		bad_answer := private.invalid_answer(activity.questions, answers);
		if bad_answer is not null then
			perform private.api_error(400, 'answer_invalid',
				'Please answer the questions of the form correctly (' || bad_answer || ').',
				'请正确填写报名问题（' || bad_answer || '）。');
		end if;

		-- R4: under the (member, series) lock, taken before the activity's row lock below. Should the
		-- series change while this waits for the row lock, the second round takes the new series'
		-- lock after the row lock: out of the usual order, but only in that rare case.
		perform private.check_series_limit(activity, member);

		exit when under_lock;

		-- The lock that serialises every change to this activity's seats (and to its sessions).
		select * into locked from private.activities a where a.id = target_activity for update;
		under_lock := true;
		select * into existing_now from private.registrations r
		where r.activity_id = target_activity and r.member_id = member;
		if session is not null then
			select * into chosen_now from private.sessions s where s.id = session and s.activity_id = target_activity;
		end if;
		-- Every input of the checks above, as it is now; the seats and the version are expected to
		-- change and are read below from the locked row.
		if (locked.id, locked.status, locked.starts_at, locked.signup_opens_at, locked.signup_closes_at,
				locked.guests_max, locked.eligible_genders, locked.eligible_member_types,
				locked.eligible_unit_ids, locked.questions, locked.series, locked.series_limit)
			is not distinct from
			(activity.id, activity.status, activity.starts_at, activity.signup_opens_at, activity.signup_closes_at,
				activity.guests_max, activity.eligible_genders, activity.eligible_member_types,
				activity.eligible_unit_ids, activity.questions, activity.series, activity.series_limit)
			and (existing_now.id, existing_now.status, existing_now.session_id, existing_now.guest_names,
				existing_now.answers)
			is not distinct from
			(existing.id, existing.status, existing.session_id, existing.guest_names, existing.answers)
			and (case when session is not null then chosen_now.id is not null
				else not exists (select 1 from private.sessions s where s.activity_id = target_activity) end)
		then
			activity := locked;
			existing := existing_now;
			chosen := chosen_now;
			exit;
		end if;
		-- Something changed meanwhile: check everything again, on the locked rows.
		activity := locked;
	end loop;

	-- Admission: approval and lottery wait for a decision; first come takes a seat if one is free
	-- (in the activity and in the session), else the waitlist, else it is full.
	need := 1 + cardinality(guests);
	if activity.admission in ('approval', 'lottery') then
		new_status := 'pending_approval';
	elsif (activity.capacity is null or activity.capacity - activity.seats_taken >= need)
		and (chosen.id is null or chosen.capacity is null or chosen.capacity - chosen.seats_taken >= need)
		and not exists (
			-- Nobody overtakes the queue: while people wait, newcomers join the end.
			select 1 from private.registrations w
			where w.activity_id = target_activity and w.status = 'waitlisted'
				and (chosen.id is null or w.session_id is not distinct from chosen.id)
		) then
		new_status := 'registered';
	elsif activity.waitlist_enabled then
		new_status := 'waitlisted';
	else
		perform private.api_error(409, 'full', 'This activity is full.', '名额已满。');
	end if;

	if existing.id is not null then
		-- Signing up again after cancelling: a new place in the queue and a new ticket.
		update private.registrations r
		set status = new_status, session_id = session, guest_names = guests, answers = sign_up.answers,
			source = sign_up.source, made_by = sign_up.made_by, queued_at = clock_timestamp(),
			generation = r.generation + 1,
			cancelled_at = null, decided_at = null, decided_by = null,
			ticket_secret = translate(rtrim(encode(extensions.gen_random_bytes(18), 'base64'), '='), '+/', '-_')
		where r.id = existing.id
		returning r.id into registration_id;
	else
		insert into private.registrations
			(activity_id, member_id, session_id, status, guest_names, answers, source, made_by)
		values (target_activity, member, session, new_status, guests, answers, source, made_by)
		returning id into registration_id;
	end if;

	return jsonb_build_object('outcome', new_status, 'existing', false,
		'registration', private.registration_json(registration_id));
end;
$$;

-- ===========================================================================================
-- Section: R4 signing colleagues up: every member's (member, series) lock first
-- ===========================================================================================

-- Live body from 20261123000800; new: the (member, series) locks of all the members, in key
-- order, before the first sign-up locks the activity's row (otherwise the second member's lock
-- would be taken while this transaction holds the row, the reverse of a lone sign-up's order).
create or replace function private.on_behalf(
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
begin
	if not cancel then
		perform private.lock_member_series(member_ids,
			(select a.series from private.activities a where a.id = target_activity));
	end if;
	foreach target_member in array (select array_agg(distinct x) from unnest(member_ids) x) loop
		select * into member from private.members m where m.id = target_member;
		if member.id is null or not (office or private.unit_in_scope(member.unit_id, array['organizer', 'liaison'])) then
			results := results || jsonb_build_object('member_id', target_member, 'name', null, 'status', 'rejected', 'code', 'member_not_in_scope');
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
			get stacked diagnostics err_code = message_text, err_state = returned_sqlstate;
			if err_state not like 'PT%' then
				raise;
			end if;
			results := results || jsonb_build_object('member_id', member.id, 'name', member.name,
				'status', 'rejected', 'code', err_code, 'outcome', null, 'registration_id', null);
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

-- ===========================================================================================
-- Section: R4 a batch of actions: its (member, series) locks first
-- ===========================================================================================

-- Live body from 20261123000900; new: before the actions are applied one by one, the
-- (member, series) locks of every sign-up and walk-in in the batch, in key order (the fast path
-- takes check-ins only, which admit nobody).
-- Applies a batch of at most 50 actions of the caller's, in the phone's sequence order, one
-- savepoint each, so one bad action never blocks the rest. A transient error (lock timeout,
-- serialization, deadlock) marks that action and all after it `retry`: nothing overtakes it.
-- The check-in scope of an activity (who the caller is, whether they may check in there, its
-- days) is worked out once per batch: no action kind changes it.
create or replace function private.apply_actions(device text, sent_at timestamptz, actions jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	caller uuid := private.require_user();
	action jsonb;
	action_id uuid;
	well_formed boolean;
	results jsonb := '[]'::jsonb;
	halted boolean := false;
	skewed boolean := sent_at is not null and abs(extract(epoch from now() - sent_at)) > 300;
	activity_text text;
	scope_known boolean := false;
	scope_activity uuid;
	staff uuid;
	may_check_in boolean;
	days date[];
	fast jsonb;
	halt_code text;
	series_key bigint;
begin
	if device is null or char_length(device) not between 1 and 64 then
		perform private.api_error(400, 'device_invalid', 'A device id of 1 to 64 characters is required.', '缺少有效的设备编号。');
	end if;
	if jsonb_typeof(actions) is distinct from 'array' then
		perform private.api_error(400, 'actions_invalid', 'Actions must be a list.', '操作列表格式不正确。');
	end if;
	if jsonb_array_length(actions) > 50 then
		perform private.api_error(413, 'batch_too_large', 'At most 50 actions per request.', '每次最多提交 50 条操作。');
	end if;

	-- A batch of check-ins at one activity (what an organizer's phone uploads): all at once when
	-- it is the plain case private.apply_checkin_batch describes, else one by one below.
	activity_text := actions #>> '{0,payload,activity_id}';
	if activity_text ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
		and not exists (
			select 1 from jsonb_array_elements(actions) x
			where x.value ->> 'kind' is distinct from 'check_in'
				or x.value #>> '{payload,activity_id}' is distinct from activity_text
		) then
		begin
			scope_activity := activity_text::uuid;
			staff := private.current_member_id();
			may_check_in := private.can_check_in(scope_activity);
			days := private.activity_days(scope_activity);
			scope_known := true;
			fast := private.apply_checkin_batch(caller, device, actions, skewed, scope_activity, staff,
				may_check_in, days);
		exception
			when query_canceled then
				-- Cancelled (statement timeout): nothing was applied; every action is to be retried.
				halted := true;
				halt_code := sqlstate;
			when others then
				-- Not the plain case after all: rolled back, applied one by one.
				fast := null;
		end;
		if fast is not null then
			return jsonb_build_object('server_time', now(), 'results', fast);
		end if;
	end if;

	for series_key in
		-- Malformed ids name nothing here (the CASEs keep a cast from failing); the action answers.
		select distinct private.member_series_key(w.member_id, a.series) as k
		from (
			select case when x.value #>> '{payload,activity_id}' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
					then (x.value #>> '{payload,activity_id}')::uuid end as activity_id,
				case when x.value ->> 'kind' = 'signup' then private.current_member_id()
					when x.value #>> '{payload,member_id}' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
					then (x.value #>> '{payload,member_id}')::uuid end as member_id
			from jsonb_array_elements(actions) x
			where x.value ->> 'kind' in ('signup', 'walk_in')
		) w
		join private.activities a on a.id = w.activity_id
		where a.series is not null and w.member_id is not null
		order by k
	loop
		perform pg_advisory_xact_lock(series_key);
	end loop;

	for action in
		select value from jsonb_array_elements(actions)
		order by case when jsonb_typeof(value -> 'seq') = 'number' then (value ->> 'seq')::numeric end nulls first
	loop
		-- An action that cannot even be named is answered without touching the ledger. Any cast
		-- that fails on a malformed field lands in the handler.
		begin
			action_id := (action ->> 'id')::uuid;
			well_formed := action_id is not null
				and jsonb_typeof(action -> 'kind') = 'string' and char_length(action ->> 'kind') <= 40
				and jsonb_typeof(action -> 'seq') = 'number'
				and (action ->> 'seq')::numeric between 0 and 9007199254740991
				and (action ->> 'seq')::numeric = trunc((action ->> 'seq')::numeric)
				and jsonb_typeof(action -> 'v') = 'number' and (action ->> 'v')::numeric between 1 and 1000
				and coalesce(jsonb_typeof(action -> 'payload'), 'object') = 'object'
				and ((action ->> 'client_at')::timestamptz is not null or true);
		exception when others then
			well_formed := false;
		end;
		if not well_formed then
			results := results || jsonb_build_array(jsonb_build_object(
				'id', left(action ->> 'id', 64), 'status', 'rejected', 'code', 'malformed', 'warnings', '[]'::jsonb));
			continue;
		end if;
		if halted then
			results := results || jsonb_build_array(jsonb_build_object(
				'id', action_id, 'status', 'retry', 'code', coalesce(halt_code, 'halted'), 'warnings', '[]'::jsonb));
			halt_code := null;
			continue;
		end if;
		begin
			-- The check-in scope, for a check-in kind naming its activity by a well-formed uuid (any
			-- other activity_id is left to the action, which answers for it as before).
			activity_text := action #>> '{payload,activity_id}';
			if action ->> 'kind' in ('check_in', 'walk_in', 'undo_check_in')
				and activity_text ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
				and (not scope_known or activity_text::uuid <> scope_activity) then
				scope_activity := activity_text::uuid;
				staff := private.current_member_id();
				may_check_in := private.can_check_in(scope_activity);
				days := private.activity_days(scope_activity);
				scope_known := true;
			end if;
			results := results || jsonb_build_array(private.apply_action_scoped(caller, device, action, skewed,
				case when scope_known then scope_activity end, staff, may_check_in, days));
		exception
			when serialization_failure or deadlock_detected or lock_not_available or query_canceled then
				halted := true;
				results := results || jsonb_build_array(jsonb_build_object(
					'id', action_id, 'status', 'retry', 'code', sqlstate, 'warnings', '[]'::jsonb));
			when others then
				-- A bug, not the user's doing: answered (not stored, so a fixed server applies it later)
				-- and logged, and it never blocks the actions after it.
				raise warning 'apply_actions: action % failed: % %', action_id, sqlstate, sqlerrm;
				results := results || jsonb_build_array(jsonb_build_object(
					'id', action_id, 'status', 'rejected', 'code', 'internal', 'warnings', '[]'::jsonb));
		end;
	end loop;

	return jsonb_build_object('server_time', now(), 'results', results);
end;
$$;

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.member_series_key(uuid, text),
	private.lock_member_series(uuid[], text),
	private.check_series_limit(private.activities, uuid)
from public, anon;
grant execute on function
	private.member_series_key(uuid, text),
	private.lock_member_series(uuid[], text),
	private.check_series_limit(private.activities, uuid)
to authenticated, service_role;
