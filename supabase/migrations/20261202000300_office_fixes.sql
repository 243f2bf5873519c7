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
