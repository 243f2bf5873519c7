-- Door and sign-up rules (issue 14: R1–R4, R15 v).
--
-- R4  The series limit holds under concurrency: every path that admits a member into an activity
--     of a series (sign_up, and through it the member, 代报名 and the office; walk-ins) takes a
--     transaction lock on (member, series) BEFORE it counts the member's registrations in the
--     series and before it locks the activity's row. Lock order, everywhere: the (member, series)
--     locks, sorted by key, then activity rows. Paths that admit several members in one
--     transaction (on_behalf, a batch of actions) take all their (member, series) locks first
--     (private.on_behalf is redefined once, in 20261202000200_liaison.sql, with those locks).
--     Waitlist promotion, approval and the lottery only move registrations between the statuses
--     the limit already counts, so they take none.
-- R1  A registration for a session is checked in on its session's day (union time) only, on both
--     check-in paths (private.apply_checkin_scoped and the set-based private.apply_checkin_batch):
--     otherwise `wrong_day`, naming the session. Organizers may override (payload override_day),
--     flagged `other_day` for review; check-in staff get `override_not_allowed`. The counter's
--     `admitted` and session lines count only the people expected that day.
-- R2  A walk-in obeys what sign-up obeys, through the same helpers (private.check_eligible,
--     private.check_series_limit, private.seat_free): an organizer's rejection stands
--     (registration_rejected), only the activity's population (ineligible_*), the series limit
--     (series_limit_reached), a free seat nobody waits for (full); approval and lottery activities
--     take no walk-ins (approval_required).
-- R3  The walk-in member search answers only where walk-ins are allowed (walk_in_not_allowed),
--     lists only the activity's eligible population, and counts each caller's searches: at most
--     30 a minute (429 rate_limited, private.rate_limits); minimum query and the cap of 10 stay.
-- R15 (v) The set-based path of apply_actions accepted "v":"1" (a string) that the one-by-one path
--     refuses as malformed; now both refuse it.

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
-- Section: R2 the rules sign-up and walk-in share
-- ===========================================================================================

-- Refuses a member outside the activity's population (gender, member type, units, on the roster).
create function private.check_eligible(activity private.activities, member uuid) returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	reason text := private.ineligibility_reason(activity.id, member);
begin
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
end;
$$;

-- Whether `need` seats are free now in the activity and in the chosen session (if any), with
-- nobody waiting for them: while people wait, newcomers join the end of the queue. The caller
-- holds the activity's row lock and passes the locked row.
create function private.seat_free(activity private.activities, chosen private.sessions, need integer)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
	return (activity.capacity is null or activity.capacity - activity.seats_taken >= need)
		and (chosen.id is null or chosen.capacity is null or chosen.capacity - chosen.seats_taken >= need)
		and not exists (
			select 1 from private.registrations w
			where w.activity_id = activity.id and w.status = 'waitlisted'
				and (chosen.id is null or w.session_id is not distinct from chosen.id)
		);
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

		perform private.check_eligible(activity, member);

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
	elsif private.seat_free(activity, chosen, need) then
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
-- Section: R1 a session's booking is checked in on its session's day
-- ===========================================================================================

-- What a wrong-day verdict says about the ticket's session: its day (union time) and start.
create function private.session_entity(booked private.sessions) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
	return jsonb_build_object('session_id', booked.id, 'session_label', booked.label,
		'session_starts_at', booked.starts_at,
		'session_day', (booked.starts_at at time zone (select u.time_zone from private.union_settings u))::date);
end;
$$;

