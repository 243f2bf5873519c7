-- The union office's side (DESIGN.md §1, §2): the roster and unit imports, organizers and their
-- scopes, liaisons signing colleagues up, managing registrations (approval, waitlist, paper
-- attendance) and the activity editor. Reports are in the `_reports` migration.
--
-- Conventions as everywhere: `public` functions are security invoker, check their caller first
-- and hand writes to `private` security definer helpers; every change is audited; errors are
-- `private.api_error` with a code the app maps to words.

-- ===========================================================================================
-- Section: small helpers
-- ===========================================================================================

-- Full-width characters (Ｕ０１０１, １３８…, ＠) to their ASCII forms, and the ideographic space to a
-- space: what Chinese input methods leave in roster files.
create function private.ascii_fold(value text) returns text
language sql
immutable
set search_path = ''
as $$
	select translate(value, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')
$$;

-- Trimmed, folded to ASCII; '' for null.
create function private.clean_cell(value text) returns text
language sql
immutable
set search_path = ''
as $$
	select btrim(private.ascii_fold(coalesce(value, '')), E' \t\r\n')
$$;

-- Refuses callers who are not the union office.
create function private.require_office() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	me uuid := private.require_member();
begin
	if not private.is_office() then
		perform private.api_error(403, 'not_allowed', 'Only the union office can do this.', '只有工会办公室可以执行此操作。');
	end if;
	return me;
end;
$$;

create function private.audit(action text, subject jsonb) returns void
language sql
security definer
set search_path = ''
as $$
	insert into private.audit_log (actor_user_id, action, subject) values ((select auth.uid()), action, subject)
$$;

-- ===========================================================================================
-- Section: roster import (名册导入)
-- ===========================================================================================

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

-- Applies (or previews) a roster: inserts and updates by 工号 the valid rows; with `full`, marks
-- members missing from the file as left on `left_on` (active_until), so past headcounts stay
-- right. Every 工号 in the file, also on rejected lines, keeps its member from being marked left.
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

-- ===========================================================================================
-- Section: unit import (单位导入)
-- ===========================================================================================

-- Validates and applies units: {code, name, parent_code} (or 单位编码, 单位名称, 上级编码).
-- The root (no parent) is the union; its children branches; deeper units groups. Units missing
-- from the file stay. Reason codes: code_missing, code_invalid, duplicate_in_file, name_missing,
-- name_too_long, parent_unknown, parent_self, second_root, cycle.
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
	parent_id uuid;
	reason text;
	action text;
	valid jsonb := '[]'::jsonb;
	root_code text := (select u.code from private.units u where u.parent_id is null limit 1);
	progress boolean;
	item jsonb;
	counts jsonb;
begin
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
		end;
		if r.code <> '' then
			seen := seen || r.code;
		end if;
		select * into existing from private.units u where upper(u.code) = r.code;
		action := case
			when reason is not null then 'reject'
			when existing.id is null then 'insert'
			when existing.name = r.name and coalesce((select upper(p.code) from private.units p where p.id = existing.parent_id), '') = r.parent_code then 'unchanged'
			else 'update'
		end;
		results := results || jsonb_build_object('line', r.line, 'code', r.code, 'name', r.name,
			'parent_code', nullif(r.parent_code, ''), 'action', action, 'reason_code', reason);
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
					parent_id := null;
				else
					select u.id into parent_id from private.units u where upper(u.code) = item ->> 'parent_code';
					continue when parent_id is null;
				end if;
				begin
					if item ->> 'action' = 'insert' then
						insert into private.units (code, name, parent_id, kind)
						values (item ->> 'code', item ->> 'name', parent_id, case when parent_id is null then 'union' else 'group' end);
					elsif item ->> 'action' = 'update' then
						update private.units u set name = item ->> 'name', parent_id = import_units.parent_id,
							kind = case when import_units.parent_id is null then 'union' else 'group' end
						where upper(u.code) = item ->> 'code';
					end if;
				exception when sqlstate '23514' then
					-- Placed under its own descendant.
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

-- ===========================================================================================
-- Section: organizers, liaisons and their scopes
-- ===========================================================================================

create function private.staff_role_json(role_id uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'id', r.id, 'role', r.role, 'member_id', m.id, 'employee_no', m.employee_no, 'name', m.name,
		'member_unit_name', mu.name, 'unit_id', r.unit_id, 'unit_code', u.code, 'unit_name', u.name,
		'activity_id', r.activity_id, 'activity_title', a.title,
		'granted_at', r.granted_at, 'granted_by_name', g.name,
		'revoked_at', r.revoked_at
	)
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	join private.units mu on mu.id = m.unit_id
	left join private.units u on u.id = r.unit_id
	left join private.activities a on a.id = r.activity_id
	left join private.members g on g.id = r.granted_by
	where r.id = role_id
$$;

-- Grants office (office only), organizer (office only) or liaison (the office, or an organizer
-- whose subtree holds the unit and the member). Granting what is already granted answers with it.
create function private.grant_role(employee_no text, role text, unit_code text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	member private.members;
	unit private.units;
	existing uuid;
	new_id uuid;
begin
	if role is null or role not in ('office', 'organizer', 'liaison') then
		perform private.api_error(400, 'role_invalid', 'The role is office, organizer or liaison.', '角色须为工会办公室、工会干事或工会小组长。');
	end if;
	select * into member from private.members m where m.employee_no = private.clean_cell(grant_role.employee_no);
	if member.id is null or (member.active_until is not null and member.active_until <= current_date) then
		perform private.api_error(404, 'member_not_found', 'No member with this employee number.', '没有这个工号的会员。');
	end if;
	if role = 'office' then
		if nullif(private.clean_cell(unit_code), '') is not null then
			perform private.api_error(400, 'unit_not_expected', 'The union office has no unit.', '工会办公室角色不需要单位。');
		end if;
	else
		select * into unit from private.units u where upper(u.code) = upper(private.clean_cell(unit_code));
		if unit.id is null then
			perform private.api_error(404, 'unit_not_found', 'No such unit.', '没有找到这个单位。');
		end if;
	end if;
	if role in ('office', 'organizer') and not private.is_office() then
		perform private.api_error(403, 'not_allowed', 'Only the union office can name organizers.', '只有工会办公室可以任命工会干事。');
	end if;
	if role = 'liaison' and not private.is_office() then
		if not private.unit_in_scope(unit.id, array['organizer']) then
			perform private.api_error(403, 'unit_not_in_scope', 'This unit is outside the units you organize.', '该单位不在您负责的范围内。');
		end if;
		if not private.unit_in_scope(member.unit_id, array['organizer']) then
			perform private.api_error(403, 'member_not_in_scope', 'This member is outside the units you organize.', '该会员不在您负责的范围内。');
		end if;
	end if;

	select r.id into existing from private.staff_roles r
	where r.member_id = member.id and r.role = grant_role.role and r.unit_id is not distinct from unit.id
		and r.revoked_at is null;
	if existing is not null then
		return private.staff_role_json(existing) || jsonb_build_object('existing', true);
	end if;
	insert into private.staff_roles (member_id, role, unit_id, granted_by)
	values (member.id, role, unit.id, me)
	returning id into new_id;
	perform private.audit('role_granted', jsonb_build_object('role_id', new_id, 'member_id', member.id, 'role', role, 'unit_id', unit.id));
	return private.staff_role_json(new_id) || jsonb_build_object('existing', false);
end;
$$;

create function private.revoke_role(role_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	target private.staff_roles;
begin
	select * into target from private.staff_roles r where r.id = role_id;
	if target.id is null or not (
		private.is_office()
		or (target.role = 'liaison' and private.unit_in_scope(target.unit_id, array['organizer']))
		or (target.role = 'checkin_staff' and private.can_manage_activity(target.activity_id))
	) then
		perform private.api_error(404, 'role_not_found', 'No such role you can revoke.', '没有找到可撤销的角色。');
	end if;
	if target.revoked_at is not null then
		return private.staff_role_json(target.id) || jsonb_build_object('existing', true);
	end if;
	if target.role = 'office' and (
		select count(*) from private.staff_roles r where r.role = 'office' and r.revoked_at is null
	) <= 1 then
		perform private.api_error(409, 'last_office', 'The last union office account cannot be removed.', '不能撤销最后一个工会办公室账号。');
	end if;
	update private.staff_roles r set revoked_at = now(), revoked_by = private.current_member_id() where r.id = target.id;
	perform private.audit('role_revoked', jsonb_build_object('role_id', target.id, 'member_id', target.member_id, 'role', target.role));
	return private.staff_role_json(target.id) || jsonb_build_object('existing', false);
end;
$$;

-- The active roles the caller may see: the office all; an organizer those in their subtrees and
-- the check-in staff of the activities they manage.
create function private.list_staff() returns setof jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select private.staff_role_json(r.id)
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	left join private.units u on u.id = r.unit_id
	where r.revoked_at is null
		and (
			private.is_office()
			or (r.unit_id is not null and private.unit_in_scope(r.unit_id, array['organizer']))
			or (r.activity_id is not null and private.can_manage_activity(r.activity_id))
		)
	order by array_position(array['office', 'organizer', 'liaison', 'checkin_staff'], r.role), u.code nulls first, m.employee_no
$$;

create function public.grant_role(employee_no text, role text, unit_code text default null) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.grant_role(grant_role.employee_no, grant_role.role, grant_role.unit_code);
end;
$$;

create function public.revoke_role(role_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.revoke_role(revoke_role.role_id);
end;
$$;

create function public.list_staff() returns jsonb
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
	return coalesce((select jsonb_agg(s) from private.list_staff() s), '[]'::jsonb);
end;
$$;

-- ===========================================================================================
-- Section: signing colleagues up (工会小组长代报名)
-- ===========================================================================================

-- Signs members up for an activity on their behalf, each under every rule of their own sign-up
-- (private.sign_up), one at a time so one refusal does not stop the others. The caller must
-- look after each member: the office anyone, organizers and liaisons their subtree.
-- Results per member: {member_id, name, status: applied|noop|rejected, code, outcome, registration_id}.
create function private.on_behalf(
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

create function private.require_helper_of_members(member_ids uuid[]) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.is_office() and cardinality(private.scope_unit_ids(array['organizer', 'liaison'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only group leaders, organizers and the union office can sign others up.',
			'只有工会小组长、工会干事和工会办公室可以代他人报名。');
	end if;
	if member_ids is null or cardinality(member_ids) = 0 or cardinality(member_ids) > 200 then
		perform private.api_error(400, 'members_invalid', 'Choose between 1 and 200 members.', '请选择 1 到 200 名会员。');
	end if;
end;
$$;

create function public.sign_up_on_behalf(
	activity_id uuid,
	member_ids uuid[],
	session_id uuid default null,
	answers jsonb default '{}',
	guest_names text[] default '{}'
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_helper_of_members(member_ids);
	return private.on_behalf(sign_up_on_behalf.activity_id, member_ids, sign_up_on_behalf.session_id,
		sign_up_on_behalf.guest_names, sign_up_on_behalf.answers, false);
end;
$$;

create function public.cancel_on_behalf(activity_id uuid, member_ids uuid[]) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_helper_of_members(member_ids);
	return private.on_behalf(cancel_on_behalf.activity_id, member_ids, null, '{}', '{}', true);
end;
$$;

-- ===========================================================================================
-- Section: managing registrations
-- ===========================================================================================

create function private.require_manager(target_activity uuid) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
	perform private.require_member();
	if target_activity is null or not private.can_manage_activity(target_activity) then
		perform private.api_error(403, 'not_allowed', 'Only the organizers of this activity can do this.', '只有该活动的组织者可以执行此操作。');
	end if;
end;
$$;

create function private.list_registrations(target_activity uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	with live as (
		select c.member_id, array_agg(distinct c.day order by c.day) as days,
			array_agg(distinct c.day order by c.day) filter (where c.kind = 'paper') as paper_days,
			max(c.guests_checked_in) as guests
		from private.live_check_ins(target_activity) c
		where c.member_id is not null
		group by c.member_id
	)
	select coalesce(jsonb_agg(jsonb_build_object(
		'registration_id', r.id, 'member_id', m.id, 'employee_no', m.employee_no, 'member_name', m.name,
		'unit_id', u.id, 'unit_name', u.name, 'status', r.status, 'guest_names', to_jsonb(r.guest_names),
		'answers', r.answers, 'session_id', r.session_id, 'session_label', s.label,
		'session_starts_at', s.starts_at, 'source', r.source, 'made_by', r.made_by, 'made_by_name', mb.name,
		'queued_at', r.queued_at, 'created_at', r.created_at, 'decided_at', r.decided_at,
		'waitlist_position', case when r.status = 'waitlisted' then (
			select count(*) from private.registrations w
			where w.activity_id = r.activity_id and w.status = 'waitlisted' and (w.queued_at, w.id) <= (r.queued_at, r.id)
		) end,
		'checked_in_days', coalesce(to_jsonb(l.days), '[]'::jsonb),
		'paper_days', coalesce(to_jsonb(l.paper_days), '[]'::jsonb)
	) order by array_position(array['pending_approval', 'registered', 'waitlisted', 'cancelled', 'rejected'], r.status),
		r.queued_at, m.employee_no), '[]'::jsonb)
	from private.registrations r
	join private.members m on m.id = r.member_id
	join private.units u on u.id = m.unit_id
	left join private.sessions s on s.id = r.session_id
	left join private.members mb on mb.id = r.made_by
	left join live l on l.member_id = r.member_id
	where r.activity_id = target_activity
$$;

create function public.list_registrations(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(list_registrations.activity_id);
	return private.list_registrations(list_registrations.activity_id);
end;
$$;

-- Admits a registration now, under the activity's lock: a seat must be free in the activity and
-- in its session (capacity check constraints back this up).
create function private.admit(registration private.registrations, activity private.activities) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
	need integer := 1 + cardinality(registration.guest_names);
	session_free integer;
begin
	if activity.capacity is not null and activity.capacity - activity.seats_taken < need then
		perform private.api_error(409, 'full',
			format('No seat free: %s of %s seats are taken.', activity.seats_taken, activity.capacity),
			format('名额已满：%s 个名额已占用 %s 个。', activity.capacity, activity.seats_taken));
	end if;
	select s.capacity - s.seats_taken into session_free from private.sessions s where s.id = registration.session_id;
	if session_free is not null and session_free < need then
		perform private.api_error(409, 'session_full', 'This session is full.', '该场次名额已满。');
	end if;
	update private.registrations r
	set status = 'registered', decided_at = now(), decided_by = private.current_member_id()
	where r.id = registration.id;
end;
$$;

create function private.decide_registration(target uuid, decision text, note text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	registration private.registrations;
	activity private.activities;
begin
	select * into registration from private.registrations r where r.id = target;
	if registration.id is null or not private.can_manage_activity(registration.activity_id) then
		perform private.api_error(404, 'registration_not_found', 'No such registration.', '没有找到这条报名。');
	end if;
	if decision is null or decision not in ('approve', 'reject') then
		perform private.api_error(400, 'decision_invalid', 'Decide approve or reject.', '请选择通过或不通过。');
	end if;
	select * into activity from private.activities a where a.id = registration.activity_id for update;
	select * into registration from private.registrations r where r.id = target;
	if (decision = 'approve' and registration.status = 'registered') or (decision = 'reject' and registration.status = 'rejected') then
		return jsonb_build_object('outcome', registration.status, 'existing', true, 'registration', private.registration_json(target));
	end if;
	if registration.status <> 'pending_approval' or activity.admission <> 'approval' then
		perform private.api_error(409, 'not_pending', 'Only registrations waiting for approval can be decided.', '只能审核待审核的报名。');
	end if;
	if activity.status not in ('published', 'closed') then
		perform private.api_error(409, 'activity_not_open', 'This activity no longer takes registrations.', '该活动已不再接受报名。');
	end if;
	if decision = 'approve' then
		perform private.admit(registration, activity);
	else
		update private.registrations r set status = 'rejected', decided_at = now(), decided_by = private.current_member_id()
		where r.id = target;
	end if;
	perform private.audit('registration_decided', jsonb_build_object('registration_id', target,
		'decision', decision, 'note', left(coalesce(note, ''), 500)));
	return jsonb_build_object('outcome', case when decision = 'approve' then 'registered' else 'rejected' end,
		'existing', false, 'registration', private.registration_json(target));
end;
$$;

create function private.move_from_waitlist(target uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	registration private.registrations;
	activity private.activities;
begin
	select * into registration from private.registrations r where r.id = target;
	if registration.id is null or not private.can_manage_activity(registration.activity_id) then
		perform private.api_error(404, 'registration_not_found', 'No such registration.', '没有找到这条报名。');
	end if;
	select * into activity from private.activities a where a.id = registration.activity_id for update;
	select * into registration from private.registrations r where r.id = target;
	if registration.status = 'registered' then
		return jsonb_build_object('outcome', 'registered', 'existing', true, 'registration', private.registration_json(target));
	end if;
	if registration.status <> 'waitlisted' then
		perform private.api_error(409, 'not_waitlisted', 'Only waitlisted registrations can be moved up.', '只能递补候补中的报名。');
	end if;
	if activity.status not in ('published', 'closed') then
		perform private.api_error(409, 'activity_not_open', 'This activity no longer takes registrations.', '该活动已不再接受报名。');
	end if;
	perform private.admit(registration, activity);
	perform private.audit('waitlist_moved', jsonb_build_object('registration_id', target));
	return jsonb_build_object('outcome', 'registered', 'existing', false, 'registration', private.registration_json(target));
end;
$$;

create function public.decide_registration(registration_id uuid, decision text, note text default '') returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.decide_registration(decide_registration.registration_id, decide_registration.decision, decide_registration.note);
end;
$$;

create function public.move_from_waitlist(registration_id uuid) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.move_from_waitlist(move_from_waitlist.registration_id);
end;
$$;

-- Attendance from a paper sign-in sheet (补录), entered by a manager after the day: a check-in
-- of kind 'paper' (flagged 'paper'), counted like any other. Idempotent per member and day: a
-- member who already counts that day gets no second row.
create function private.record_paper_attendance(target_activity uuid, on_day date, member_ids uuid[]) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity private.activities;
	me uuid := private.current_member_id();
	target_member uuid;
	member private.members;
	registration private.registrations;
	results jsonb := '[]'::jsonb;
	counted uuid[];
	today date := (now() at time zone (select s.time_zone from private.union_settings s))::date;
	seq bigint := (extract(epoch from clock_timestamp()) * 1000)::bigint;
begin
	select * into activity from private.activities a where a.id = target_activity;
	if activity.status in ('draft', 'cancelled') then
		perform private.api_error(409, 'activity_not_held', 'This activity was not held.', '该活动未举办。');
	end if;
	if on_day is null or not (on_day = any (private.activity_days(target_activity))) then
		perform private.api_error(400, 'wrong_day', 'This day is not a day of the activity.', '该日期不是活动日期。');
	end if;
	if on_day > today then
		perform private.api_error(400, 'day_in_future', 'Attendance can be entered on or after the day.', '只能补录当天或之前的签到。');
	end if;
	select coalesce(array_agg(distinct c.member_id), '{}') into counted
	from private.live_check_ins(target_activity) c where c.day = on_day and c.member_id is not null;

	foreach target_member in array (select array_agg(distinct x) from unnest(member_ids) x) loop
		select * into member from private.members m where m.id = target_member;
		if member.id is null then
			results := results || jsonb_build_object('member_id', target_member, 'status', 'rejected', 'code', 'member_unknown');
			continue;
		end if;
		if member.id = any (counted) then
			results := results || jsonb_build_object('member_id', target_member, 'name', member.name, 'status', 'noop', 'code', 'already_counted');
			continue;
		end if;
		select * into registration from private.registrations r where r.activity_id = target_activity and r.member_id = member.id;
		seq := seq + 1;
		insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,
			device_id, device_seq, recorded_by, flags)
		values (gen_random_uuid(), target_activity, registration.id, member.id, registration.session_id, on_day, 'paper',
			'paper', seq, me,
			case when registration.id is null or registration.status <> 'registered'
				then array['paper', 'not_registered'] else array['paper'] end);
		results := results || jsonb_build_object('member_id', target_member, 'name', member.name, 'status', 'applied',
			'code', case when registration.id is null or registration.status <> 'registered' then 'recorded_not_registered' else 'recorded' end);
	end loop;
	perform private.audit('paper_attendance_recorded', jsonb_build_object('activity_id', target_activity, 'day', on_day,
		'recorded', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied')));
	return jsonb_build_object('results', results,
		'recorded', (select count(*) from jsonb_array_elements(results) r where r ->> 'status' = 'applied'));
end;
$$;

create function public.record_paper_attendance(activity_id uuid, day date, member_ids uuid[]) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_manager(record_paper_attendance.activity_id);
	if member_ids is null or cardinality(member_ids) = 0 or cardinality(member_ids) > 1000 then
		perform private.api_error(400, 'members_invalid', 'Choose between 1 and 1000 members.', '请选择 1 到 1000 名会员。');
	end if;
	return private.record_paper_attendance(record_paper_attendance.activity_id, record_paper_attendance.day, member_ids);
end;
$$;

-- ===========================================================================================
-- Section: the activity editor
-- ===========================================================================================

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

-- Creates (no id) or updates an activity from the editor's JSON. On update, fields absent from
-- the JSON keep their values. Every rule of DESIGN.md §2 is checked; see the codes below.
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

-- publish: draft or closed → published; close: published → closed; cancel: → cancelled, with
-- a reason registrants see; the registrations keep their status (their tickets no longer scan).
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

-- A copy for next time (by default 364 days later: the same weekday), as a draft, with its
-- sessions; no registrations.
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

-- Sessions for the given days, or for the weekdays (ISO: 1 = Monday … 7 = Sunday) between two
-- dates, from start_time to end_time in the union's time zone, each with `capacity` seats.
-- Days that already have a session at that time are skipped; every session lies inside the
-- activity's times.
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

-- My registrations now also carry the activity's cancellation reason (list_my_registrations
-- of the sign-up migration, with 'cancelled_reason' added to the activity).
create or replace function public.list_my_registrations() returns jsonb
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

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.ascii_fold(text),
	private.clean_cell(text),
	private.require_office(),
	private.audit(text, jsonb),
	private.roster_reason_text(text, text),
	private.roster_date(text),
	private.roster_check(jsonb),
	private.import_roster(jsonb, text, boolean, date),
	private.import_units(jsonb, text),
	private.check_import_args(jsonb, text),
	private.staff_role_json(uuid),
	private.grant_role(text, text, text),
	private.revoke_role(uuid),
	private.list_staff(),
	private.on_behalf(uuid, uuid[], uuid, text[], jsonb, boolean),
	private.require_helper_of_members(uuid[]),
	private.require_manager(uuid),
	private.list_registrations(uuid),
	private.admit(private.registrations, private.activities),
	private.decide_registration(uuid, text, text),
	private.move_from_waitlist(uuid),
	private.record_paper_attendance(uuid, date, uuid[]),
	private.questions_problem(jsonb),
	private.activity_admin_json(uuid),
	private.field_error(text),
	private.save_activity(jsonb),
	private.set_activity_status(uuid, text, text),
	private.copy_activity(uuid, integer),
	private.generate_sessions(uuid, time, time, integer, date[], date, date, integer[], text),
	private.update_session(uuid, integer, text),
	private.delete_session(uuid),
	private.list_managed_activities()
from public, anon;
grant execute on function
	private.ascii_fold(text),
	private.clean_cell(text),
	private.require_office(),
	private.audit(text, jsonb),
	private.roster_reason_text(text, text),
	private.roster_date(text),
	private.roster_check(jsonb),
	private.import_roster(jsonb, text, boolean, date),
	private.import_units(jsonb, text),
	private.check_import_args(jsonb, text),
	private.staff_role_json(uuid),
	private.grant_role(text, text, text),
	private.revoke_role(uuid),
	private.list_staff(),
	private.on_behalf(uuid, uuid[], uuid, text[], jsonb, boolean),
	private.require_helper_of_members(uuid[]),
	private.require_manager(uuid),
	private.list_registrations(uuid),
	private.admit(private.registrations, private.activities),
	private.decide_registration(uuid, text, text),
	private.move_from_waitlist(uuid),
	private.record_paper_attendance(uuid, date, uuid[]),
	private.questions_problem(jsonb),
	private.activity_admin_json(uuid),
	private.field_error(text),
	private.save_activity(jsonb),
	private.set_activity_status(uuid, text, text),
	private.copy_activity(uuid, integer),
	private.generate_sessions(uuid, time, time, integer, date[], date, date, integer[], text),
	private.update_session(uuid, integer, text),
	private.delete_session(uuid),
	private.list_managed_activities()
to authenticated, service_role;

revoke all on function
	public.import_roster(jsonb, text, boolean, date),
	public.import_units(jsonb, text),
	public.grant_role(text, text, text),
	public.revoke_role(uuid),
	public.list_staff(),
	public.sign_up_on_behalf(uuid, uuid[], uuid, jsonb, text[]),
	public.cancel_on_behalf(uuid, uuid[]),
	public.list_registrations(uuid),
	public.decide_registration(uuid, text, text),
	public.move_from_waitlist(uuid),
	public.record_paper_attendance(uuid, date, uuid[]),
	public.save_activity(jsonb),
	public.get_activity_admin(uuid),
	public.list_managed_activities(),
	public.publish_activity(uuid),
	public.close_activity(uuid),
	public.cancel_activity(uuid, text),
	public.copy_activity(uuid, integer),
	public.generate_sessions(uuid, time, time, integer, date[], date, date, integer[], text),
	public.update_session(uuid, integer, text),
	public.delete_session(uuid)
from public, anon;
grant execute on function
	public.import_roster(jsonb, text, boolean, date),
	public.import_units(jsonb, text),
	public.grant_role(text, text, text),
	public.revoke_role(uuid),
	public.list_staff(),
	public.sign_up_on_behalf(uuid, uuid[], uuid, jsonb, text[]),
	public.cancel_on_behalf(uuid, uuid[]),
	public.list_registrations(uuid),
	public.decide_registration(uuid, text, text),
	public.move_from_waitlist(uuid),
	public.record_paper_attendance(uuid, date, uuid[]),
	public.save_activity(jsonb),
	public.get_activity_admin(uuid),
	public.list_managed_activities(),
	public.publish_activity(uuid),
	public.close_activity(uuid),
	public.cancel_activity(uuid, text),
	public.copy_activity(uuid, integer),
	public.generate_sessions(uuid, time, time, integer, date[], date, date, integer[], text),
	public.update_session(uuid, integer, text),
	public.delete_session(uuid)
to authenticated, service_role;
