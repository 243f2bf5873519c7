-- The write path of the offline outbox (docs/offline-and-checkin.md): a phone queues actions
-- (sign up, cancel, check in, walk in, undo) with an id it chose and a per-device sequence
-- number, and sends them in batches to public.apply_actions.
--
-- Rules enforced here:
-- - idempotency: private.client_actions is the ledger; an id is applied once, a repeat returns the
--   first result, the same id with other content is refused (`id_reuse`);
-- - order: actions run in the phone's sequence order, one savepoint each, so one refusal never
--   blocks the rest, and a transient error stops the batch (`retry`) so nothing overtakes it;
-- - every action is judged by the same rules as the online call it stands for (sign_up,
--   cancel_registration, the check-in rules of 04_checkin.sql), on server time.
--
-- Results per action: applied, noop (already so) or rejected with a code (malformed, id_reuse, and
-- the codes of the action's own rules).

-- The canonical hash of what an action asks for: jsonb prints its keys in a fixed order.
create function private.action_hash(kind text, payload jsonb) returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
	return md5(kind || ':' || coalesce(payload, 'null'::jsonb)::text);
end;
$$;
revoke all on function private.action_hash(text,jsonb) from public, anon;
grant execute on function private.action_hash(text,jsonb) to authenticated, service_role;

-- Maps an error raised by a business function (private.api_error) to an action result: refusals
-- that leave the wanted state in place are noop, the others rejected.
create function private.action_refusal(action_id uuid, code text) returns jsonb
language sql
immutable
set search_path = ''
as $$
	select jsonb_build_object(
		'id', action_id,
		'status', case
			when code in ('already_registered', 'registration_not_found', 'stale_target') then 'noop'
			else 'rejected'
		end,
		'code', case when code = 'registration_not_found' then 'nothing_to_cancel' else code end,
		'warnings', '[]'::jsonb
	)
$$;
revoke all on function private.action_refusal(uuid,text) from public, anon;
grant execute on function private.action_refusal(uuid,text) to authenticated, service_role;

-- Applies one action of the signed-in caller on its own (no check-in scope worked out yet),
-- inside the caller's savepoint. Returns its result.
create function private.apply_action(
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
revoke all on function private.apply_action(uuid,text,jsonb,boolean) from public, anon;
grant execute on function private.apply_action(uuid,text,jsonb,boolean) to authenticated, service_role;

-- Applies a batch of at most 50 actions of the caller's, in the phone's sequence order, one
-- savepoint each, so one bad action never blocks the rest. A transient error (lock timeout,
-- serialization, deadlock) marks that action and all after it `retry`: nothing overtakes it.
-- The check-in scope of an activity (who the caller is, whether they may check in there, its
-- days) is worked out once per batch: no action kind changes it. Before the actions run, the
-- (member, series) locks of every sign-up and walk-in in the batch are taken in key order, so
-- two batches never wait on each other in a cycle; a batch of plain scans goes through
-- private.apply_checkin_batch, set-based.
-- Refuses: device_invalid (400), actions_invalid (400), batch_too_large (413), malformed,
--  internal.
create function private.apply_actions(device text, sent_at timestamptz, actions jsonb)
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
revoke all on function private.apply_actions(text,timestamp with time zone,jsonb) from public, anon;
grant execute on function private.apply_actions(text,timestamp with time zone,jsonb) to authenticated, service_role;

-- The API: `supabase.rpc('apply_actions', {device_id, sent_at, actions})`.
create function public.apply_actions(device_id text, sent_at timestamptz, actions jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	return private.apply_actions(apply_actions.device_id, apply_actions.sent_at, apply_actions.actions);
end;
$$;
revoke all on function public.apply_actions(text,timestamp with time zone,jsonb) from public, anon;
grant execute on function public.apply_actions(text,timestamp with time zone,jsonb) to authenticated, service_role;

-- Applies one action of the signed-in caller, inside the caller's savepoint. Returns its result.
-- `scope_activity` with `staff`, `may_check_in` and `days` is the check-in scope of one activity
-- the batch worked out already; a check-in action of another activity works out its own.
-- Refuses: id_reuse, unsupported_version, wrong_user, unknown_kind, malformed.
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
revoke all on function private.apply_action_scoped(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) from public, anon;
grant execute on function private.apply_action_scoped(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) to authenticated, service_role;