-- Live body from 20261123000900; new (R1): a registration for a session of another day than the
-- check-in day is refused `wrong_day` (with the session in the entity), unless an organizer
-- overrides it (payload override_day), then applied and flagged `other_day`.
create or replace function private.apply_checkin_scoped(
	action_id uuid,
	kind text,
	payload jsonb,
	device text,
	device_seq bigint,
	device_time timestamptz,
	clock_skew boolean,
	staff uuid,
	may_check_in boolean,
	days date[]
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	target uuid := (payload ->> 'activity_id')::uuid;
	activity private.activities;
	registration private.registrations;
	member private.members;
	unit_name text;
	on_day date;
	flags text[] := case when clock_skew then array['clock_skew'] else '{}' end;
	warnings text[] := '{}';
	check_kind text;
	guests integer;
	first jsonb;
	targets uuid[];
	live integer;
	booked private.sessions;
	booked_day date;
begin
	select * into activity from private.activities a where a.id = target;
	if activity.id is null or not may_check_in then
		-- A12/A13: only staff of this activity; nothing about the activity is revealed.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_staff');
	end if;

	if kind = 'undo_check_in' then
		select coalesce(array_agg(distinct t), '{}') into targets
		from jsonb_array_elements_text(coalesce(payload -> 'target_ids', '[]'::jsonb)) t;
		if cardinality(targets) = 0 or cardinality(targets) > 50 then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
		end if;
		-- The targets that count now: private.live_check_ins(target) restricted to `targets`,
		-- looked up by id instead of listing the activity's whole log.
		select count(*) into live
		from private.check_ins c
		where c.id = any (targets) and c.activity_id = target and c.kind <> 'undo'
			and not exists (
				select 1 from private.check_ins u
				where u.activity_id = target and u.kind = 'undo' and c.id = any (u.undoes)
			)
			and not exists (
				select 1 from private.check_in_reviews r
				where r.check_in_id = c.id and r.decision = 'reversed'
					and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
			);
		-- Kept even when nothing is live yet: an undo that overtakes its check-in still wins.
		insert into private.check_ins (id, activity_id, day, kind, undoes, device_id, device_seq, device_time, recorded_by, flags)
		values (action_id, target,
			coalesce((payload ->> 'day')::date, (now() at time zone (select s.time_zone from private.union_settings s))::date),
			'undo', targets,
			device, device_seq, device_time, staff, flags);
		return jsonb_build_object('id', action_id,
			'status', case when live > 0 then 'applied' else 'noop' end,
			'code', case when live > 0 then 'undone' else 'nothing_to_undo' end);
	end if;

	on_day := coalesce((payload ->> 'day')::date,
		(now() at time zone (select s.time_zone from private.union_settings s))::date);
	if not (on_day = any (days)) then
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_day');
	end if;
	if activity.status in ('cancelled', 'draft') then
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'activity_cancelled');
	end if;

	if kind = 'walk_in' then
		if not activity.walk_in_allowed then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'walk_in_not_allowed');
		end if;
		select * into member from private.members m where m.id = (payload ->> 'member_id')::uuid;
		if member.id is null then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'member_unknown');
		end if;
		select * into registration from private.registrations r
		where r.activity_id = target and r.member_id = member.id;
		if registration.id is null or registration.status in ('cancelled', 'rejected') then
			-- R2: registration and check-in as one action, under sign-up's rules (private.sign_up)
			-- but for the sign-up window and the session: an organizer's rejection stands, only the
			-- activity's population, the series limit, and only a free seat nobody waits for.
			if registration.status = 'rejected' then
				perform private.api_error(409, 'registration_rejected',
					'This member''s registration was not admitted by the organizers.', '该会员的报名未获通过。');
			end if;
			if activity.admission in ('approval', 'lottery') then
				perform private.api_error(409, 'approval_required',
					'The organizers decide who takes part in this activity: no walk-ins.', '本活动由组织者审核或抽签，不能现场报名。');
			end if;
			perform private.check_eligible(activity, member.id);
			-- R4: the (member, series) lock before the activity's row lock.
			perform private.check_series_limit(activity, member.id);
			select * into activity from private.activities a where a.id = target for update;
			guests := least(greatest(coalesce((payload ->> 'guests')::integer, 0), 0), activity.guests_max);
			if not private.seat_free(activity, null, 1 + guests) then
				return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'full');
			end if;
			if registration.id is null then
				insert into private.registrations (activity_id, member_id, status, guest_names, source, made_by)
				values (target, member.id, 'registered',
					array(select '家属' || g from generate_series(1, guests) g), 'walk_in', staff)
				returning * into registration;
			else
				update private.registrations r
				set status = 'registered', source = 'walk_in', made_by = staff, generation = r.generation + 1,
					session_id = null, queued_at = clock_timestamp(), decided_at = null, decided_by = null,
					cancelled_at = null,
					guest_names = array(select '家属' || g from generate_series(1, guests) g),
					ticket_secret = translate(rtrim(encode(extensions.gen_random_bytes(18), 'base64'), '='), '+/', '-_')
				where r.id = registration.id
				returning * into registration;
			end if;
		end if;
		check_kind := 'walk_in';
	elsif payload ? 'ticket' then
		-- A15: canonicalised once (trimmed; a ticket URL reduced to its secret), then compared exactly.
		select * into registration from private.registrations r
		where r.ticket_secret = regexp_replace(btrim(payload ->> 'ticket', E' \t\r\n'), '^.*/t/', '');
		if registration.id is null then
			if coalesce((payload ->> 'provisional')::boolean, false) then
				-- A14: accepting an unknown ticket is the organizers' call, not check-in staff's.
				if not private.can_manage_activity(target) then
					return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'provisional_not_allowed');
				end if;
				-- Invariant 7: accepted only provisionally, flagged for the office to review.
				insert into private.check_ins (id, activity_id, day, kind, device_id, device_seq, device_time,
					recorded_by, flags)
				values (action_id, target, on_day, 'provisional', device, device_seq, device_time, staff,
					flags || array['provisional', 'ticket_unknown']);
				return jsonb_build_object('id', action_id, 'status', 'applied', 'code', 'provisional',
					'warnings', '["provisional"]'::jsonb);
			end if;
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'ticket_unknown');
		end if;
		if registration.activity_id <> target then
			-- A4: another activity's ticket; nothing about that activity is revealed.
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_activity');
		end if;
		check_kind := 'scan';
	elsif payload ? 'registration_id' then
		-- By hand (name, 工号 or phone suffix looked up in the roster): a staff decision, recorded.
		select * into registration from private.registrations r
		where r.id = (payload ->> 'registration_id')::uuid and r.activity_id = target;
		if registration.id is null then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'registration_unknown');
		end if;
		check_kind := 'manual';
	else
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
	end if;

	if registration.status not in ('registered', 'cancelled') then
		-- A9: waitlisted, pending or rejected registrations are not admitted.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_admitted',
			'entity', jsonb_build_object('registration_status', registration.status));
	end if;
	-- R1: a booking of a session admits on that session's day (union time) only. An organizer may
	-- admit it anyway (override_day), flagged for the office to review; check-in staff may not.
	select * into booked from private.sessions s where s.id = registration.session_id;
	booked_day := (booked.starts_at at time zone (select u.time_zone from private.union_settings u))::date;
	if booked_day is not null and booked_day <> on_day then
		if not coalesce((payload ->> 'override_day')::boolean, false) then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_day',
				'entity', private.session_entity(booked));
		end if;
		if not private.can_manage_activity(target) then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'override_not_allowed',
				'entity', private.session_entity(booked));
		end if;
		flags := flags || array['other_day'];
		warnings := warnings || array['other_day'];
	end if;
	if registration.status = 'cancelled' then
		-- Offline scans are facts: the person is at the door with a ticket that was cancelled after
		-- the phone's roster download. Recorded and flagged for review.
		flags := flags || array['registration_cancelled'];
		warnings := warnings || array['registration_cancelled'];
	end if;

	select * into member from private.members m where m.id = registration.member_id;
	select u.name into unit_name from private.units u where u.id = member.unit_id;
	guests := least(greatest(coalesce((payload ->> 'guests')::integer, cardinality(registration.guest_names)), 0),
		cardinality(registration.guest_names));
	first := private.first_check_in(target, member.id, on_day, action_id);
	if first is not null then
		-- A5/T25: counted once; the scan is kept, with a warning naming the first one.
		flags := flags || case when first ->> 'device_id' <> device then array['duplicate_other_device'] else array['duplicate'] end;
		warnings := warnings || array['duplicate_scan'];
	end if;

	insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
		guests_checked_in, device_id, device_seq, device_time, recorded_by, flags)
	values (action_id, target, registration.id, member.id, registration.session_id, on_day, check_kind,
		guests, device, device_seq, device_time, staff, flags);

	return jsonb_build_object('id', action_id, 'status', 'applied',
		'code', case when first is not null then 'already_checked_in' else 'checked_in' end,
		'warnings', to_jsonb(warnings),
		'entity', jsonb_build_object('member_id', member.id, 'name', member.name,
			'unit_name', unit_name,
			'registration_id', registration.id, 'guests_checked_in', guests, 'day', on_day,
			'first_check_in', first));
