-- Speed for the two hot write paths of the performance issue, with their rules unchanged:
-- replaying a phone's outbox of check-ins (apply_actions, batches of 50) and a burst of sign-ups
-- for one activity (sign_up, serialised on the activity's row lock).
--
-- Where the time went (PostgreSQL 15, track_functions = 'all', one batch of 50 ticket scans by
-- the union office: ~50–60 ms, 1.2 ms per action):
-- - helpers written as `language sql` with `security definer` or `set search_path` are never
--   inlined, and before PostgreSQL 18 a SQL function's body is parsed and planned again on every
--   call. Every scan called first_check_in (~280 µs, mostly planning), can_check_in →
--   can_manage_activity → is_office (~250 µs), activity_days, current_member_id and action_hash,
--   each planned again per action;
-- - the caller's right to check in and the activity's days were worked out again for each of the
--   50 actions of a batch, although no action kind changes them;
-- - each action then made its own ledger insert, check-in insert and ledger update, each a
--   statement with its executor start-up, constraint expressions and foreign-key checks.
-- What changes:
-- - the helpers on these paths become PL/pgSQL with the same queries (PL/pgSQL keeps its plans
--   for the session), and apply_actions works out the check-in scope (staff member, may check in,
--   activity-days) once per activity and batch (~15 ms per batch of 50 one by one);
-- - a batch that is plainly check-ins at one activity (what an organizer's phone uploads) is
--   applied with set-based statements: one query looks everything up, one insert writes the
--   ledger rows with their results, one the check-ins (~8 ms per batch). Anything else in a batch
--   (another kind, a repeated member, a provisional acceptance, a replay, a malformed field) is
--   applied one action at a time as before, so every answer is the one the rules always gave.
-- - sign-up checks everything that does not depend on the seats (the activity's rules,
--   eligibility, session, answers, series limit, an existing registration) before the activity's
--   row lock is taken, on the rows as they are; under the lock it checks that none of those inputs
--   changed meanwhile (if one did, it checks everything again under the lock, as before), then
--   only decides the seat and writes. The lock is held for that short part alone.

-- ===========================================================================================
-- Section: helpers as PL/pgSQL (same queries, plans kept for the session)
-- ===========================================================================================

-- The roster entry of the signed-in account (every API call asks), and the seats a registration
-- holds (the seat trigger asks on every sign-up, under the activity's lock).
create or replace function private.current_member_id() returns uuid
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

create or replace function private.registration_seats(status text, guest_names text[]) returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
	return case when status = 'registered' then 1 + coalesce(cardinality(guest_names), 0) else 0 end;
end;
$$;

create or replace function private.action_hash(kind text, payload jsonb) returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
	return md5(kind || ':' || coalesce(payload, 'null'::jsonb)::text);
end;
$$;

create or replace function private.first_check_in(target_activity uuid, member uuid, on_day date, except_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	first jsonb;
begin
	-- The same rule as private.live_check_ins, for one member and day: every scan calls this, so
	-- it reads through check_ins_member_day_idx instead of the whole activity's log.
	select jsonb_build_object('check_in_id', c.id, 'device_id', c.device_id, 'server_time', c.server_time,
		'recorded_by', (select m.name from private.members m where m.id = c.recorded_by))
	into first
	from private.check_ins c
	where c.activity_id = target_activity and c.member_id = member and c.day = on_day
		and c.id <> except_id and c.kind <> 'undo'
		and not exists (
			select 1 from private.check_ins u
			where u.activity_id = target_activity and u.kind = 'undo' and c.id = any (u.undoes)
		)
		and not exists (
			select 1 from private.check_in_reviews r
			where r.check_in_id = c.id and r.decision = 'reversed'
				and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
		)
	order by c.server_time, c.id
	limit 1;
	return first;
end;
$$;

create or replace function private.ineligibility_reason(activity_id uuid, member_id uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	reason text;
begin
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
	into reason
	from private.activities a
	left join private.members m on m.id = ineligibility_reason.member_id
	left join private.units u on u.id = m.unit_id
	where a.id = ineligibility_reason.activity_id;
	return reason;
end;
$$;

create or replace function private.registration_json(registration_id uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	result jsonb;
begin
	select jsonb_build_object(
		'id', r.id,
		'activity_id', r.activity_id,
		'session_id', r.session_id,
		'status', r.status,
		'guest_names', to_jsonb(r.guest_names),
		'answers', r.answers,
		'source', r.source,
		'generation', r.generation,
		'ticket_secret', case when r.status = 'registered' then r.ticket_secret end,
		'waitlist_position', case when r.status = 'waitlisted' then (
			select count(*) from private.registrations w
			where w.activity_id = r.activity_id and w.status = 'waitlisted'
				-- Promotion is per session when the activity has sessions.
				and w.session_id is not distinct from r.session_id
				and (w.queued_at, w.id) <= (r.queued_at, r.id)
		) end,
		'created_at', r.created_at,
		'updated_at', r.updated_at
	)
	into result
	from private.registrations r
	where r.id = registration_json.registration_id;
	return result;
end;
$$;

-- ===========================================================================================
-- Section: sign up, with the short part under the lock
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
	taken_in_series integer;
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

		if activity.series is not null and activity.series_limit is not null then
			select count(*) into taken_in_series
			from private.registrations r join private.activities a on a.id = r.activity_id
			where r.member_id = member and a.series = activity.series and a.id <> activity.id
				and r.status in ('registered', 'waitlisted', 'pending_approval');
			if taken_in_series >= activity.series_limit then
				perform private.api_error(409, 'series_limit_reached',
					format('You can take part in at most %s activities of this series.', activity.series_limit),
					format('本系列活动每人最多参加 %s 项。', activity.series_limit));
			end if;
		end if;

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
-- Section: check-in actions with the scope worked out once per batch
-- ===========================================================================================

-- Applies one check_in, walk_in or undo_check_in action, given the check-in scope of its
-- activity: the caller's member id (`staff`), whether the caller may check people in there
-- (private.can_check_in) and the activity's days (private.activity_days). Called inside
-- private.apply_action's savepoint, after the ledger claimed the id. Returns the action's result.
create function private.apply_checkin_scoped(
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
			-- Registration and check-in as one action, under the activity's rules except the window.
			perform 1 from private.activities a where a.id = target for update;
			if private.ineligibility_reason(target, member.id) is not null then
				return jsonb_build_object('id', action_id, 'status', 'rejected',
					'code', 'ineligible_' || private.ineligibility_reason(target, member.id));
			end if;
			guests := least(greatest(coalesce((payload ->> 'guests')::integer, 0), 0), activity.guests_max);
			if activity.capacity is not null
				and activity.capacity - (select a.seats_taken from private.activities a where a.id = target) < 1 + guests then
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

	if registration.status = 'cancelled' then
		-- Offline scans are facts: the person is at the door with a ticket that was cancelled after
		-- the phone's roster download. Recorded and flagged for review.
		flags := flags || array['registration_cancelled'];
		warnings := warnings || array['registration_cancelled'];
	elsif registration.status <> 'registered' then
		-- A9: waitlisted, pending or rejected registrations are not admitted.
		return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'not_admitted',
			'entity', jsonb_build_object('registration_status', registration.status));
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

-- A batch of scans and check-ins by hand at one activity, applied with set-based statements: the
-- lookups in one query, the ledger rows and the check-ins in one insert each. Only for the plain
-- case, where the result is exactly what applying the actions one by one in seq order gives:
-- every action a well-formed, new `check_in` of the caller's naming `target` with a ticket (or a
-- registration id), distinct ids and seqs, no two check-ins of one member and day in the batch
-- (the second would name the first as a duplicate) and no provisional acceptance. Returns the
-- results in seq order, or null (nothing written) when the batch is not that plain case; raises
-- when an action turns out not to be (a malformed day, an id already in the ledger), so that the
-- caller rolls it back and applies the actions one by one, which answers each case as before.
create function private.apply_checkin_batch(
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
	today := (now() at time zone (select s.time_zone from private.union_settings s))::date;

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
				and i.action ->> 'v' = '1'
				and jsonb_typeof(i.action -> 'seq') = 'number' and i.action ->> 'seq' ~ '^[0-9]{1,15}$'
				and i.action ->> 'user_id' = caller::text
				and jsonb_typeof(i.payload) = 'object'
				and i.payload ->> 'activity_id' = target::text
				and (i.payload ? 'ticket' or i.payload ? 'registration_id') as plain
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
			r.session_id, r.status as registration_status, r.guest_names
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

-- One check-in action on its own: works out the scope, then applies it as above.
create or replace function private.apply_checkin_action(
	action_id uuid,
	kind text,
	payload jsonb,
	device text,
	device_seq bigint,
	device_time timestamptz,
	clock_skew boolean
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	target uuid := (payload ->> 'activity_id')::uuid;
begin
	return private.apply_checkin_scoped(action_id, kind, payload, device, device_seq, device_time, clock_skew,
		private.current_member_id(), private.can_check_in(target), private.activity_days(target));
end;
$$;

-- ===========================================================================================
-- Section: one action, and the batch
-- ===========================================================================================

-- Applies one action of the signed-in caller, inside the caller's savepoint. Returns its result.
-- `scope_activity` with `staff`, `may_check_in` and `days` is the check-in scope of one activity
-- the batch worked out already; a check-in action of another activity works out its own.
create function private.apply_action_scoped(
	caller uuid,
	device text,
	action jsonb,
	clock_skew boolean,
	scope_activity uuid,
	staff uuid,
	may_check_in boolean,
	days date[]
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	action_id uuid := (action ->> 'id')::uuid;
	kind text := action ->> 'kind';
	payload jsonb := coalesce(action -> 'payload', '{}'::jsonb);
	hash text := private.action_hash(action ->> 'kind', action -> 'payload');
	stored private.client_actions;
	me uuid;
	target uuid;
	effect jsonb;
	outcome jsonb;
	warnings jsonb := case when clock_skew then '["clock_skew"]'::jsonb else '[]'::jsonb end;
begin
	-- Replay: the ledger already has this id.
	select * into stored from private.client_actions c where c.id = action_id;
	if stored.id is not null then
		if stored.owner_user_id <> caller or stored.payload_hash <> hash then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'id_reuse', 'warnings', '[]'::jsonb);
		end if;
		return stored.result || jsonb_build_object('replayed', true);
	end if;

	-- Claim the id before the effect; a concurrent duplicate waits here until this commits.
	insert into private.client_actions
		(id, owner_user_id, device_id, device_seq, kind, schema_version, payload_hash, result, device_time)
	values (action_id, caller, device, (action ->> 'seq')::bigint, kind, (action ->> 'v')::integer, hash,
		'{}'::jsonb, (action ->> 'client_at')::timestamptz)
	on conflict (id) do nothing;
	if not found then
		select * into stored from private.client_actions c where c.id = action_id;
		if stored.owner_user_id <> caller or stored.payload_hash <> hash then
			return jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'id_reuse', 'warnings', '[]'::jsonb);
		end if;
		return stored.result || jsonb_build_object('replayed', true);
	end if;

	begin
		target := (payload ->> 'activity_id')::uuid;
		if (action ->> 'v')::integer <> 1 then
			outcome := jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'unsupported_version');
		elsif (action ->> 'user_id')::uuid is distinct from caller then
			outcome := jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'wrong_user');
		elsif kind = 'signup' then
			me := private.require_member();
			effect := private.sign_up(target, me, (payload ->> 'session_id')::uuid,
				coalesce(array(select jsonb_array_elements_text(payload -> 'guest_names')), '{}'),
				coalesce(payload -> 'answers', '{}'::jsonb), 'self', me);
			outcome := jsonb_build_object('id', action_id,
				'status', case when (effect ->> 'existing')::boolean then 'noop' else 'applied' end,
				'code', case when (effect ->> 'existing')::boolean then 'already_registered' else effect ->> 'outcome' end,
				'entity', effect -> 'registration');
		elsif kind = 'cancel_signup' then
			me := private.require_member();
			effect := private.cancel_registration(target, me, (payload ->> 'generation')::integer);
			outcome := jsonb_build_object('id', action_id,
				'status', case when (effect ->> 'existing')::boolean then 'noop' else 'applied' end,
				'code', effect ->> 'outcome',
				'entity', effect -> 'registration');
		elsif kind in ('check_in', 'walk_in', 'undo_check_in') then
			if scope_activity is not null and target = scope_activity then
				outcome := private.apply_checkin_scoped(action_id, kind, payload, device,
					(action ->> 'seq')::bigint, (action ->> 'client_at')::timestamptz, clock_skew,
					staff, may_check_in, days);
			else
				outcome := private.apply_checkin_action(action_id, kind, payload, device,
					(action ->> 'seq')::bigint, (action ->> 'client_at')::timestamptz, clock_skew);
			end if;
		else
			outcome := jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'unknown_kind');
		end if;
	exception
		when sqlstate 'PT400' or sqlstate 'PT401' or sqlstate 'PT403' or sqlstate 'PT404'
			or sqlstate 'PT409' then
			-- A business refusal: the effect is rolled back, the answer is kept for replays.
			outcome := private.action_refusal(action_id, sqlerrm);
		when invalid_text_representation or invalid_datetime_format or datetime_field_overflow
			or numeric_value_out_of_range or invalid_parameter_value or null_value_not_allowed
			or string_data_right_truncation or check_violation then
			outcome := jsonb_build_object('id', action_id, 'status', 'rejected', 'code', 'malformed');
	end;

	outcome := outcome
		|| jsonb_build_object('warnings', coalesce(outcome -> 'warnings', '[]'::jsonb) || warnings, 'replayed', false)
		|| jsonb_build_object('activity_version', (select a.version from private.activities a where a.id = target));
	update private.client_actions set result = outcome where id = action_id;
	return outcome;
end;
$$;

-- One action on its own (no scope worked out yet).
create or replace function private.apply_action(
	caller uuid,
	device text,
	action jsonb,
	clock_skew boolean
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
	return private.apply_action_scoped(caller, device, action, clock_skew, null, null, null, null);
end;
$$;

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
	private.apply_checkin_batch(uuid, text, jsonb, boolean, uuid, uuid, boolean, date[]),
	private.apply_checkin_scoped(uuid, text, jsonb, text, bigint, timestamptz, boolean, uuid, boolean, date[]),
	private.apply_action_scoped(uuid, text, jsonb, boolean, uuid, uuid, boolean, date[])
from public, anon;
grant execute on function
	private.apply_checkin_batch(uuid, text, jsonb, boolean, uuid, uuid, boolean, date[]),
	private.apply_checkin_scoped(uuid, text, jsonb, text, bigint, timestamptz, boolean, uuid, boolean, date[]),
	private.apply_action_scoped(uuid, text, jsonb, boolean, uuid, uuid, boolean, date[])
to authenticated, service_role;
