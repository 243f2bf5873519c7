-- The roster (名册) and the unit tree, imported from the spreadsheets HR and the union office
-- keep. Each import has a preview (`apply = false`: nothing is written, every row gets its
-- action or its reason) and an apply that writes exactly what the preview showed.
--
-- Rules enforced here:
-- - cells are cleaned as Chinese offices type them (full-width forms, ideographic spaces,
--   dates as 2024/3/1, 2024.3.1 or Excel serials);
-- - 工号 is the member's key; one email per member; a unit code names an existing unit;
-- - a "full roster" import marks members missing from the file as leaving; a partial one never
--   does;
-- - the unit tree has one root and no cycles (a move under a descendant is refused).
--
-- Row reason codes are listed on private.roster_check and private.import_units; calls by
-- anyone but the office are refused `not_allowed`.

-- Full-width characters (Ｕ０１０１, １３８…, ＠) to their ASCII forms, and the ideographic space to a
-- space: what Chinese input methods leave in roster files.
create function private.ascii_fold(value text) returns text
language sql
immutable
set search_path = ''
as $$
	select translate(value, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')
$$;
revoke all on function private.ascii_fold(text) from public, anon;
grant execute on function private.ascii_fold(text) to authenticated, service_role;

-- Trimmed, folded to ASCII; '' for null.
create function private.clean_cell(value text) returns text
language sql
immutable
set search_path = ''
as $$
	select btrim(private.ascii_fold(coalesce(value, '')), E' \t\r\n')
$$;
revoke all on function private.clean_cell(text) from public, anon;
grant execute on function private.clean_cell(text) to authenticated, service_role;

-- Reason codes of a rejected roster line, in the order they are checked (the client-side parser,
-- src/lib/domain/roster-import.ts, checks the same ones in the same order):
-- employee_no_missing, employee_no_invalid, duplicate_in_file, name_missing, name_too_long,
-- gender_invalid, member_type_invalid, unit_missing, unit_unknown, phone_invalid, email_invalid,
-- joined_on_invalid, joined_on_future, email_duplicate_in_file, email_taken.
create function private.roster_reason_text(code text, lang text) returns text
language sql
immutable
set search_path = ''
as $$
	select case lang
		when 'zh' then case code
			when 'employee_no_missing' then '缺少工号'
			when 'employee_no_invalid' then '工号格式不正确（只能包含字母、数字和短横线，最多 20 位）'
			when 'duplicate_in_file' then '文件中工号重复（以第一次出现的为准）'
			when 'name_missing' then '缺少姓名'
			when 'name_too_long' then '姓名过长（最多 50 个字）'
			when 'gender_invalid' then '性别无法识别（应为“男”或“女”）'
			when 'member_type_invalid' then '人员类别无法识别（应为“在职”“聘用”或“退休”）'
			when 'unit_missing' then '缺少单位编码'
			when 'unit_unknown' then '单位编码不存在'
			when 'phone_invalid' then '手机号码格式不正确'
			when 'email_invalid' then '邮箱格式不正确'
			when 'joined_on_invalid' then '入会日期无法识别'
			when 'joined_on_future' then '入会日期晚于今天'
			when 'email_duplicate_in_file' then '文件中邮箱重复'
			when 'email_taken' then '该邮箱已被其他会员使用'
			when 'rejoined' then '重新入会'
		end
		else case code
			when 'employee_no_missing' then 'Employee number missing'
			when 'employee_no_invalid' then 'Employee number malformed (letters, digits and dashes, at most 20)'
			when 'duplicate_in_file' then 'Employee number repeated in the file (the first line counts)'
			when 'name_missing' then 'Name missing'
			when 'name_too_long' then 'Name too long (at most 50 characters)'
			when 'gender_invalid' then 'Unknown gender (男 or 女)'
			when 'member_type_invalid' then 'Unknown member type (在职, 聘用 or 退休)'
			when 'unit_missing' then 'Unit code missing'
			when 'unit_unknown' then 'Unknown unit code'
			when 'phone_invalid' then 'Malformed phone number'
			when 'email_invalid' then 'Malformed email address'
			when 'joined_on_invalid' then 'Join date not understood'
			when 'joined_on_future' then 'Join date in the future'
			when 'email_duplicate_in_file' then 'Email repeated in the file'
			when 'email_taken' then 'Email already used by another member'
			when 'rejoined' then 'Rejoins the union'
		end
	end
$$;
revoke all on function private.roster_reason_text(text,text) from public, anon;
grant execute on function private.roster_reason_text(text,text) to authenticated, service_role;

-- A date as roster files write it: 2010-07-01, 2010/7/1, 2010.7.1, 2010年7月1日, 20100701.
-- Null for '' ; raises nothing: 'invalid' is returned as the sentinel date 0001-01-01.
create function private.roster_date(value text) returns date
language plpgsql
immutable
set search_path = ''
as $$
declare
	parts text[];
begin
	if value = '' then
		return null;
	end if;
	parts := regexp_match(value, '^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$');
	if parts is null then
		parts := regexp_match(value, '^(\d{4})(\d{2})(\d{2})$');
	end if;
	if parts is null then
		return date '0001-01-01';
	end if;
	begin
		return make_date(parts[1]::integer, parts[2]::integer, parts[3]::integer);
	exception when others then
		return date '0001-01-01';
	end;
end;
$$;
revoke all on function private.roster_date(text) from public, anon;
grant execute on function private.roster_date(text) to authenticated, service_role;

-- Validates roster rows (objects keyed by English names or by the Chinese headers) and returns
-- one result per row, with the normalised values. Writes nothing.
create function private.roster_check(rows jsonb)
returns table (
	idx integer,
	line integer,
	employee_no text,
	name text,
	gender text,
	member_type text,
	unit_id uuid,
	phone text,
	email text,
	joined_on date,
	reason text,
	existing_id uuid,
	action text,
	changes text[]
)
language sql
stable
security definer
set search_path = ''
as $$
	with input as (
		select e.ord::integer as idx, e.value as v
		from jsonb_array_elements(rows) with ordinality as e (value, ord)
	),
	cells as (
		select i.idx,
			case when (i.v ->> 'line') ~ '^\d{1,7}$' then (i.v ->> 'line')::integer else i.idx + 1 end as line,
			private.clean_cell(coalesce(i.v ->> 'employee_no', i.v ->> '工号')) as employee_no,
			btrim(coalesce(i.v ->> 'name', i.v ->> '姓名', ''), E' \t\r\n\u3000') as name,
			lower(private.clean_cell(coalesce(i.v ->> 'gender', i.v ->> '性别'))) as gender_raw,
			lower(private.clean_cell(coalesce(i.v ->> 'member_type', i.v ->> '人员类别'))) as type_raw,
			upper(private.clean_cell(coalesce(i.v ->> 'unit_code', i.v ->> '单位编码'))) as unit_code,
			regexp_replace(private.clean_cell(coalesce(i.v ->> 'phone', i.v ->> '手机')), '[\s()-]', '', 'g') as phone,
			lower(private.clean_cell(coalesce(i.v ->> 'email', i.v ->> '邮箱'))) as email,
			private.clean_cell(coalesce(i.v ->> 'joined_on', i.v ->> '入会日期')) as joined_raw
		from input i
	),
	typed as (
		select c.*,
			case when c.gender_raw in ('男', 'male', 'm') then 'male'
				when c.gender_raw in ('女', 'female', 'f') then 'female' end as gender,
			case when c.type_raw in ('在职', 'staff') then 'staff'
				when c.type_raw in ('聘用', 'contract') then 'contract'
				when c.type_raw in ('退休', 'retired') then 'retired' end as member_type,
			u.id as unit_id,
			private.roster_date(c.joined_raw) as joined_on,
			min(c.idx) over (partition by c.employee_no) as first_idx
		from cells c
		left join private.units u on upper(u.code) = c.unit_code
	),
	checked as (
		select t.*,
			case
				when t.employee_no = '' then 'employee_no_missing'
				when t.employee_no !~ '^[A-Za-z0-9-]{1,20}$' then 'employee_no_invalid'
				when t.first_idx <> t.idx then 'duplicate_in_file'
				when t.name = '' then 'name_missing'
				when char_length(t.name) > 50 then 'name_too_long'
				when t.gender is null then 'gender_invalid'
				when t.member_type is null then 'member_type_invalid'
				when t.unit_code = '' then 'unit_missing'
				when t.unit_id is null then 'unit_unknown'
				when t.phone <> '' and t.phone !~ '^(1\d{10}|0\d{9,11}|\+\d{8,15})$' then 'phone_invalid'
				when t.email <> '' and (t.email !~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' or char_length(t.email) > 254) then 'email_invalid'
				when t.joined_on = date '0001-01-01' then 'joined_on_invalid'
				when t.joined_on > current_date then 'joined_on_future'
			end as early_reason
		from typed t
	),
	emails as (
		select c.*,
			case when c.early_reason is null and c.email <> '' then
				min(c.idx) filter (where c.early_reason is null) over (partition by nullif(c.email, ''))
			end as first_email_idx
		from checked c
	)
	select e.idx, e.line, e.employee_no, e.name, e.gender, e.member_type, e.unit_id,
		nullif(e.phone, ''), nullif(e.email, ''), e.joined_on,
		coalesce(e.early_reason,
			case
				when e.first_email_idx <> e.idx then 'email_duplicate_in_file'
				when e.email <> '' and exists (
					select 1 from private.members o where o.email = e.email and o.employee_no <> e.employee_no
				) then 'email_taken'
			end) as reason,
		m.id,
		case
			when coalesce(e.early_reason,
				case when e.first_email_idx <> e.idx then 'x'
					when e.email <> '' and exists (select 1 from private.members o where o.email = e.email and o.employee_no <> e.employee_no) then 'x'
				end) is not null then 'reject'
			when m.id is null then 'insert'
			when m.name = e.name and m.gender = e.gender and m.member_type = e.member_type and m.unit_id = e.unit_id
				and m.phone is not distinct from nullif(e.phone, '') and m.email is not distinct from nullif(e.email, '')
				and m.joined_on is not distinct from e.joined_on
				and (m.active_until is null or m.active_until > current_date) then 'unchanged'
			else 'update'
		end,
		case when m.id is not null then array_remove(array[
			case when m.name <> e.name then 'name' end,
			case when m.gender <> e.gender then 'gender' end,
			case when m.member_type <> e.member_type then 'member_type' end,
			case when m.unit_id <> e.unit_id then 'unit' end,
			case when m.phone is distinct from nullif(e.phone, '') then 'phone' end,
			case when m.email is distinct from nullif(e.email, '') then 'email' end,
			case when m.joined_on is distinct from e.joined_on then 'joined_on' end,
			case when m.active_until is not null and m.active_until <= current_date then 'rejoined' end
		], null) else '{}' end
	from emails e
	left join private.members m on m.employee_no = e.employee_no and e.employee_no <> ''
	order by e.idx
$$;
revoke all on function private.roster_check(jsonb) from public, anon;
grant execute on function private.roster_check(jsonb) to authenticated, service_role;

-- Applies (or previews) a roster: inserts and updates by 工号 the valid rows; with `full`, marks
-- members missing from the file as left on `left_on` (active_until), so past headcounts stay
-- right. Every 工号 in the file, also on rejected lines, keeps its member from being marked left.
-- Refuses: roster_empty (400).
create function private.import_roster(rows jsonb, mode text, full_roster boolean, left_on date)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	results jsonb;
	leaving jsonb;
	summary jsonb;
	valid_rows integer;
begin
	create temporary table roster_rows on commit drop as select * from private.roster_check(rows);
	select count(*) into valid_rows from roster_rows r where r.action <> 'reject';

	if full_roster and valid_rows = 0 then
		drop table roster_rows;
		perform private.api_error(400, 'roster_empty',
			'The roster has no valid line: nobody is marked as left.', '名册中没有有效的行，不会把任何人标记为离会。');
	end if;

	select coalesce(jsonb_agg(jsonb_build_object(
		'member_id', m.id, 'employee_no', m.employee_no, 'name', m.name, 'unit_name', u.name
	) order by m.employee_no), '[]'::jsonb) into leaving
	from private.members m
	join private.units u on u.id = m.unit_id
	where full_roster
		and (m.active_until is null or m.active_until > left_on)
		and not exists (select 1 from roster_rows r where r.employee_no = m.employee_no);

	select jsonb_agg(jsonb_build_object(
		'line', r.line,
		'employee_no', r.employee_no,
		'name', r.name,
		'action', r.action,
		'reason_code', case when r.action = 'reject' then r.reason when 'rejoined' = any (r.changes) then 'rejoined' end,
		'message_zh', private.roster_reason_text(case when r.action = 'reject' then r.reason when 'rejoined' = any (r.changes) then 'rejoined' end, 'zh'),
		'message_en', private.roster_reason_text(case when r.action = 'reject' then r.reason when 'rejoined' = any (r.changes) then 'rejoined' end, 'en'),
		'changes', to_jsonb(r.changes)
	) order by r.idx) into results
	from roster_rows r;

	summary := jsonb_build_object(
		'total', (select count(*) from roster_rows),
		'insert', (select count(*) from roster_rows r where r.action = 'insert'),
		'update', (select count(*) from roster_rows r where r.action = 'update'),
		'unchanged', (select count(*) from roster_rows r where r.action = 'unchanged'),
		'reject', (select count(*) from roster_rows r where r.action = 'reject'),
		'leave', jsonb_array_length(leaving)
	);

	if mode = 'apply' then
		update private.members m
		set name = r.name, gender = r.gender, member_type = r.member_type, unit_id = r.unit_id,
			phone = r.phone, email = r.email, joined_on = r.joined_on,
			active_until = case when m.active_until is not null and m.active_until <= current_date then null else m.active_until end
		from roster_rows r
		where r.action = 'update' and m.id = r.existing_id;

		insert into private.members (employee_no, name, gender, member_type, unit_id, phone, email, joined_on, active_from)
		select r.employee_no, r.name, r.gender, r.member_type, r.unit_id, r.phone, r.email, r.joined_on,
			coalesce(least(r.joined_on, current_date), current_date)
		from roster_rows r
		where r.action = 'insert';

		update private.members m
		set active_until = greatest(left_on, m.active_from + 1)
		where m.id in (select (x ->> 'member_id')::uuid from jsonb_array_elements(leaving) x);

		perform private.audit('roster_imported', jsonb_build_object('full', full_roster, 'left_on', left_on, 'summary', summary));
	end if;
	drop table roster_rows;

	return jsonb_build_object('mode', mode, 'full', full_roster, 'left_on', left_on,
		'summary', summary, 'rows', coalesce(results, '[]'::jsonb), 'leaving', leaving);
end;
$$;
revoke all on function private.import_roster(jsonb,text,boolean,date) from public, anon;
grant execute on function private.import_roster(jsonb,text,boolean,date) to authenticated, service_role;

-- Validates and applies units: {code, name, parent_code} (or 单位编码, 单位名称, 上级编码).
-- The root (no parent) is the union; its children branches; deeper units groups. Units missing
-- from the file stay. Rows of existing units carry old_name, old_parent_code and changes
-- (['name'], ['parent_code'] or both), so the preview shows renames and moves. Reason codes:
-- code_missing, code_invalid, duplicate_in_file, name_missing, name_too_long, parent_unknown,
-- parent_self, second_root, cycle (also a move under the unit's own descendant).
create function private.import_units(rows jsonb, mode text) returns jsonb
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
revoke all on function private.import_units(jsonb,text) from public, anon;
grant execute on function private.import_units(jsonb,text) to authenticated, service_role;

-- Refuses: mode_invalid (400), rows_invalid (400), too_many_rows (413).
create function private.check_import_args(rows jsonb, mode text) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
	if mode is null or mode not in ('preview', 'apply') then
		perform private.api_error(400, 'mode_invalid', 'Mode is preview or apply.', '模式须为预览或导入。');
	end if;
	if rows is null or jsonb_typeof(rows) <> 'array' or exists (
		select 1 from jsonb_array_elements(rows) e where jsonb_typeof(e) <> 'object'
	) then
		perform private.api_error(400, 'rows_invalid', 'Rows must be a list of objects.', '导入数据格式不正确。');
	end if;
	if jsonb_array_length(rows) > 50000 then
		perform private.api_error(413, 'too_many_rows', 'At most 50,000 lines per import.', '每次最多导入 50000 行。');
	end if;
end;
$$;
revoke all on function private.check_import_args(jsonb,text) from public, anon;
grant execute on function private.check_import_args(jsonb,text) to authenticated, service_role;

-- Refuses: left_on_invalid (400).
create function public.import_roster(
	rows jsonb,
	mode text default 'preview',
	"full" boolean default false,
	left_on date default null
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_office();
	perform private.check_import_args(rows, mode);
	if left_on is not null and (left_on > current_date + 366 or left_on < date '2000-01-01') then
		perform private.api_error(400, 'left_on_invalid', 'The leaving date is out of range.', '离会日期超出范围。');
	end if;
	return private.import_roster(rows, mode, coalesce("full", false), coalesce(left_on, current_date));
end;
$$;
revoke all on function public.import_roster(jsonb,text,boolean,date) from public, anon;
grant execute on function public.import_roster(jsonb,text,boolean,date) to authenticated, service_role;

create function public.import_units(rows jsonb, mode text default 'preview') returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_office();
	perform private.check_import_args(rows, mode);
	return private.import_units(rows, mode);
end;
$$;
revoke all on function public.import_units(jsonb,text) from public, anon;
grant execute on function public.import_units(jsonb,text) to authenticated, service_role;