end;
$$;

-- Live body from 20261123000900; new (R1): the same session-day rule in the set-based path
-- (refused `wrong_day` with the same entity); an action with override_day goes one by one.
-- New (R15): `v` must be the number 1, as on the one-by-one path.
create or replace function private.apply_checkin_batch(
	caller uuid,
	device text,
	actions jsonb,
	clock_skew boolean,
	target uuid,
	staff uuid,
	may_check_in boolean,
	days date[]
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	zone text := (select u.time_zone from private.union_settings u);
	today date;
	planned jsonb;
	plain boolean;
	written integer;
begin
	select * into activity from private.activities a where a.id = target;
	if activity.id is null or may_check_in is not true or activity.status in ('cancelled', 'draft')
		or jsonb_typeof(actions) <> 'array' or jsonb_array_length(actions) = 0 then
		return null;
	end if;
	today := (now() at time zone zone)::date;

	-- Each action as private.apply_action_scoped and private.apply_checkin_scoped would apply it.
	with input as (
		select x.value as action, x.value -> 'payload' as payload
		from jsonb_array_elements(actions) x
	),
	shaped as (
		select i.*,
			jsonb_typeof(i.action) = 'object'
				and i.action ->> 'id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
				and i.action -> 'kind' = '"check_in"'::jsonb
				-- R15: the number 1 only, as the one-by-one path's well-formedness check (a string
				-- "1" is malformed there; here it makes the batch go one by one).
				and jsonb_typeof(i.action -> 'v') = 'number' and i.action ->> 'v' = '1'
				and jsonb_typeof(i.action -> 'seq') = 'number' and i.action ->> 'seq' ~ '^[0-9]{1,15}$'
				and i.action ->> 'user_id' = caller::text
				and jsonb_typeof(i.payload) = 'object'
				and i.payload ->> 'activity_id' = target::text
				and (i.payload ? 'ticket' or i.payload ? 'registration_id')
				-- R1: an organizer's override of the session day is applied one by one.
				and not (i.payload ? 'override_day') as plain
		from input i
	),
	parsed as (
		select s.action, s.payload,
			(s.action ->> 'id')::uuid as id,
			(s.action ->> 'seq')::bigint as seq,
			(s.action ->> 'client_at')::timestamptz as client_at,
			coalesce((s.payload ->> 'day')::date, today) as on_day
		from shaped s
		where s.plain
	),
	found as (
		select p.*, p.payload ? 'ticket' as by_ticket,
			r.id as registration_id, r.activity_id as registration_activity, r.member_id as registration_member,
			r.session_id, r.status as registration_status, r.guest_names,
			booked as booked, (booked.starts_at at time zone zone)::date as booked_day
		from parsed p
		left join lateral (
			-- A15: canonicalised once (trimmed; a ticket URL reduced to its secret), then compared exactly.
			select x.* from private.registrations x
			where p.payload ? 'ticket'
				and x.ticket_secret = regexp_replace(btrim(p.payload ->> 'ticket', E' \t\r\n'), '^.*/t/', '')
			union all
			-- By hand: a registration of this activity.
			select x.* from private.registrations x
			where not (p.payload ? 'ticket')
				and x.id = (p.payload ->> 'registration_id')::uuid and x.activity_id = target
		) r on p.on_day = any (days)
		left join private.sessions booked on booked.id = r.session_id
	),
	judged as (
		select f.*,
			case
				when not (f.on_day = any (days)) then 'wrong_day'
				when f.registration_id is null and f.by_ticket then
					case when coalesce((f.payload ->> 'provisional')::boolean, false) then 'provisional' else 'ticket_unknown' end
				when f.registration_id is null then 'registration_unknown'
				when f.registration_activity <> target then 'wrong_activity'
				when f.registration_status not in ('registered', 'cancelled') then 'not_admitted'
				-- R1: as private.apply_checkin_scoped, a session's booking on its own day only.
				when f.booked_day is not null and f.booked_day <> f.on_day then 'session_day'
			end as refusal
		from found f
	),
	-- Materialized: each action's lookups run once, however often the expressions below name them.
	checked as materialized (
		select j.*, m.id as member_id, m.name as member_name, u.name as unit_name,
			case when j.refusal is null then
				least(greatest(coalesce((j.payload ->> 'guests')::integer, cardinality(j.guest_names)), 0),
					cardinality(j.guest_names))
			end as guests,
			case when j.refusal is null then private.first_check_in(target, m.id, j.on_day, j.id) end as first
		from judged j
		left join private.members m on m.id = j.registration_member and j.refusal is null
		left join private.units u on u.id = m.unit_id
	),
	outcome as materialized (
		select c.*,
			case when c.refusal is null then
				case when clock_skew then array['clock_skew'] else '{}' end
				|| case when c.registration_status = 'cancelled' then array['registration_cancelled'] else '{}' end
				|| case when c.first is null then '{}'
					when c.first ->> 'device_id' <> device then array['duplicate_other_device'] else array['duplicate'] end
			end as flags,
			case when c.refusal is null then
				jsonb_build_object('id', c.id, 'status', 'applied',
					'code', case when c.first is not null then 'already_checked_in' else 'checked_in' end,
					'warnings', to_jsonb(
						case when c.registration_status = 'cancelled' then array['registration_cancelled'] else '{}'::text[] end
						|| case when c.first is not null then array['duplicate_scan'] else '{}' end),
					'entity', jsonb_build_object('member_id', c.member_id, 'name', c.member_name,
						'unit_name', c.unit_name,
						'registration_id', c.registration_id, 'guests_checked_in', c.guests, 'day', c.on_day,
						'first_check_in', c.first))
			when c.refusal = 'session_day' then
				jsonb_build_object('id', c.id, 'status', 'rejected', 'code', 'wrong_day',
					'entity', private.session_entity(c.booked))
			when c.refusal = 'not_admitted' then
				jsonb_build_object('id', c.id, 'status', 'rejected', 'code', 'not_admitted',
					'entity', jsonb_build_object('registration_status', c.registration_status))
			else jsonb_build_object('id', c.id, 'status', 'rejected', 'code', c.refusal)
			end as result
		from checked c
	)
	select
		count(*) = jsonb_array_length(actions)
			and count(distinct o.id) = count(*) and count(distinct o.seq) = count(*)
			and count(*) filter (where o.refusal = 'provisional') = 0
			and count(distinct (o.member_id, o.on_day)) filter (where o.refusal is null)
				= count(*) filter (where o.refusal is null),
		jsonb_agg(jsonb_build_object(
			'id', o.id,
			'seq', o.seq,
			'kind', o.action ->> 'kind',
			'hash', private.action_hash(o.action ->> 'kind', o.action -> 'payload'),
			'client_at', o.client_at,
			'applies', o.refusal is null,
			'registration_id', o.registration_id,
			'member_id', o.member_id,
			'session_id', o.session_id,
			'day', o.on_day,
			'check_kind', case when o.by_ticket then 'scan' else 'manual' end,
			'guests', o.guests,
			'flags', o.flags,
			'result', o.result
				|| jsonb_build_object('warnings', coalesce(o.result -> 'warnings', '[]'::jsonb)
					|| case when clock_skew then '["clock_skew"]'::jsonb else '[]'::jsonb end, 'replayed', false)
				|| jsonb_build_object('activity_version', activity.version)
		) order by o.seq)
	into plain, planned
	from outcome o;

	if not plain then
		return null;
	end if;

	-- The ledger first (the claim, here with its result), then the effects, as for one action.
	insert into private.client_actions
		(id, owner_user_id, device_id, device_seq, kind, schema_version, payload_hash, result, device_time)
	select p.id, caller, device, p.seq, p.kind, 1, p.hash, p.result, p.client_at
	from jsonb_to_recordset(planned) as p(id uuid, seq bigint, kind text, hash text, result jsonb, client_at timestamptz)
	on conflict (id) do nothing;
	get diagnostics written = row_count;
	if written <> jsonb_array_length(planned) then
		-- A replay or a concurrent duplicate: answered one by one instead.
		raise exception 'apply_checkin_batch: an action id is already in the ledger';
	end if;

	insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
		guests_checked_in, device_id, device_seq, device_time, recorded_by, flags)
	select p.id, target, p.registration_id, p.member_id, p.session_id, p.day, p.check_kind,
		p.guests, device, p.seq, p.client_at, staff, p.flags
	from jsonb_to_recordset(planned) as p(id uuid, seq bigint, client_at timestamptz, applies boolean,
		registration_id uuid, member_id uuid, session_id uuid, day date, check_kind text, guests integer, flags text[])
	where p.applies
	order by p.seq;

	return (select jsonb_agg(p.value -> 'result' order by p.ordinality) from jsonb_array_elements(planned) with ordinality p);
