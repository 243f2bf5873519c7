-- The write path of the offline outbox (DESIGN.md §5): one function applies a batch of user
-- intents queued on a phone, each exactly once.
--
-- Every action carries a client-made id (UUIDv7). The idempotency ledger (private.client_actions)
-- is written in the same savepoint as the action's effect, so a replay answers with the first
-- result, a concurrent duplicate waits on the ledger's primary key and then replays, and an id
-- reused with another payload is refused. Results per action: applied | noop | rejected | retry.
-- Check-in kinds (check_in, walk_in, undo_check_in) are applied by private.apply_checkin_action,
-- defined with their rules in the check-in migration.

-- ===========================================================================================
-- Section: one action
-- ===========================================================================================

-- The canonical hash of what an action asks for: jsonb prints its keys in a fixed order.
create function private.action_hash(kind text, payload jsonb) returns text
language sql
immutable
set search_path = ''
as $$
	select md5(kind || ':' || coalesce(payload, 'null'::jsonb)::text)
$$;

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

-- Applies one action of the signed-in caller, inside the caller's savepoint. Returns its result.
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
			-- Defined with the check-in tables' rules in the check-in migration.
			outcome := private.apply_checkin_action(action_id, kind, payload, device,
				(action ->> 'seq')::bigint, (action ->> 'client_at')::timestamptz, clock_skew);
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

-- ===========================================================================================
-- Section: the batch
-- ===========================================================================================

-- Applies a batch of at most 50 actions of the caller's, in the phone's sequence order, one
-- savepoint each, so one bad action never blocks the rest. A transient error (lock timeout,
-- serialization, deadlock) marks that action and all after it `retry`: nothing overtakes it.
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
				'id', action_id, 'status', 'retry', 'code', 'halted', 'warnings', '[]'::jsonb));
			continue;
		end if;
		begin
			results := results || jsonb_build_array(private.apply_action(caller, device, action, skewed));
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

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.action_hash(text, jsonb),
	private.action_refusal(uuid, text),
	private.apply_action(uuid, text, jsonb, boolean),
	private.apply_actions(text, timestamptz, jsonb)
from public, anon;
grant execute on function
	private.action_hash(text, jsonb),
	private.action_refusal(uuid, text),
	private.apply_action(uuid, text, jsonb, boolean),
	private.apply_actions(text, timestamptz, jsonb)
to authenticated, service_role;

revoke all on function public.apply_actions(text, timestamptz, jsonb) from public, anon;
grant execute on function public.apply_actions(text, timestamptz, jsonb) to authenticated, service_role;
