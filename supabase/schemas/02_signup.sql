-- Activities and sign-up (报名): listing what a member may join, signing up, cancelling, the
-- waitlist and the lottery. Every rule of an activity is enforced here on server time, whatever
-- the client sends (docs/product.md, "The rules an activity carries"):
-- eligibility (units, member types, genders), the sign-up window, capacity with guests, the
-- waitlist in queue order, approval, the lottery, one registration per member, series limits
-- (at most N of a series per member), typed answers to the activity's questions, and the
-- cancellation deadline.
--
-- Concurrency: every function that changes an activity's registrations first locks the
-- activity's row (`for update`), so sign-ups, cancels and promotions of one activity run one at a
-- time; a series limit also takes the (member, series) advisory lock; and the capacity check
-- constraints (00_schema.sql) make overbooking impossible even for a bug here.

-- Why a member may not sign up for an activity, or null when they may. The codes are shown
-- in plain words by the app: not_member, gender, member_type, unit.
create function private.ineligibility_reason(activity_id uuid, member_id uuid)
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
revoke all on function private.ineligibility_reason(uuid,uuid) from public, anon;
grant execute on function private.ineligibility_reason(uuid,uuid) to authenticated, service_role;

-- The activities a member can see (published and later), each with whether they may sign up
-- and why not, their own registration's status, and the server's clock to judge windows by.
create function public.list_activities()
returns table (
	id uuid,
	title text,
	category text,
	status text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	signup_opens_at timestamptz,
	signup_closes_at timestamptz,
	cancel_deadline timestamptz,
	admission text,
	waitlist_enabled boolean,
	guests_max integer,
	session_count integer,
	eligible boolean,
	ineligible_reason text,
	my_registration_status text,
	version bigint,
	server_now timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	return query
	select
		a.id,
		a.title,
		a.category,
		a.status,
		a.starts_at,
		a.ends_at,
		a.place,
		a.capacity,
		a.seats_taken,
		a.signup_opens_at,
		a.signup_closes_at,
		a.cancel_deadline,
		a.admission,
		a.waitlist_enabled,
		a.guests_max,
		(select count(*)::integer from private.sessions s where s.activity_id = a.id),
		reason.code is null,
		reason.code,
		r.status,
		a.version,
		now()
	from private.activities a
	cross join lateral (select private.ineligibility_reason(a.id, me) as code) reason
	left join private.registrations r on r.activity_id = a.id and r.member_id = me
	where a.status <> 'draft'
	order by a.starts_at, a.title;
end;
$$;
revoke all on function public.list_activities() from public, anon;
grant execute on function public.list_activities() to authenticated, service_role;

-- Checks answers against the activity's typed questions. Returns null when valid, or the id of
-- the first question that is missing or wrong ('_unknown' for an answer to no question).
-- Kinds: choice (one of options[].value), text (max_length, default 200), number (min, max).
create function private.invalid_answer(questions jsonb, answers jsonb) returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
	question jsonb;
	answer jsonb;
	key text;
begin
	if jsonb_typeof(answers) is distinct from 'object' then
		return '_answers';
	end if;
	for key in select jsonb_object_keys(answers) loop
		if not exists (select 1 from jsonb_array_elements(questions) q where q ->> 'id' = key) then
			return '_unknown';
		end if;
	end loop;
	for question in select value from jsonb_array_elements(questions) loop
		answer := answers -> (question ->> 'id');
		if answer is null or answer = 'null'::jsonb
			or (jsonb_typeof(answer) = 'string' and btrim(answer #>> '{}') = '') then
			if coalesce((question ->> 'required')::boolean, false) then
				return question ->> 'id';
			end if;
			continue;
		end if;
		case question ->> 'kind'
			when 'choice' then
				if jsonb_typeof(answer) <> 'string' or not exists (
					select 1 from jsonb_array_elements(question -> 'options') o
					where o ->> 'value' = answer #>> '{}'
				) then
					return question ->> 'id';
				end if;
			when 'text' then
				if jsonb_typeof(answer) <> 'string'
					or char_length(answer #>> '{}') > coalesce((question ->> 'max_length')::integer, 200) then
					return question ->> 'id';
				end if;
			when 'number' then
				if jsonb_typeof(answer) <> 'number'
					or (question ? 'min' and (answer #>> '{}')::numeric < (question ->> 'min')::numeric)
					or (question ? 'max' and (answer #>> '{}')::numeric > (question ->> 'max')::numeric) then
					return question ->> 'id';
				end if;
			else
				return question ->> 'id';
		end case;
	end loop;
	return null;
end;
$$;
revoke all on function private.invalid_answer(jsonb,jsonb) from public, anon;
grant execute on function private.invalid_answer(jsonb,jsonb) to authenticated, service_role;

-- Guests' names, trimmed; refuses empty or over-long names and more guests than allowed.
-- Refuses: too_many_guests (400), guest_name_invalid (400).
create function private.clean_guest_names(names text[], guests_max integer) returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
	cleaned text[];
begin
	select coalesce(array_agg(btrim(n) order by ord), '{}') into cleaned
	from unnest(coalesce(names, '{}')) with ordinality as t (n, ord);
	if cardinality(cleaned) > guests_max then
		perform private.api_error(400, 'too_many_guests',
			format('At most %s family members may come along.', guests_max),
			format('最多可携带 %s 名家属。', guests_max));
	end if;
	if exists (select 1 from unnest(cleaned) n where n = '' or char_length(n) > 30) then
		perform private.api_error(400, 'guest_name_invalid',
			'Each family member needs a name of at most 30 characters.',
			'请填写每位家属的姓名（不超过 30 个字）。');
	end if;
	return cleaned;
end;
$$;
revoke all on function private.clean_guest_names(text[],integer) from public, anon;
grant execute on function private.clean_guest_names(text[],integer) to authenticated, service_role;

-- A registration as the app shows it to its member: with the ticket secret only when admitted,
-- and the position in the waitlist.
create function private.registration_json(registration_id uuid) returns jsonb
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
revoke all on function private.registration_json(uuid) from public, anon;
grant execute on function private.registration_json(uuid) to authenticated, service_role;

-- Admits waitlisted registrations in the order they queued while seats are free. A head of the
-- queue that does not fit the activity stops promotion (nobody jumps the queue); one whose
-- session is full waits while later people for other sessions move up. The caller holds the
-- activity's row lock. Returns the ids promoted.
create function private.promote_waitlist(target_activity uuid) returns uuid[]
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	candidate record;
	promoted uuid[] := '{}';
	seats integer;
begin
	select * into activity from private.activities a where a.id = target_activity;
	if activity.status not in ('published', 'closed') or now() >= activity.starts_at then
		return promoted;
	end if;
	for candidate in
		select r.id, r.session_id, 1 + cardinality(r.guest_names) as need
		from private.registrations r
		where r.activity_id = target_activity and r.status = 'waitlisted'
		order by r.queued_at, r.id
	loop
		select a.capacity - a.seats_taken into seats from private.activities a where a.id = target_activity;
		if seats is not null and seats < candidate.need then
			exit;
		end if;
		if candidate.session_id is not null and exists (
			select 1 from private.sessions s
			where s.id = candidate.session_id and s.capacity is not null
				and s.capacity - s.seats_taken < candidate.need
		) then
			continue;
		end if;
		update private.registrations set status = 'registered', decided_at = now()
		where id = candidate.id;
		promoted := promoted || candidate.id;
	end loop;
	if cardinality(promoted) > 0 then
		insert into private.audit_log (actor_user_id, action, subject)
		values ((select auth.uid()), 'waitlist_promoted',
			jsonb_build_object('activity_id', target_activity, 'registration_ids', to_jsonb(promoted)));
	end if;
	return promoted;
end;
$$;
revoke all on function private.promote_waitlist(uuid) from public, anon;
grant execute on function private.promote_waitlist(uuid) to authenticated, service_role;

-- Signs `member` up for an activity under every rule; `source` and `made_by` record who did it
-- (the member, a liaison, the office). Returns {outcome, existing, registration}. A repeated
-- request with the same choices returns the existing registration (a double tap makes one).
--
-- The rules are checked first without the lock. Then the activity's row is locked (the lock that
-- serialises every change to its seats) and read again with the member's registration and the
-- chosen session: when a rule input changed in between, the checks run again on the locked rows,
-- so every answer is one the rules give on the locked state. A series limit (one of a series per
-- member) takes the (member, series) advisory lock first (private.lock_member_series).
-- Refuses: activity_not_found (404), already_registered (409), registration_rejected (409),
--  activity_cancelled (409), signup_closed (409), signup_not_open (409), session_invalid (400),
--  session_required (400), answer_invalid (400), full (409).
create function private.sign_up(
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
revoke all on function private.sign_up(uuid,uuid,uuid,text[],jsonb,text,uuid) from public, anon;
grant execute on function private.sign_up(uuid,uuid,uuid,text[],jsonb,text,uuid) to authenticated, service_role;

-- Cancels a member's registration before the activity's cancellation deadline, frees the seat
-- and promotes the waitlist. Cancelling what is already cancelled answers with it unchanged.
-- `expected_generation` (from a phone's queued intent) refuses to cancel a newer sign-up.
-- Refuses: registration_not_found (404), stale_target (409), cancel_deadline_passed (409).
create function private.cancel_registration(
	target_activity uuid,
	member uuid,
	expected_generation integer default null
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	registration private.registrations;
begin
	select * into activity from private.activities a where a.id = target_activity for update;
	select * into registration from private.registrations r
	where r.activity_id = target_activity and r.member_id = member;
	if activity.id is null or registration.id is null then
		perform private.api_error(404, 'registration_not_found',
			'You have not signed up for this activity.', '您没有报名这个活动。');
	end if;
	if expected_generation is not null and expected_generation <> registration.generation then
		perform private.api_error(409, 'stale_target',
			'You signed up again since; this cancellation was for the earlier sign-up.',
			'您之后已重新报名，此取消操作针对的是之前的报名。');
	end if;
	if registration.status in ('cancelled', 'rejected') then
		return jsonb_build_object('outcome', registration.status, 'existing', true,
			'registration', private.registration_json(registration.id), 'promoted', 0);
	end if;
	if now() >= coalesce(activity.cancel_deadline, activity.starts_at) then
		perform private.api_error(409, 'cancel_deadline_passed',
			'The deadline for cancelling has passed. Please contact the organizer.',
			'已过取消报名截止时间，请联系活动组织者。');
	end if;

	update private.registrations
	set status = 'cancelled', cancelled_at = now()
	where id = registration.id;

	return jsonb_build_object('outcome', 'cancelled', 'existing', false,
		'registration', private.registration_json(registration.id),
		'promoted', cardinality(private.promote_waitlist(target_activity)));
end;
$$;
revoke all on function private.cancel_registration(uuid,uuid,integer) from public, anon;
grant execute on function private.cancel_registration(uuid,uuid,integer) to authenticated, service_role;

-- Draws among pending registrations after sign-up closed: reproducible (the order is the md5 of
-- a stored seed and the registration id, so anyone can recompute it) and audited. Winners are
-- admitted while seats last; the rest wait on the waitlist, or are not admitted without one.
-- Refuses: not_a_lottery (400), lottery_already_drawn (409), lottery_before_close (409).
create function private.draw_lottery(target_activity uuid, seed text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	candidate record;
	admitted integer := 0;
	others integer := 0;
begin
	select * into activity from private.activities a where a.id = target_activity for update;
	if activity.id is null or activity.admission <> 'lottery' then
		perform private.api_error(400, 'not_a_lottery', 'This activity is not admitted by lottery.', '该活动不是抽签录取。');
	end if;
	if activity.lottery_drawn_at is not null then
		perform private.api_error(409, 'lottery_already_drawn', 'The lottery has already been drawn.', '已经抽过签了。');
	end if;
	if activity.signup_closes_at is null or now() < activity.signup_closes_at then
		perform private.api_error(409, 'lottery_before_close', 'The lottery is drawn after sign-up closes.', '报名截止后才能抽签。');
	end if;

	for candidate in
		select r.id, 1 + cardinality(r.guest_names) as need
		from private.registrations r
		where r.activity_id = target_activity and r.status = 'pending_approval'
		order by md5(seed || r.id::text), r.id
	loop
		if activity.capacity is null
			or activity.capacity - (select a.seats_taken from private.activities a where a.id = target_activity) >= candidate.need then
			update private.registrations set status = 'registered', decided_at = now(), decided_by = private.current_member_id()
			where id = candidate.id;
			admitted := admitted + 1;
		else
			update private.registrations
			set status = case when activity.waitlist_enabled then 'waitlisted' else 'rejected' end,
				decided_at = now(), decided_by = private.current_member_id(),
				-- The draw's order is the waitlist's order.
				queued_at = clock_timestamp()
			where id = candidate.id;
			others := others + 1;
		end if;
	end loop;

	update private.activities set lottery_seed = seed, lottery_drawn_at = now() where id = target_activity;
	insert into private.audit_log (actor_user_id, action, subject)
	values ((select auth.uid()), 'lottery_drawn', jsonb_build_object(
		'activity_id', target_activity, 'seed', seed, 'admitted', admitted, 'not_admitted', others));
	return jsonb_build_object('seed', seed, 'admitted', admitted, 'not_admitted', others);
end;
$$;
revoke all on function private.draw_lottery(uuid,text) from public, anon;
grant execute on function private.draw_lottery(uuid,text) to authenticated, service_role;

-- One activity with everything the detail page shows: rules, sessions with seats, questions,
-- whether I may sign up (and why not) and my registration.
-- Refuses: activity_not_found (404).
create function public.get_activity(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
	result jsonb;
begin
	select jsonb_build_object(
		'id', a.id, 'title', a.title, 'description', a.description, 'category', a.category,
		'status', a.status, 'starts_at', a.starts_at, 'ends_at', a.ends_at, 'place', a.place,
		'capacity', a.capacity, 'seats_taken', a.seats_taken,
		'signup_opens_at', a.signup_opens_at, 'signup_closes_at', a.signup_closes_at,
		'cancel_deadline', a.cancel_deadline, 'admission', a.admission,
		'waitlist_enabled', a.waitlist_enabled, 'guests_max', a.guests_max,
		'walk_in_allowed', a.walk_in_allowed,
		'eligible_genders', to_jsonb(a.eligible_genders),
		'eligible_member_types', to_jsonb(a.eligible_member_types),
		'eligible_unit_names', (
			select jsonb_agg(u.name order by u.code) from private.units u where u.id = any (a.eligible_unit_ids)
		),
		'owner_unit_name', (select u.name from private.units u where u.id = a.owner_unit_id),
		'questions', a.questions,
		'cancelled_reason', a.cancelled_reason,
		'waitlist_length', (
			select count(*) from private.registrations w where w.activity_id = a.id and w.status = 'waitlisted'
		),
		'sessions', coalesce((
			select jsonb_agg(jsonb_build_object(
				'id', s.id, 'label', s.label, 'starts_at', s.starts_at, 'ends_at', s.ends_at,
				'capacity', s.capacity, 'seats_taken', s.seats_taken
			) order by s.starts_at, s.id)
			from private.sessions s where s.activity_id = a.id
		), '[]'::jsonb),
		'ineligible_reason', private.ineligibility_reason(a.id, me),
		'my_registration', (
			select private.registration_json(r.id) from private.registrations r
			where r.activity_id = a.id and r.member_id = me
		),
		'version', a.version,
		'server_now', now()
	) into result
	from private.activities a
	where a.id = get_activity.activity_id and a.status <> 'draft';
	if result is null then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	return result;
end;
$$;
revoke all on function public.get_activity(uuid) from public, anon;
grant execute on function public.get_activity(uuid) to authenticated, service_role;

-- Sign myself up. Arguments the app sends: the activity, a session when it has sessions, the
-- names of family members, and answers keyed by question id.
create function public.sign_up(
	activity_id uuid,
	session_id uuid default null,
	guest_names text[] default '{}',
	answers jsonb default '{}'
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	return private.sign_up(sign_up.activity_id, me, sign_up.session_id, sign_up.guest_names,
		sign_up.answers, 'self', me);
end;
$$;
revoke all on function public.sign_up(uuid,uuid,text[],jsonb) from public, anon;
grant execute on function public.sign_up(uuid,uuid,text[],jsonb) to authenticated, service_role;

create function public.cancel_registration(activity_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	return private.cancel_registration(cancel_registration.activity_id, me);
end;
$$;
revoke all on function public.cancel_registration(uuid) from public, anon;
grant execute on function public.cancel_registration(uuid) to authenticated, service_role;

-- My registrations, upcoming and past, each with its activity's essentials (and its
-- cancellation reason, when cancelled) and my ticket.
create function public.list_my_registrations() returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	return coalesce((
		select jsonb_agg(
			private.registration_json(r.id) || jsonb_build_object(
				'activity', jsonb_build_object(
					'id', a.id, 'title', a.title, 'category', a.category, 'status', a.status,
					'starts_at', a.starts_at, 'ends_at', a.ends_at, 'place', a.place,
					'cancel_deadline', a.cancel_deadline, 'admission', a.admission,
					'cancelled_reason', a.cancelled_reason
				),
				'session', (
					select jsonb_build_object('id', s.id, 'label', s.label, 'starts_at', s.starts_at, 'ends_at', s.ends_at)
					from private.sessions s where s.id = r.session_id
				),
				'checked_in_days', (
					select coalesce(jsonb_agg(distinct c.day), '[]'::jsonb) from private.check_ins c
					where c.registration_id = r.id and c.kind <> 'undo'
				)
			) order by a.starts_at desc
		)
		from private.registrations r
		join private.activities a on a.id = r.activity_id
		where r.member_id = me
	), '[]'::jsonb);
end;
$$;
revoke all on function public.list_my_registrations() from public, anon;
grant execute on function public.list_my_registrations() to authenticated, service_role;

-- Draws the lottery of an activity: the office or an organizer of the activity's unit.
-- Refuses: not_allowed (403).
create function public.draw_lottery(activity_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_manage_activity(draw_lottery.activity_id) then
		perform private.api_error(403, 'not_allowed', 'Only the organizers of this activity can do this.', '只有该活动的组织者可以执行此操作。');
	end if;
	return private.draw_lottery(draw_lottery.activity_id, encode(extensions.gen_random_bytes(16), 'hex'));
end;
$$;
revoke all on function public.draw_lottery(uuid) from public, anon;
grant execute on function public.draw_lottery(uuid) to authenticated, service_role;

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
revoke all on function private.member_series_key(uuid,text) from public, anon;
grant execute on function private.member_series_key(uuid,text) to authenticated, service_role;

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
revoke all on function private.lock_member_series(uuid[],text) from public, anon;
grant execute on function private.lock_member_series(uuid[],text) to authenticated, service_role;

-- Refuses when `member` has reached the activity's series limit; takes the (member, series) lock
-- first, so the count stays true until the transaction ends (no concurrent admission into the
-- series for this member can slip in between the count and the insert).
-- Refuses: series_limit_reached (409).
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
revoke all on function private.check_series_limit(private.activities,uuid) from public, anon;
grant execute on function private.check_series_limit(private.activities,uuid) to authenticated, service_role;

-- Refuses a member outside the activity's population (gender, member type, units, on the roster).
-- Refuses: ineligible_ (403).
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
revoke all on function private.check_eligible(private.activities,uuid) from public, anon;
grant execute on function private.check_eligible(private.activities,uuid) to authenticated, service_role;

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
revoke all on function private.seat_free(private.activities,private.sessions,integer) from public, anon;
grant execute on function private.seat_free(private.activities,private.sessions,integer) to authenticated, service_role;

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
revoke all on function private.session_entity(private.sessions) from public, anon;
grant execute on function private.session_entity(private.sessions) to authenticated, service_role;