end;
$$;

-- Live body from 20261123000600; new (R1): `admitted` and the session lines count the people
-- expected on that day only: registrations without a session, and those of the day's sessions.
create or replace function private.checkin_counter(target_activity uuid, on_day date) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	with day_sessions as (
		select s.* from private.sessions s, private.union_settings u
		where s.activity_id = target_activity and (s.starts_at at time zone u.time_zone)::date = on_day
	)
	select jsonb_build_object(
		'day', on_day,
		'checked_in', (select count(distinct c.member_id) from private.live_check_ins(target_activity) c
			where c.day = on_day and c.member_id is not null),
		'guests', (select coalesce(sum(g.guests), 0) from (
			select max(c.guests_checked_in) as guests from private.live_check_ins(target_activity) c
			where c.day = on_day and c.member_id is not null group by c.member_id) g),
		'provisional', (select count(*) from private.live_check_ins(target_activity) c
			where c.day = on_day and c.kind = 'provisional'),
		'admitted', (select count(*) from private.registrations r
			where r.activity_id = target_activity and r.status = 'registered'
				and (r.session_id is null or r.session_id in (select d.id from day_sessions d))),
		'sessions', coalesce((
			select jsonb_agg(jsonb_build_object(
				'session_id', s.id, 'starts_at', s.starts_at,
				'admitted', (select count(*) from private.registrations r where r.session_id = s.id and r.status = 'registered'),
				'checked_in', (select count(distinct c.member_id) from private.live_check_ins(target_activity) c
					where c.session_id = s.id and c.day = on_day)
			) order by s.starts_at)
			from day_sessions s
		), '[]'::jsonb),
		'server_now', now()
	)
$$;

-- ===========================================================================================
-- Section: R3 walk-in search: where walk-ins are allowed, the eligible population, rate-limited
-- ===========================================================================================

-- Per-caller request counts of rate-limited functions: a window of one minute from the window's
-- first request. Only the definer functions below read or write it.
create table private.rate_limits (
	user_id uuid not null,
	bucket text not null check (char_length(bucket) between 1 and 40),
	window_start timestamptz not null,
	used integer not null check (used >= 0),
	primary key (user_id, bucket)
);
alter table private.rate_limits enable row level security;
revoke all on private.rate_limits from public, anon, authenticated;

-- Counts one request of the caller in `limit_bucket` (atomically: one upsert, under the row's lock) and
-- refuses with 429 rate_limited past `per_minute` in the current window. A refused request rolls
-- back with its transaction, so refusals never extend the wait.
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

-- Live body from 20261123000600; new: only members of the activity's population (R3).
create or replace function private.members_for_walk_in(target_activity uuid, needle text)
returns setof private.members
language sql
stable
security definer
set search_path = ''
as $$
	select m.* from private.members m
	where (m.active_until is null or m.active_until > current_date)
		and (
			(needle ~ '^[0-9]+$' and (m.employee_no = needle or right(m.phone, 4) = right(needle, 4) and char_length(needle) = 4))
			or (needle !~ '^[0-9]+$' and m.name like '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%')
		)
		and private.ineligibility_reason(target_activity, m.id) is null
	limit 50
$$;

-- Live body from 20261123000600; new (R3): refused where the activity takes no walk-ins
-- (walk_in_not_allowed), only its eligible population is searched, and each caller may search
-- at most 30 times a minute (429 rate_limited). Volatile now: it counts the caller's searches.
create or replace function public.search_walk_in_members(activity_id uuid, query text)
returns table (member_id uuid, name text, employee_no text, unit_name text, phone_suffix text, registration_status text)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
	needle text := btrim(coalesce(query, ''));
begin
	perform private.require_member();
	if not private.can_check_in(search_walk_in_members.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	if not exists (select 1 from private.activities a
		where a.id = search_walk_in_members.activity_id and a.walk_in_allowed) then
		perform private.api_error(409, 'walk_in_not_allowed', 'This activity takes no walk-ins.',
			'本活动不接受现场报名。');
	end if;
	if needle ~ '^[0-9]+$' and char_length(needle) < 4 or char_length(needle) < 2 or char_length(needle) > 30 then
		perform private.api_error(400, 'query_too_short',
			'Type at least 2 characters of a name, or at least 4 digits.', '请至少输入姓名的 2 个字，或至少 4 位数字。');
	end if;
	perform private.take_rate_limit('walk_in_search', 30);
	return query
	select m.id, m.name, m.employee_no, u.name, right(m.phone, 4), r.status
	from private.members_for_walk_in(search_walk_in_members.activity_id, needle) m
	join private.units u on u.id = m.unit_id
	left join private.registrations r on r.member_id = m.id and r.activity_id = search_walk_in_members.activity_id
	order by m.name, m.employee_no
	limit 10;
end;
$$;

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.member_series_key(uuid, text),
	private.lock_member_series(uuid[], text),
	private.check_series_limit(private.activities, uuid),
	private.session_entity(private.sessions),
	private.check_eligible(private.activities, uuid),
	private.seat_free(private.activities, private.sessions, integer),
	private.take_rate_limit(text, integer)
from public, anon;
grant execute on function
	private.member_series_key(uuid, text),
	private.lock_member_series(uuid[], text),
	private.check_series_limit(private.activities, uuid),
	private.session_entity(private.sessions),
	private.check_eligible(private.activities, uuid),
	private.seat_free(private.activities, private.sessions, integer),
	private.take_rate_limit(text, integer)
to authenticated, service_role;
