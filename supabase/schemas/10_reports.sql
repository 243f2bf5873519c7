-- Participation figures for the union's work report (docs/figures.md): 人次, 人数, 参与率 by unit,
-- category and month, computed in the database and scoped to the caller: the union office sees
-- the whole union, an organizer only the unit subtrees they organize (also when they pass another
-- unit's id: refused). The exact definitions are in docs/figures.md; supabase/tests/09-reports.test.ts
-- recomputes every figure independently from the raw check-in log.
--
-- Speed: each report within 300 ms on a year of a 20,000-member union (300 activities, 150,000
-- check-ins). Rebuilding the attendances from the append-only check_ins log on every call took
-- ~0.5 s (the undo and review anti-joins, a hash aggregation per activity, day and member, a
-- join to the roster), joining the admitted registrations ~0.2 s, and counting distinct
-- participants by hashing every attendance ~0.1 s; all twice (the period and the year before).
-- So the results are kept as two tables (00_schema.sql), current at every write, and a report is
-- one pass over the period's attendances with small groupings:
--   private.attendances         one row per (activity, day, member) with a counting check-in
--   private.report_admissions   admitted registrations counted per (activity, session, unit)
-- The triggers at the end of this file keep them: on check_ins (a check-in adds to its
-- attendance; an undo recomputes the ones it names), check_in_reviews (recomputes its check-in's
-- attendance), registrations (status, session, activity), members (moving unit; leaving),
-- activities (status, dates, category) and union_settings (time zone). The price on the write
-- path (PostgreSQL 15, one row per statement): ~0.1 ms per new check-in (an upsert, two index
-- look-ups, a lock on the member's roster row so one member's chains are written by one
-- transaction at a time), ~0.06 ms per admitted registration. The reports test also compares the
-- tables with a recomputation.

-- Held activities with an activity-day in [p_start, p_end], and those days clipped to the period.
create function private.report_activities(p_start date, p_end date, p_categories text[])
returns table (
	activity_id uuid,
	title text,
	category text,
	first_day date,
	last_day date,
	starts_at timestamptz,
	eligible_genders text[],
	eligible_member_types text[],
	eligible_unit_ids uuid[]
)
language sql
stable
security definer
set search_path = ''
set jit = off
rows 100
as $$
	select a.id, a.title, a.category,
		greatest((a.starts_at at time zone s.time_zone)::date, p_start),
		least((a.ends_at at time zone s.time_zone)::date, p_end),
		a.starts_at, a.eligible_genders, a.eligible_member_types, a.eligible_unit_ids
	from private.activities a
	cross join private.union_settings s
	where a.status not in ('draft', 'cancelled')
		and (p_categories is null or a.category = any (p_categories))
		and (a.starts_at at time zone s.time_zone)::date <= p_end
		and (a.ends_at at time zone s.time_zone)::date >= p_start
$$;
revoke all on function private.report_activities(date,date,text[]) from public, anon;
grant execute on function private.report_activities(date,date,text[]) to authenticated, service_role;

-- The counting attendances of the held activities in the period: a range read of
-- private.attendances per activity (one row per activity, day and member).
create function private.report_attendance(p_start date, p_end date, p_categories text[])
returns table (activity_id uuid, day date, member_id uuid, guests integer, paper_only boolean)
language sql
stable
security definer
set search_path = ''
set jit = off
rows 10000
as $$
	select t.activity_id, t.day, t.member_id, t.guests, t.paper_only
	from private.report_activities(p_start, p_end, p_categories) a
	join private.attendances t on t.activity_id = a.activity_id and t.day between a.first_day and a.last_day
$$;
revoke all on function private.report_attendance(date,date,text[]) from public, anon;
grant execute on function private.report_attendance(date,date,text[]) to authenticated, service_role;

-- The admitted registration-days of the held activities in the period (see admitted_days).
create function private.report_admitted_days(p_start date, p_end date, p_categories text[])
returns table (registration_id uuid, activity_id uuid, member_id uuid, day date)
language sql
stable
security definer
set search_path = ''
set jit = off
rows 10000
as $$
	with acts as (
		select * from private.report_activities(p_start, p_end, p_categories)
	),
	act_days as (
		select a.activity_id, d::date as day
		from acts a
		cross join lateral generate_series(a.first_day, a.last_day, interval '1 day') d
	),
	tz as (select s.time_zone from private.union_settings s)
	select r.id, r.activity_id, r.member_id, ad.day
	from private.registrations r
	join act_days ad on ad.activity_id = r.activity_id
	left join private.sessions s on s.id = r.session_id
	cross join tz
	where r.status = 'registered'
		and (r.session_id is null or ad.day between (s.starts_at at time zone tz.time_zone)::date
			and (s.ends_at at time zone tz.time_zone)::date)
$$;
revoke all on function private.report_admitted_days(date,date,text[]) from public, anon;
grant execute on function private.report_admitted_days(date,date,text[]) to authenticated, service_role;

-- Every figure of one period (docs/figures.md), for the population of the `roots` subtrees,
-- grouped by 'total' | 'unit' | 'category' | 'month' | 'activity' | 'activity_title'. Keys: ''
-- (total), the unit id (rolled up: a unit's row includes its descendants), the category,
-- 'YYYY-MM', the activity id, the title. The caller has checked the scope. Read from the
-- maintained tables: attendances from private.attendances (one row per activity, day and
-- member, with the unit and the previous-day chains), admitted registrations from
-- private.report_admissions (per activity, session and unit). What is left per call:
-- - one pass over the period's attendances, grouped per (row, unit): attendances, guests and,
--   from the chains, the distinct participants. By activity or title: per activity, and the
--   members of the activities of several days told apart. By total, unit or month of some
--   categories (the chains span all categories): per member;
-- - whether an activity had an attendance in a unit where no admitted registration says so
--   already (the activities figure): one index probe per such (row, unit, activity), usually none;
-- - the headcount per roster class (unit, gender, member type), one pass over the roster.
-- The activities, their days and the rows' keys are worked out first into arrays, so the big
-- statement is planned with exact row counts.
create function private.report_figures(
	p_start date,
	p_end date,
	group_by text,
	roots uuid[],
	p_categories text[],
	basis text
)
returns table (
	group_key text,
	activities integer,
	attendances integer,
	participants integer,
	guest_attendances integer,
	registrations_admitted integer,
	admitted_days integer,
	headcount integer
)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
set work_mem = '64MB'
set enable_mergejoin = off
rows 50
as $function$
declare
	tz text := (select s.time_zone from private.union_settings s);
	whole_union boolean := not exists (select 1 from private.units u where not (u.ancestors && roots));
	-- By total, unit or month over all categories, or by category: participants are counted from
	-- the attendances' previous-day chains in one pass, with no per-member grouping.
	chained boolean := group_by in ('total', 'unit', 'month') and p_categories is null or group_by = 'category';
	-- By activity (or title), the attendances are summed per activity; only the members of
	-- activities of several days (or titles of several activity-days) are told apart.
	by_activity boolean := group_by in ('activity', 'activity_title');
	multi_ids uuid[];
	-- The held activities with a day in the period (sorted by id), their first and last day in
	-- the period, and the key they count under (null by month: the key is the day's month).
	act_ids uuid[];
	act_first date[];
	act_last date[];
	act_key_texts text[];
	act_key_ids integer[];
	act_multi boolean[];
	-- The activity-days in the period with their keys.
	day_acts uuid[];
	day_days date[];
	day_key_texts text[];
	day_key_ids integer[];
	-- The keys (rows) that have activity-days, sorted; key_id = position. multi: more than one
	-- activity-day.
	keys text[];
	key_multi boolean[];
	month_starts date[];
begin
	select coalesce(array_agg(a.id order by a.id), '{}'),
		coalesce(array_agg(greatest((a.starts_at at time zone tz)::date, p_start) order by a.id), '{}'),
		coalesce(array_agg(least((a.ends_at at time zone tz)::date, p_end) order by a.id), '{}'),
		coalesce(array_agg(case group_by
			when 'category' then a.category
			when 'activity' then a.id::text
			when 'activity_title' then a.title
			when 'month' then null
			else ''
		end order by a.id), '{}')
	into act_ids, act_first, act_last, act_key_texts
	from private.activities a
	where a.status not in ('draft', 'cancelled')
		and (p_categories is null or a.category = any (p_categories))
		and (a.starts_at at time zone tz)::date <= p_end
		and (a.ends_at at time zone tz)::date >= p_start;

	select coalesce(array_agg(x.activity_id), '{}'), coalesce(array_agg(d.day), '{}'),
		coalesce(array_agg(coalesce(x.key, to_char(d.day::timestamp, 'YYYY-MM'))), '{}')
	into day_acts, day_days, day_key_texts
	from unnest(act_ids, act_first, act_last, act_key_texts) x (activity_id, first_day, last_day, key)
	cross join lateral (select g::date as day from generate_series(x.first_day, x.last_day, interval '1 day') g) d;

	select coalesce(array_agg(k.key order by k.key), '{}'), coalesce(array_agg(k.n > 1 order by k.key), '{}')
	into keys, key_multi
	from (select k.key, count(*) as n from unnest(day_key_texts) k (key) group by k.key) k;
	if group_by = 'month' then
		month_starts := array(select to_date(k, 'YYYY-MM') from unnest(keys) k);
	end if;
	-- By unit, members are always told apart (their units are needed).
	select coalesce(array_agg(k.i::integer order by x.i), '{}'),
		coalesce(array_agg(coalesce(k.multi, true) or group_by = 'unit' order by x.i), '{}')
	into act_key_ids, act_multi
	from unnest(act_key_texts) with ordinality x (key, i)
	left join unnest(keys, key_multi) with ordinality k (key, multi, i) on k.key = x.key;
	multi_ids := array(select x.id from unnest(act_ids, act_multi) x (id, multi) where x.multi);
	select coalesce(array_agg(k.i::integer order by x.i), '{}')
	into day_key_ids
	from unnest(day_key_texts) with ordinality x (key, i)
	left join unnest(keys) with ordinality k (key, i) on k.key = x.key;

	return query execute $sql$
	with acts as materialized (
		select a.id, a.title, a.category, a.eligible_genders, a.eligible_member_types, a.eligible_unit_ids
		from private.activities a
		where a.id = any ($9)
	),
	key_ids as (
		select k.key, k.key_id::integer as key_id from unnest($17) with ordinality k (key, key_id)
	),
	act_days as (
		select d.activity_id, d.day, d.key_id from unnest($14, $15, $16) d (activity_id, day, key_id)
	),
	scope_units as materialized (
		select u.id, u.ancestors from private.units u where u.ancestors && $4
	),
	-- The units of the scope with members (only they can have registrations or attendances).
	member_units as materialized (
		select su.id from scope_units su where exists (select 1 from private.members m where m.unit_id = su.id)
	),
	-- The attendances of the population on the activity-days of the period, per (key, unit).
	-- Chained ($19): straight from the table, as the valid attendances in the period (by
	-- category, of the chosen categories); a member takes part in a row once: at their first
	-- valid attendance in it, the one with no previous one on or after the row's first day (the
	-- period's start, or the month's), overall or, by category, in the same category.
	att_chained as (
		select case $3 when 'month' then width_bucket(t.day, $18) when 'category' then array_position($17, t.category)
				else 1 end as key_id,
			t.unit_id, count(*) as att, sum(t.guests) as guests,
			count(*) filter (
				where coalesce(case when $3 = 'category' then t.prev_cat_day else t.prev_day end, '-infinity')
					< case when $3 = 'month' then greatest($1, $18[width_bucket(t.day, $18)]) else $1 end
			) as participants
		from private.attendances t
		where $19 and t.valid and t.day between $1 and $2 and ($5::text[] is null or t.category = any ($5))
			and ($8 or t.unit_id in (select su.id from scope_units su))
		group by 1, 2
	),
	-- Not chained: the held activities with their days in the period, key and multi (the key has
	-- more than one activity-day), grouped by id only so that the planner knows the id is unique
	-- and hashes these few rows, not the attendances.
	held as (
		select x.activity_id, min(x.first_day) as first_day, min(x.last_day) as last_day,
			min(x.key_id) as key_id, bool_and(x.multi) as multi
		from unnest($9, $10, $11, $12, $13) x (activity_id, first_day, last_day, key_id, multi)
		where not $19
		group by x.activity_id
	),
	-- By activity or title ($20): the sums per activity, straight from the table (valid: on a day
	-- of the activity), and the members of the keys that can hold a member twice ($21: their
	-- activities), told apart.
	act_sums as (
		select t.activity_id, count(*) as att, sum(t.guests) as guests
		from private.attendances t
		where $20 and t.valid and t.day between $1 and $2 and t.activity_id = any ($9)
			and ($8 or t.unit_id in (select su.id from scope_units su))
		group by t.activity_id
	),
	multi_members as (
		select x.key_id, t.member_id
		from private.attendances t
		join held x on x.activity_id = t.activity_id
		where $20 and t.activity_id = any ($21) and t.valid and t.day between $1 and $2
			and ($8 or t.unit_id in (select su.id from scope_units su))
		group by 1, 2
	),
	-- By total, unit or month of some categories (the chains span all categories): per (key,
	-- member). A key of one activity-day cannot hold a member twice: there the member is left out
	-- (null) and the participants are the attendances. "+ 0" keeps the day range a filter rather
	-- than an index condition the planner would guess as selective.
	att_member as (
		select case when $3 = 'month' then width_bucket(t.day, $18) else x.key_id end as key_id,
			case when x.multi then t.member_id end as member_id,
			count(*) as att, sum(t.guests) as guests
		from private.attendances t
		join held x on x.activity_id = t.activity_id
		where not $19 and not $20 and t.activity_id = any ($9) and t.day + 0 between x.first_day and x.last_day
			and ($8 or t.unit_id in (select su.id from scope_units su))
		group by 1, 2
	),
	att_unit as (
		select a.key_id, a.unit_id, a.att, a.guests, a.participants from att_chained a
		union all
		-- By unit, the members' units; otherwise all units go to the key, and one unit of the
		-- scope stands for all.
		select a.key_id, case when $3 = 'unit' then m.unit_id else $4[1] end, sum(a.att), sum(a.guests),
			sum(case when a.member_id is null then a.att else 1 end)
		from att_member a
		left join private.members m on $3 = 'unit' and m.id = a.member_id
		group by 1, 2
		union all
		select x.key_id, $4[1], sum(a.att), sum(a.guests), sum(case when x.multi then 0 else a.att end)
		from act_sums a join held x on x.activity_id = a.activity_id
		group by x.key_id
		union all
		select m.key_id, $4[1], 0, 0, count(*) from multi_members m group by m.key_id
	),
	-- Admitted registration-days: a session's days, or the activity's days, inside the period,
	-- counted per (activity or session, key), times the admitted registrations per unit.
	act_key_days as (
		select ad.activity_id, ad.key_id, count(*) as ndays, min(ad.day) as first_day, max(ad.day) as last_day
		from act_days ad group by ad.activity_id, ad.key_id
	),
	session_key_days as (
		select s.id as session_id, ad.key_id, count(*) as ndays
		from private.sessions s
		join act_days ad on ad.activity_id = s.activity_id
			and ad.day between (s.starts_at at time zone $7)::date and (s.ends_at at time zone $7)::date
		group by s.id, ad.key_id
	),
	reg_keyed as (
		select akd.key_id, r.activity_id, r.unit_id, r.registrations as regs, r.registrations * akd.ndays as rdays
		from private.report_admissions r
		join act_key_days akd on akd.activity_id = r.activity_id
		where r.session_id is null and r.registrations > 0
			and r.unit_id in (select su.id from scope_units su)
		union all
		select skd.key_id, r.activity_id, r.unit_id, r.registrations, r.registrations * skd.ndays
		from private.report_admissions r
		join session_key_days skd on skd.session_id = r.session_id
		where r.registrations > 0 and r.unit_id in (select su.id from scope_units su)
	),
	-- (key, unit, activity) with an admitted registration, or else with an attendance: the
	-- activities of each row. The others (usually none) are probed by index, an activity-key's
	-- days being one range.
	unregistered as materialized (
		select akd.key_id, su.id as unit_id, akd.activity_id, akd.first_day, akd.last_day
		from act_key_days akd cross join member_units su
		where not exists (
			select 1 from reg_keyed r
			where r.key_id = akd.key_id and r.activity_id = akd.activity_id and r.unit_id = su.id
		)
	),
	act_units as (
		select distinct r.key_id, r.unit_id, r.activity_id from reg_keyed r
		union all
		select c.key_id, c.unit_id, c.activity_id
		from unregistered c
		where exists (
			select 1 from private.attendances t
			where t.activity_id = c.activity_id and t.unit_id = c.unit_id and t.day between c.first_day and c.last_day
		)
	),
	-- The rows of the grouping, with the day their headcount is taken on.
	keys as (
		select '' as key, $2 as end_day where $3 in ('total', 'unit')
		union all
		select distinct a.category, $2 from acts a where $3 = 'category'
		union all
		select to_char(m, 'YYYY-MM'), least((m + interval '1 month - 1 day')::date, $2)
		from generate_series(date_trunc('month', $1::timestamp), $2::timestamp, interval '1 month') m
		where $3 = 'month'
		union all
		select a.id::text, $2 from acts a where $3 = 'activity'
		union all
		select distinct a.title, $2 from acts a where $3 = 'activity_title'
	),
	-- Headcount by roster class (unit, gender, member type) on each distinct last day, so
	-- eligibility is tested per class and key, never per member. One pass over the roster for
	-- any number of last days (13 by month): a member is active on the last days with index in
	-- (a, b], a = last days before active_from, b = last days before active_until.
	end_days as (
		select array_agg(distinct k.end_day order by k.end_day) as e from keys k
	),
	spans as (
		select m.unit_id, m.gender, m.member_type,
			width_bucket(m.active_from - 1, e.e) as a,
			coalesce(width_bucket(m.active_until - 1, e.e), cardinality(e.e)) as b,
			count(*) as n
		from private.members m
		cross join end_days e
		where $8 or m.unit_id in (select su.id from scope_units su)
		group by 1, 2, 3, 4, 5
	),
	day_classes as (
		select e.e[j] as end_day, s.unit_id, s.gender, s.member_type, sum(s.n) as n
		from spans s
		cross join end_days e
		cross join lateral generate_series(s.a + 1, s.b) j
		group by 1, 2, 3, 4
	),
	-- Per key only for the eligible basis (eligibility depends on the key's activities).
	classes as materialized (
		select k.key, c.unit_id, c.gender, c.member_type, c.n
		from keys k join day_classes c on c.end_day = k.end_day
		where $6 = 'eligible'
	),
	key_acts as (
		select distinct k.key, ad.activity_id from act_days ad join key_ids k on k.key_id = ad.key_id
		where $3 not in ('total', 'unit')
		union all
		select '', a.id from acts a where $3 in ('total', 'unit')
	),
	-- The eligibility rules of each row's activities, distinct, so each class is tested against
	-- few rules (a hash semi-join on the key).
	key_rules as materialized (
		select distinct ka.key, a.eligible_genders, a.eligible_member_types, a.eligible_unit_ids
		from key_acts ka join acts a on a.id = ka.activity_id
		where $6 = 'eligible'
	),
	eligible_classes as (
		select c.key, c.unit_id, c.n
		from classes c
		join scope_units su on su.id = c.unit_id
		where exists (
			select 1 from key_rules kr
			where kr.key = c.key
				and (kr.eligible_genders is null or c.gender = any (kr.eligible_genders))
				and (kr.eligible_member_types is null or c.member_type = any (kr.eligible_member_types))
				and (kr.eligible_unit_ids is null or su.ancestors && kr.eligible_unit_ids)
		)
	),
	headcount_unit as (
		select k.key, c.unit_id, c.n
		from keys k
		join (select c.end_day, c.unit_id, sum(c.n) as n from day_classes c group by 1, 2) c on c.end_day = k.end_day
		where $6 = 'unit'
		union all
		select c.key, c.unit_id, sum(c.n) as n
		from eligible_classes c where $6 = 'eligible'
		group by c.key, c.unit_id
	),
	per_unit as (
		select k.key, a.unit_id, a.att, a.participants, a.guests, 0 as regs, 0 as rdays, 0 as hc
		from att_unit a join key_ids k on k.key_id = a.key_id
		union all
		select k.key, r.unit_id, 0, 0, 0, sum(r.regs), sum(r.rdays), 0
		from reg_keyed r join key_ids k on k.key_id = r.key_id
		group by k.key, r.unit_id
		union all
		select h.key, h.unit_id, 0, 0, 0, 0, 0, h.n from headcount_unit h
	),
	-- Roll-up: for 'unit' a unit's figures go to every unit above it inside the scope; for the
	-- other groupings every unit goes to its key.
	targets as (
		select su.id as unit_id, case when $3 = 'unit' then t.id::text end as target
		from scope_units su
		cross join lateral unnest(case when $3 = 'unit' then su.ancestors else array[null::uuid] end) t (id)
		where $3 <> 'unit' or t.id in (select x.id from scope_units x)
	),
	rolled as (
		select coalesce(t.target, pu.key) as key, sum(pu.att) as att, sum(pu.participants) as participants,
			sum(pu.guests) as guests, sum(pu.regs) as regs, sum(pu.rdays) as rdays, sum(pu.hc) as hc
		from per_unit pu join targets t on t.unit_id = pu.unit_id
		group by 1
	),
	rolled_activities as (
		select coalesce(t.target, k.key) as key, count(distinct au.activity_id) as n
		from act_units au
		join key_ids k on k.key_id = au.key_id
		join targets t on t.unit_id = au.unit_id
		group by 1
	),
	out_keys as (
		select su.id::text as key from scope_units su where $3 = 'unit'
		union all
		select k.key from keys k where $3 <> 'unit'
	)
	select k.key,
		coalesce(ra.n, 0)::integer,
		coalesce(r.att, 0)::integer,
		coalesce(r.participants, 0)::integer,
		coalesce(r.guests, 0)::integer,
		coalesce(r.regs, 0)::integer,
		coalesce(r.rdays, 0)::integer,
		coalesce(r.hc, 0)::integer
	from out_keys k
	left join rolled r on r.key = k.key
	left join rolled_activities ra on ra.key = k.key
	$sql$ using p_start, p_end, group_by, roots, p_categories, basis, tz, whole_union,
		act_ids, act_first, act_last, act_key_ids, act_multi, day_acts, day_days, day_key_ids, keys, month_starts,
		chained, by_activity, multi_ids;
end;
$function$;
revoke all on function private.report_figures(date,date,text,uuid[],text[],text) from public, anon;
grant execute on function private.report_figures(date,date,text,uuid[],text[],text) to authenticated, service_role;

-- The unit subtrees the caller may report on: the office any unit (default: the union), an
-- organizer their own subtrees (default: all of them). Anything else is refused.
-- Refuses: unit_not_found (404), not_allowed (403), unit_not_in_scope (403).
create function private.report_roots(target_unit uuid) returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
	perform private.require_member();
	if target_unit is not null and not exists (select 1 from private.units u where u.id = target_unit) then
		perform private.api_error(404, 'unit_not_found', 'No such unit.', '没有找到这个单位。');
	end if;
	if private.is_office() then
		if target_unit is null then
			return array(select u.id from private.units u where u.parent_id is null);
		end if;
		return array[target_unit];
	end if;
	if cardinality(private.scope_unit_ids(array['organizer'])) = 0 then
		perform private.api_error(403, 'not_allowed', 'Only the union office and organizers can see reports.',
			'只有工会办公室和工会干事可以查看统计。');
	end if;
	if target_unit is null then
		return private.scope_unit_ids(array['organizer']);
	end if;
	if not private.unit_in_scope(target_unit, array['organizer']) then
		perform private.api_error(403, 'unit_not_in_scope', 'This unit is outside the units you organize.',
			'该单位不在您负责的范围内。');
	end if;
	return array[target_unit];
end;
$$;
revoke all on function private.report_roots(uuid) from public, anon;
grant execute on function private.report_roots(uuid) to authenticated, service_role;

-- Refuses: period_invalid (400), period_too_long (400).
create function private.report_check_period(period_start date, period_end date) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
	if period_start is null or period_end is null or period_end < period_start then
		perform private.api_error(400, 'period_invalid', 'The period must have a start and an end after it.',
			'请选择有效的统计时段（结束日期不早于开始日期）。');
	end if;
	if period_end - period_start > 3660 then
		perform private.api_error(400, 'period_too_long', 'The period can be at most ten years.',
			'统计时段最长为十年。');
	end if;
end;
$$;
revoke all on function private.report_check_period(date,date) from public, anon;
grant execute on function private.report_check_period(date,date) to authenticated, service_role;

create function private.category_label(category text) returns text
language sql
immutable
set search_path = ''
as $$
	select case category
		when 'sports' then '文体活动' when 'health' then '健康体检' when 'women' then '女职工活动'
		when 'skills' then '技能竞赛' when 'outing' then '外出活动' when 'care' then '关爱帮扶'
		when 'culture' then '文化活动' else '其他'
	end
$$;
revoke all on function private.category_label(text) from public, anon;
grant execute on function private.category_label(text) to authenticated, service_role;

-- Participation figures by 'total' | 'unit' | 'category' | 'month' | 'activity' for the caller's
-- scope (or `unit_id` inside it), with the same figures one year earlier (prev_*).
-- Refuses: group_by_invalid (400), headcount_basis_invalid (400), category_invalid (400).
create function public.report_participation(
	period_start date,
	period_end date,
	group_by text default 'unit',
	unit_id uuid default null,
	categories text[] default null,
	headcount_basis text default 'unit'
)
returns table (
	group_key text,
	group_label text,
	parent_key text,
	depth integer,
	group_date date,
	activities integer,
	attendances integer,
	participants integer,
	guest_attendances integer,
	registrations_admitted integer,
	admitted_days integer,
	show_up_rate numeric,
	headcount integer,
	participation_rate numeric,
	prev_activities integer,
	prev_attendances integer,
	prev_participants integer,
	prev_guest_attendances integer,
	prev_registrations_admitted integer,
	prev_admitted_days integer,
	prev_show_up_rate numeric,
	prev_headcount integer,
	prev_participation_rate numeric
)
language plpgsql
stable
security invoker
set search_path = ''
set jit = off
as $$
declare
	roots uuid[] := private.report_roots(report_participation.unit_id);
	prev_start date := (period_start - interval '1 year')::date;
	prev_end date := (period_end - interval '1 year')::date;
begin
	perform private.report_check_period(period_start, period_end);
	if group_by is null or group_by not in ('total', 'unit', 'category', 'month', 'activity') then
		perform private.api_error(400, 'group_by_invalid', 'Group by total, unit, category, month or activity.',
			'请选择按合计、单位、类别、月份或活动分组。');
	end if;
	if headcount_basis is null or headcount_basis not in ('unit', 'eligible') then
		perform private.api_error(400, 'headcount_basis_invalid', 'The headcount basis is unit or eligible.',
			'职工人数口径须为“单位全体”或“符合条件者”。');
	end if;
	if categories is not null and not (categories <@ array['sports', 'health', 'women', 'skills', 'outing', 'care', 'culture', 'other']) then
		perform private.api_error(400, 'category_invalid', 'Unknown activity category.', '活动类别无效。');
	end if;

	return query
	with cur as (
		select * from private.report_figures(period_start, period_end, group_by, roots, categories, headcount_basis)
	),
	prev as (
		select * from private.report_figures(prev_start, prev_end,
			case when group_by = 'activity' then 'activity_title' else group_by end,
			roots, categories, headcount_basis)
	),
	labelled as (
		select c.*,
			case group_by
				when 'total' then coalesce((select u.name from private.units u where cardinality(roots) = 1 and u.id = roots[1]), '合计')
				when 'unit' then (select u.name from private.units u where u.id = c.group_key::uuid)
				when 'category' then private.category_label(c.group_key)
				when 'month' then to_char(to_date(c.group_key, 'YYYY-MM'), 'FMYYYY"年"FMMM"月"')
				when 'activity' then (select a.title from private.activities a where a.id = c.group_key::uuid)
			end as label,
			case group_by
				when 'unit' then (
					select u.parent_id::text from private.units u
					where u.id = c.group_key::uuid and not (u.id = any (roots))
				)
			end as parent,
			case group_by
				when 'unit' then (select cardinality(u.ancestors) - 1 from private.units u where u.id = c.group_key::uuid)
				else 0
			end as level,
			case group_by
				when 'month' then to_date(c.group_key, 'YYYY-MM')
				when 'activity' then (
					select (a.starts_at at time zone s.time_zone)::date
					from private.activities a cross join private.union_settings s where a.id = c.group_key::uuid
				)
			end as on_date,
			case group_by
				when 'unit' then (
					select string_agg(y.code, '/' order by p.ord)
					from private.units u
					cross join lateral unnest(u.ancestors) with ordinality as p (id, ord)
					join private.units y on y.id = p.id
					where u.id = c.group_key::uuid
				)
				when 'category' then array_position(
					array['sports', 'health', 'women', 'skills', 'outing', 'care', 'culture', 'other'], c.group_key)::text
				else c.group_key
			end as sort_key
		from cur c
	)
	select l.group_key, l.label, l.parent, l.level, l.on_date,
		l.activities, l.attendances, l.participants, l.guest_attendances, l.registrations_admitted,
		l.admitted_days,
		case when l.admitted_days > 0 then round(l.attendances::numeric / l.admitted_days, 4) end,
		l.headcount,
		case when l.headcount > 0 then round(l.participants::numeric / l.headcount, 4) end,
		coalesce(p.activities, 0), coalesce(p.attendances, 0), coalesce(p.participants, 0),
		coalesce(p.guest_attendances, 0), coalesce(p.registrations_admitted, 0), coalesce(p.admitted_days, 0),
		case when p.admitted_days > 0 then round(p.attendances::numeric / p.admitted_days, 4) end,
		coalesce(p.headcount, 0),
		case when p.headcount > 0 then round(p.participants::numeric / p.headcount, 4) end
	from labelled l
	left join prev p on p.group_key = case group_by
		when 'month' then to_char(to_date(l.group_key, 'YYYY-MM') - interval '1 year', 'YYYY-MM')
		when 'activity' then l.label
		else l.group_key
	end
	order by case when group_by = 'category' then lpad(l.sort_key, 3, '0') else l.sort_key end,
		l.on_date, l.label;
end;
$$;
revoke all on function public.report_participation(date,date,text,uuid,text[],text) from public, anon;
grant execute on function public.report_participation(date,date,text,uuid,text[],text) to authenticated, service_role;

-- The people behind a figure, scoped like report_participation: figure 'attendances' (one row per
-- member, activity and day), 'participants' (one row per member, with their attendance count),
-- 'registrations' (admitted registrations) or 'headcount' (members active on the period's last
-- day). group_by/group_key narrow it to one row of report_participation (unit id, category,
-- 'YYYY-MM' or activity id). At most row_limit rows.
-- Refuses: figure_invalid (400), group_by_invalid (400), group_key_required (400),
--  group_key_invalid (400), unit_not_in_scope (403).
create function public.report_drilldown(
	period_start date,
	period_end date,
	figure text default 'attendances',
	group_by text default 'total',
	group_key text default null,
	unit_id uuid default null,
	categories text[] default null,
	row_limit integer default 5000
)
returns table (
	member_id uuid,
	employee_no text,
	member_name text,
	member_unit_id uuid,
	member_unit_name text,
	activity_id uuid,
	activity_title text,
	day date,
	guests integer,
	paper boolean,
	attendances integer
)
language plpgsql
stable
security invoker
set search_path = ''
set jit = off
as $$
declare
	target_unit uuid := report_drilldown.unit_id;
	roots uuid[];
	p_start date := period_start;
	p_end date := period_end;
	only_activity uuid;
	only_categories text[] := categories;
begin
	perform private.report_check_period(period_start, period_end);
	if figure is null or figure not in ('attendances', 'participants', 'registrations', 'headcount') then
		perform private.api_error(400, 'figure_invalid', 'Drill into attendances, participants, registrations or headcount.',
			'请选择人次、人数、报名或职工人数。');
	end if;
	if group_by is null or group_by not in ('total', 'unit', 'category', 'month', 'activity') then
		perform private.api_error(400, 'group_by_invalid', 'Group by total, unit, category, month or activity.',
			'请选择按合计、单位、类别、月份或活动分组。');
	end if;
	if group_by <> 'total' and group_key is null then
		perform private.api_error(400, 'group_key_required', 'Choose the row to drill into.', '请选择要查看的行。');
	end if;
	begin
		case group_by
			when 'unit' then target_unit := group_key::uuid;
			when 'category' then only_categories := array[group_key];
			when 'month' then
				p_start := greatest(period_start, to_date(group_key, 'YYYY-MM'));
				p_end := least(period_end, (to_date(group_key, 'YYYY-MM') + interval '1 month - 1 day')::date);
			when 'activity' then only_activity := group_key::uuid;
			else null;
		end case;
	exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow then
		perform private.api_error(400, 'group_key_invalid', 'Unknown row.', '没有这一行。');
	end;
	-- A unit row must lie inside the unit asked for (or the caller's scope): report_roots checks.
	if group_by = 'unit' and report_drilldown.unit_id is not null and not exists (
		select 1 from private.units u where u.id = target_unit and report_drilldown.unit_id = any (u.ancestors)
	) then
		perform private.api_error(403, 'unit_not_in_scope', 'This unit is outside the units you organize.',
			'该单位不在您负责的范围内。');
	end if;
	roots := private.report_roots(target_unit);
	row_limit := least(greatest(coalesce(row_limit, 5000), 1), 50000);

	return query
	select * from private.report_people(p_start, p_end, figure, roots, only_categories, only_activity, row_limit);
end;
$$;
revoke all on function public.report_drilldown(date,date,text,text,text,uuid,text[],integer) from public, anon;
grant execute on function public.report_drilldown(date,date,text,text,text,uuid,text[],integer) to authenticated, service_role;

-- The people behind a figure (see public.report_drilldown), at most row_limit rows in the order
-- the drill-down shows them (activity title, day, name, 工号). The limit is applied inside,
-- so a drill-down reads what it returns: attendances activity-day by activity-day in that
-- order, participants and headcount member by member in name order, each stopping at the limit,
-- instead of building and sorting every row first.
create function private.report_people(
	p_start date,
	p_end date,
	figure text,
	roots uuid[],
	p_categories text[],
	only_activity uuid,
	row_limit integer
)
returns table (
	member_id uuid,
	employee_no text,
	member_name text,
	member_unit_id uuid,
	member_unit_name text,
	activity_id uuid,
	activity_title text,
	day date,
	guests integer,
	paper boolean,
	attendances integer
)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
rows 1000
as $$
begin
	if figure = 'attendances' then
		return query
		with acts as materialized (
			select a.activity_id, a.title, a.first_day, a.last_day
			from private.report_activities(p_start, p_end, p_categories) a
			where only_activity is null or a.activity_id = only_activity
		),
		slots as materialized (
			select distinct a.title, d::date as day
			from acts a cross join lateral generate_series(a.first_day, a.last_day, interval '1 day') d
		),
		scope as materialized (
			select u.id, u.name from private.units u where u.ancestors && roots
		)
		select r.id, r.employee_no, r.name, r.unit_id, r.unit_name, r.activity_id, r.title, r.day, r.guests,
			r.paper_only, 1
		from (select s.title, s.day from slots s order by s.title, s.day) s
		cross join lateral (
			select m.id, m.employee_no, m.name, m.unit_id, u.name as unit_name, x.activity_id, x.title, t.day,
				t.guests, t.paper_only
			from acts x
			join private.attendances t on t.activity_id = x.activity_id and t.day = s.day
			join scope u on u.id = t.unit_id
			join private.members m on m.id = t.member_id
			where x.title = s.title and s.day between x.first_day and x.last_day
			order by m.name, m.employee_no
			limit row_limit
		) r
		order by s.title, s.day, r.name, r.employee_no
		limit row_limit;
	elsif figure in ('participants', 'headcount') then
		-- Member by member in name order, each member's attendances in the period read by index,
		-- until the limit: valid attendances are those of held activities, on their days.
		return query
		with scope as materialized (
			select u.id, u.name from private.units u where u.ancestors && roots
		)
		select m.id, m.employee_no, m.name, m.unit_id, u.name, null::uuid, null::text, null::date,
			case when figure = 'participants' then t.guests::integer else 0 end,
			case when figure = 'participants' then t.paper else false end, t.n::integer
		from private.members m
		join scope u on u.id = m.unit_id
		cross join lateral (
			select count(*) as n, sum(x.guests) as guests, bool_and(x.paper_only) as paper
			from private.attendances x
			where x.member_id = m.id and x.day between p_start and p_end and x.valid
				and (p_categories is null or x.category = any (p_categories))
				and (only_activity is null or x.activity_id = only_activity)
		) t
		where case when figure = 'participants' then t.n > 0
			else m.active_from <= p_end and (m.active_until is null or p_end < m.active_until) end
		order by m.name, m.employee_no
		limit row_limit;
	elsif figure = 'registrations' then
		-- Admitted registrations of the activities with admitted registration-days in the period
		-- (as private.report_admitted_days: no session, or a session with a day in the period).
		return query
		with tz as (select s.time_zone from private.union_settings s),
		acts as materialized (
			select a.activity_id, a.title, a.first_day, a.last_day
			from private.report_activities(p_start, p_end, p_categories) a
			where (only_activity is null or a.activity_id = only_activity)
				and exists (
					select 1 from private.registrations r
					left join private.sessions s on s.id = r.session_id
					cross join tz
					where r.activity_id = a.activity_id and r.status = 'registered'
						and (r.session_id is null or ((s.starts_at at time zone tz.time_zone)::date <= a.last_day
							and (s.ends_at at time zone tz.time_zone)::date >= a.first_day))
				)
		),
		scope as materialized (
			select u.id, u.name from private.units u where u.ancestors && roots
		)
		select m.id, m.employee_no, m.name, m.unit_id, u.name, a.activity_id, a.title, null::date,
			cardinality(r.guest_names), false,
			(select count(*)::integer from private.attendances x
				where x.activity_id = r.activity_id and x.member_id = r.member_id
					and x.day between a.first_day and a.last_day)
		from acts a
		join private.registrations r on r.activity_id = a.activity_id and r.status = 'registered'
		join private.members m on m.id = r.member_id
		join scope u on u.id = m.unit_id
		order by a.title, m.name, m.employee_no
		limit row_limit;
	end if;
end;
$$;
revoke all on function private.report_people(date,date,text,uuid[],text[],uuid,integer) from public, anon;
grant execute on function private.report_people(date,date,text,uuid[],text[],uuid,integer) to authenticated, service_role;

-- A paragraph in Chinese for the yearly work report, from the same figures as
-- report_participation(..., 'total'): e.g. "2027年，工会共组织活动12项，职工参加855人次、412人，
-- 职工参与率64.4%……与上年相比，参加人次增加12.3%……".
-- Refuses: year_invalid (400).
create function public.report_summary_text(year integer, unit_id uuid default null) returns text
language plpgsql
stable
security invoker
set search_path = ''
set jit = off
as $$
declare
	roots uuid[] := private.report_roots(report_summary_text.unit_id);
	first_day date;
	cur record;
	prev record;
	subject text;
	is_union boolean;
	result text;
begin
	if year is null or year < 2000 or year > 2100 then
		perform private.api_error(400, 'year_invalid', 'Choose a year.', '请选择年份。');
	end if;
	first_day := make_date(year, 1, 1);
	select * into cur from private.report_figures(first_day, make_date(year, 12, 31), 'total', roots, null, 'unit');
	select * into prev from private.report_figures(make_date(year - 1, 1, 1), make_date(year - 1, 12, 31), 'total', roots, null, 'unit');
	is_union := exists (select 1 from private.units u where u.id = any (roots) and u.parent_id is null);
	subject := case
		when is_union then '工会'
		else (select string_agg(u.name, '、' order by u.code) from private.units u where u.id = any (roots))
	end;

	result := format('%s年，%s%s活动%s项，职工参加%s人次、%s人', year, subject,
		case when is_union then '共组织' else '职工共参加' end,
		cur.activities, cur.attendances, cur.participants);
	if cur.headcount > 0 then
		result := result || format('，职工参与率%s%%', private.percent_text(cur.participants::numeric / cur.headcount));
	end if;
	if cur.admitted_days > 0 then
		result := result || format('，到场率%s%%', private.percent_text(cur.attendances::numeric / cur.admitted_days));
	end if;
	if cur.guest_attendances > 0 then
		result := result || format('；另有家属参加%s人次', cur.guest_attendances);
	end if;
	result := result || '。';
	if prev.attendances > 0 or prev.participants > 0 then
		result := result || format('与上年相比，参加人次%s（上年%s人次），参与人数%s（上年%s人）',
			private.change_text(cur.attendances, prev.attendances), prev.attendances,
			private.change_text(cur.participants, prev.participants), prev.participants);
		if cur.headcount > 0 and prev.headcount > 0 then
			result := result || format('，参与率%s（上年%s%%）',
				private.points_text(cur.participants::numeric / cur.headcount, prev.participants::numeric / prev.headcount),
				private.percent_text(prev.participants::numeric / prev.headcount));
		end if;
		result := result || '。';
	else
		result := result || '上年无可比数据。';
	end if;
	return result;
end;
$$;
revoke all on function public.report_summary_text(integer,uuid) from public, anon;
grant execute on function public.report_summary_text(integer,uuid) to authenticated, service_role;

-- 0.6444 → '64.4'
create function private.percent_text(fraction numeric) returns text
language sql
immutable
set search_path = ''
as $$
	select to_char(round(fraction * 100, 1), 'FM999990.0')
$$;
revoke all on function private.percent_text(numeric) from public, anon;
grant execute on function private.percent_text(numeric) to authenticated, service_role;

-- '增加12.3%' | '减少5.0%' | '持平'
create function private.change_text(now_value integer, before_value integer) returns text
language sql
immutable
set search_path = ''
as $$
	select case
		when before_value = 0 then case when now_value = 0 then '持平' else '增加' || now_value::text end
		when now_value > before_value then '增加' || private.percent_text((now_value - before_value)::numeric / before_value) || '%'
		when now_value < before_value then '减少' || private.percent_text((before_value - now_value)::numeric / before_value) || '%'
		else '持平'
	end
$$;
revoke all on function private.change_text(integer,integer) from public, anon;
grant execute on function private.change_text(integer,integer) to authenticated, service_role;

-- '提高3.2个百分点' | '下降1.0个百分点' | '持平'
create function private.points_text(now_rate numeric, before_rate numeric) returns text
language sql
immutable
set search_path = ''
as $$
	select case
		when round(now_rate * 100, 1) > round(before_rate * 100, 1)
			then '提高' || private.percent_text(now_rate - before_rate) || '个百分点'
		when round(now_rate * 100, 1) < round(before_rate * 100, 1)
			then '下降' || private.percent_text(before_rate - now_rate) || '个百分点'
		else '持平'
	end
$$;
revoke all on function private.points_text(numeric,numeric) from public, anon;
grant execute on function private.points_text(numeric,numeric) to authenticated, service_role;

-- What the derived columns of every attendance should be: valid (the activity is not draft or
-- cancelled, and the day is one of its days in the union's time zone), the activity's category,
-- and the member's previous valid day overall and in the same category (ordered by day, then
-- activity). Also what the tests compare the table with.
create function private.attendances_chains()
returns table (activity_id uuid, day date, member_id uuid, category text, valid boolean, prev_day date,
	prev_cat_day date)
language sql
stable
security definer
set search_path = ''
as $$
	with r as (
		select t.activity_id, t.day, t.member_id, a.category,
			a.status not in ('draft', 'cancelled')
				and t.day between (a.starts_at at time zone s.time_zone)::date and (a.ends_at at time zone s.time_zone)::date
				as valid
		from private.attendances t
		join private.activities a on a.id = t.activity_id
		cross join private.union_settings s
	)
	select r.activity_id, r.day, r.member_id, r.category, r.valid,
		case when r.valid then lag(r.day) over (partition by r.member_id, r.valid order by r.day, r.activity_id) end,
		case when r.valid then lag(r.day) over (partition by r.member_id, r.valid, r.category order by r.day, r.activity_id) end
	from r
$$;
revoke all on function private.attendances_chains() from public, anon;

-- Brings the derived columns of some members' attendances (null: everyone's, when the time zone
-- changed) up to date, as private.attendances_chains() says. Writes for one member take turns
-- here (the member's roster row is locked to the end of the transaction), so each sees the
-- other's rows; different members never wait.
create function private.attendances_rechain(target_members uuid[]) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
	if target_members is null then
		lock table private.attendances in share row exclusive mode;
		update private.attendances t
		set category = c.category, valid = c.valid, prev_day = c.prev_day, prev_cat_day = c.prev_cat_day
		from private.attendances_chains() c
		where t.activity_id = c.activity_id and t.day = c.day and t.member_id = c.member_id
			and (t.category, t.valid, t.prev_day, t.prev_cat_day)
				is distinct from (c.category, c.valid, c.prev_day, c.prev_cat_day);
		return;
	end if;
	perform 1 from private.members m where m.id = any (target_members) order by m.id for no key update;
	-- The same as private.attendances_chains(), for these members (by index).
	with r as (
		select t.activity_id, t.day, t.member_id, a.category,
			a.status not in ('draft', 'cancelled')
				and t.day between (a.starts_at at time zone s.time_zone)::date and (a.ends_at at time zone s.time_zone)::date
				as valid
		from private.attendances t
		join private.activities a on a.id = t.activity_id
		cross join private.union_settings s
		where t.member_id = any (target_members)
	),
	c as (
		select r.activity_id, r.day, r.member_id, r.category, r.valid,
			case when r.valid then lag(r.day) over (partition by r.member_id, r.valid order by r.day, r.activity_id) end
				as prev_day,
			case when r.valid then lag(r.day) over (partition by r.member_id, r.valid, r.category order by r.day, r.activity_id) end
				as prev_cat_day
		from r
	)
	update private.attendances t
	set category = c.category, valid = c.valid, prev_day = c.prev_day, prev_cat_day = c.prev_cat_day
	from c
	where t.member_id = any (target_members)
		and t.activity_id = c.activity_id and t.day = c.day and t.member_id = c.member_id
		and (t.category, t.valid, t.prev_day, t.prev_cat_day)
			is distinct from (c.category, c.valid, c.prev_day, c.prev_cat_day);
end;
$$;
revoke all on function private.attendances_rechain(uuid[]) from public, anon;

-- Recomputes the attendances of some (activity, day, member) keys from the log, by the rule of
-- private.live_check_ins: for undo rows and reviews, which can take a check-in away.
create function private.attendances_refresh(activity_ids uuid[], days date[], member_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
	-- Two undos (or an undo and a review) of one member's check-ins at once must not each write a
	-- result computed without the other: they take turns on the member (as new attendances do).
	perform 1 from private.members m where m.id = any (member_ids) order by m.id for no key update;

	delete from private.attendances t
	using unnest(activity_ids, days, member_ids) k (activity_id, day, member_id)
	where t.activity_id = k.activity_id and t.day = k.day and t.member_id = k.member_id;

	insert into private.attendances (activity_id, day, member_id, unit_id, guests, paper_only)
	select c.activity_id, c.day, c.member_id, m.unit_id, max(c.guests_checked_in), bool_and(c.kind = 'paper')
	from (select distinct * from unnest(activity_ids, days, member_ids)) k (activity_id, day, member_id)
	join private.check_ins c on c.activity_id = k.activity_id and c.member_id = k.member_id and c.day = k.day
	join private.members m on m.id = c.member_id
	where c.kind in ('scan', 'manual', 'walk_in', 'paper')
		and not exists (
			select 1 from private.check_ins u
			where u.activity_id = c.activity_id and u.kind = 'undo' and c.id = any (u.undoes)
		)
		and not exists (
			select 1 from private.check_in_reviews r
			where r.check_in_id = c.id and r.decision = 'reversed'
				and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
		)
	group by c.activity_id, c.day, c.member_id, m.unit_id;

	perform private.attendances_rechain(array(select distinct x.id from unnest(member_ids) x (id)));
end;
$$;
revoke all on function private.attendances_refresh(uuid[],date[],uuid[]) from public, anon;

-- New check-ins (one per statement from the app; many at once from imports and the bench):
-- - a counting check-in adds to its (activity, day, member) attendance: the most guests, and
--   paper-only while every counting check-in is from paper. An undo that overtook the check-in
--   (stored first) keeps it from counting; a new check-in cannot have been reviewed yet.
--   One at a time this does the least: one upsert, and a duplicate scan stops there; a new
--   attendance takes its place in the member's chains by two index look-ups, and the next valid
--   attendance after it (when it came in out of order: paper, a phone syncing late) now has it
--   as previous. Several at once (a phone's batch, an import), the new attendances are written
--   in one statement with their members' chains worked out (no row written twice);
-- - an undo recomputes the attendances of the check-ins of its activity it names.
create function private.check_ins_attendances() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
	counting integer;
	undoing boolean;
	ci record;
	counts boolean;
	cat text;
	added boolean;
	activity_ids uuid[];
	days date[];
	member_ids uuid[];
begin
	select count(*) filter (where i.kind in ('scan', 'manual', 'walk_in', 'paper') and i.member_id is not null),
		bool_or(i.kind = 'undo')
	into counting, undoing
	from inserted i;

	if counting > 1 then
		-- One member's chains are written by one transaction at a time (see attendances_rechain).
		perform 1 from private.members m
		where m.id in (
			select i.member_id from inserted i
			where i.kind in ('scan', 'manual', 'walk_in', 'paper') and i.member_id is not null
		)
		order by m.id
		for no key update;
		-- Attendances that exist already take the new guests and paper marks.
		with n as (
			select i.activity_id, i.day, i.member_id, max(i.guests_checked_in) as guests,
				bool_and(i.kind = 'paper') as paper_only
			from inserted i
			where i.kind in ('scan', 'manual', 'walk_in', 'paper') and i.member_id is not null
				and not exists (
					select 1 from private.check_ins u
					where u.activity_id = i.activity_id and u.kind = 'undo' and i.id = any (u.undoes)
				)
			group by i.activity_id, i.day, i.member_id
		)
		update private.attendances t
		set guests = greatest(t.guests, n.guests), paper_only = t.paper_only and n.paper_only
		from n
		where t.activity_id = n.activity_id and t.day = n.day and t.member_id = n.member_id
			and (n.guests > t.guests or (t.paper_only and not n.paper_only));
		-- New ones are inserted with their members' chains recomputed (as attendances_chains()).
		with n as (
			select i.activity_id, i.day, i.member_id, max(i.guests_checked_in) as guests,
				bool_and(i.kind = 'paper') as paper_only
			from inserted i
			where i.kind in ('scan', 'manual', 'walk_in', 'paper') and i.member_id is not null
				and not exists (
					select 1 from private.check_ins u
					where u.activity_id = i.activity_id and u.kind = 'undo' and i.id = any (u.undoes)
				)
				and not exists (
					select 1 from private.attendances t
					where t.activity_id = i.activity_id and t.day = i.day and t.member_id = i.member_id
				)
			group by i.activity_id, i.day, i.member_id
		),
		r as (
			select t.activity_id, t.day, t.member_id, false as fresh, t.category as old_category, t.valid as old_valid,
				t.prev_day as old_prev_day, t.prev_cat_day as old_prev_cat_day
			from private.attendances t
			where t.member_id in (select n.member_id from n)
			union all
			select n.activity_id, n.day, n.member_id, true, null, null, null, null from n
		),
		v as (
			select r.*, a.category,
				a.status not in ('draft', 'cancelled')
					and r.day between (a.starts_at at time zone s.time_zone)::date and (a.ends_at at time zone s.time_zone)::date
					as valid
			from r
			join private.activities a on a.id = r.activity_id
			cross join private.union_settings s
		),
		c as (
			select v.*,
				case when v.valid then lag(v.day) over (partition by v.member_id, v.valid order by v.day, v.activity_id) end
					as prev_day,
				case when v.valid then lag(v.day) over (partition by v.member_id, v.valid, v.category order by v.day, v.activity_id) end
					as prev_cat_day
			from v
		),
		fresh_rows as (
			insert into private.attendances (activity_id, day, member_id, unit_id, guests, paper_only, category, valid,
				prev_day, prev_cat_day)
			select c.activity_id, c.day, c.member_id, m.unit_id, n.guests, n.paper_only, c.category, c.valid, c.prev_day,
				c.prev_cat_day
			from c
			join n on n.activity_id = c.activity_id and n.day = c.day and n.member_id = c.member_id
			join private.members m on m.id = c.member_id
			where c.fresh
		)
		update private.attendances t
		set category = c.category, valid = c.valid, prev_day = c.prev_day, prev_cat_day = c.prev_cat_day
		from c
		where not c.fresh and t.activity_id = c.activity_id and t.day = c.day and t.member_id = c.member_id
			and (c.old_category, c.old_valid, c.old_prev_day, c.old_prev_cat_day)
				is distinct from (c.category, c.valid, c.prev_day, c.prev_cat_day);
	elsif counting = 1 then
		for ci in
			select i.id, i.activity_id, i.day, i.member_id, i.kind, i.guests_checked_in
			from inserted i
			where i.kind in ('scan', 'manual', 'walk_in', 'paper') and i.member_id is not null
			order by i.member_id
		loop
			select a.status not in ('draft', 'cancelled')
					and ci.day between (a.starts_at at time zone s.time_zone)::date and (a.ends_at at time zone s.time_zone)::date,
				a.category
			into counts, cat
			from private.activities a
			cross join private.union_settings s
			where a.id = ci.activity_id;
			-- One member's chains are written by one transaction at a time (see attendances_rechain).
			perform 1 from private.members m where m.id = ci.member_id for no key update;

			insert into private.attendances as t (activity_id, day, member_id, unit_id, guests, paper_only, category,
				valid, prev_day, prev_cat_day)
			select ci.activity_id, ci.day, ci.member_id, m.unit_id, ci.guests_checked_in, ci.kind = 'paper', cat, counts,
				case when counts then (
					select p.day from private.attendances p
					where p.member_id = ci.member_id and (p.day, p.activity_id) < (ci.day, ci.activity_id) and p.valid
					order by p.day desc, p.activity_id desc limit 1
				) end,
				case when counts then (
					select p.day from private.attendances p
					where p.member_id = ci.member_id and (p.day, p.activity_id) < (ci.day, ci.activity_id) and p.valid
						and p.category = cat
					order by p.day desc, p.activity_id desc limit 1
				) end
			from private.members m
			where m.id = ci.member_id
				and not exists (
					select 1 from private.check_ins u
					where u.activity_id = ci.activity_id and u.kind = 'undo' and ci.id = any (u.undoes)
				)
			on conflict (activity_id, day, member_id) do update
			set guests = greatest(t.guests, excluded.guests), paper_only = t.paper_only and excluded.paper_only
			-- A duplicate scan changes nothing: no new row version.
			where excluded.guests > t.guests or (t.paper_only and not excluded.paper_only)
			returning t.xmax = 0 into added;

			if added and counts then
				update private.attendances t set prev_day = ci.day
				where (t.activity_id, t.day, t.member_id) = (
						select x.activity_id, x.day, x.member_id from private.attendances x
						where x.member_id = ci.member_id and (x.day, x.activity_id) > (ci.day, ci.activity_id) and x.valid
						order by x.day, x.activity_id limit 1
					)
					and t.prev_day is distinct from ci.day;
				update private.attendances t set prev_cat_day = ci.day
				where (t.activity_id, t.day, t.member_id) = (
						select x.activity_id, x.day, x.member_id from private.attendances x
						where x.member_id = ci.member_id and (x.day, x.activity_id) > (ci.day, ci.activity_id) and x.valid
							and x.category = cat
						order by x.day, x.activity_id limit 1
					)
					and t.prev_cat_day is distinct from ci.day;
			end if;
			added := false;
		end loop;
	end if;

	if undoing then
		select array_agg(c.activity_id), array_agg(c.day), array_agg(c.member_id)
		into activity_ids, days, member_ids
		from private.check_ins c
		join inserted u on u.kind = 'undo' and c.activity_id = u.activity_id and c.id = any (u.undoes)
		where c.member_id is not null and c.kind in ('scan', 'manual', 'walk_in', 'paper');
		if activity_ids is not null then
			perform private.attendances_refresh(activity_ids, days, member_ids);
		end if;
	end if;
	return null;
end;
$$;
revoke all on function private.check_ins_attendances() from public, anon;

-- A review decision (reversed, or confirmed again later) recomputes its check-in's attendance.
create function private.check_in_reviews_attendance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
	activity_ids uuid[];
	days date[];
	member_ids uuid[];
begin
	select array_agg(c.activity_id), array_agg(c.day), array_agg(c.member_id)
	into activity_ids, days, member_ids
	from private.check_ins c
	where c.id in (
			select case when tg_op = 'DELETE' then old.check_in_id else new.check_in_id end
			union
			select case when tg_op = 'UPDATE' then old.check_in_id end
		)
		and c.member_id is not null and c.kind in ('scan', 'manual', 'walk_in', 'paper');
	if activity_ids is not null then
		perform private.attendances_refresh(activity_ids, days, member_ids);
	end if;
	return null;
end;
$$;
revoke all on function private.check_in_reviews_attendance() from public, anon;

-- An activity cancelled (or back), moved to other days or to another category: which of its
-- attendances count, and their members' chains, change.
create function private.activities_rechain_attendances() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
	perform private.attendances_rechain(array(
		select distinct t.member_id from private.attendances t where t.activity_id = new.id
	));
	return null;
end;
$$;
revoke all on function private.activities_rechain_attendances() from public, anon;

-- The union's time zone decides the activity-days: every chain is recomputed.
create function private.union_settings_rechain_attendances() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
	perform private.attendances_rechain(null);
	return null;
end;
$$;
revoke all on function private.union_settings_rechain_attendances() from public, anon;

-- Adds `delta` admitted registrations to (activity, session, unit). Decrements only update, so
-- a row the activity's cascade already removed stays removed.
create function private.report_admissions_add(target_activity uuid, target_session uuid, target_unit uuid, delta integer)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
	if delta > 0 then
		insert into private.report_admissions as t (activity_id, session_id, unit_id, registrations)
		values (target_activity, target_session, target_unit, delta)
		on conflict (activity_id, session_key, unit_id) do update set registrations = t.registrations + excluded.registrations;
	elsif delta < 0 then
		update private.report_admissions t set registrations = t.registrations + delta
		where t.activity_id = target_activity and t.session_key = coalesce(target_session, target_activity)
			and t.unit_id = target_unit;
	end if;
end;
$$;
revoke all on function private.report_admissions_add(uuid,uuid,uuid,integer) from public, anon;

-- Admitted registrations counted as they come and go: fires only when an admitted registration
-- appears, disappears or changes its activity, session or member (the when clauses; a waitlisted
-- sign-up costs nothing). Sign-ups of one activity already queue on the activity's row (they lock
-- it first), so this adds no waiting. The unit is the member's current one; a member deleted in
-- this transaction was taken off already (private.members_delete_report_rows) and is not found
-- here. Decrements only update, so a row the activity's cascade removed stays removed.
create function private.registrations_report_admissions() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
	if tg_op in ('UPDATE', 'DELETE') and old.status = 'registered' then
		update private.report_admissions t set registrations = t.registrations - 1
		from private.members m
		where m.id = old.member_id and t.activity_id = old.activity_id
			and t.session_key = coalesce(old.session_id, old.activity_id) and t.unit_id = m.unit_id;
	end if;
	if tg_op in ('INSERT', 'UPDATE') and new.status = 'registered' then
		insert into private.report_admissions as t (activity_id, session_id, unit_id, registrations)
		select new.activity_id, new.session_id, m.unit_id, 1 from private.members m where m.id = new.member_id
		on conflict (activity_id, session_key, unit_id) do update set registrations = t.registrations + 1;
	end if;
	return null;
end;
$$;
revoke all on function private.registrations_report_admissions() from public, anon;

-- A member moved to another unit: their attendances and admitted registrations count there now.
create function private.members_move_report_rows() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
	update private.attendances t set unit_id = new.unit_id where t.member_id = new.id;
	perform private.report_admissions_add(r.activity_id, r.session_id, old.unit_id, -count(*)::integer),
		private.report_admissions_add(r.activity_id, r.session_id, new.unit_id, count(*)::integer)
	from private.registrations r
	where r.member_id = new.id and r.status = 'registered'
	group by r.activity_id, r.session_id;
	return null;
end;
$$;
revoke all on function private.members_move_report_rows() from public, anon;

-- A member deleted: their admitted registrations go with them (cascade), after the member row,
-- when their unit can no longer be looked up; take them off here.
create function private.members_delete_report_rows() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
	perform private.report_admissions_add(r.activity_id, r.session_id, old.unit_id, -count(*)::integer)
	from private.registrations r
	where r.member_id = old.id and r.status = 'registered'
	group by r.activity_id, r.session_id;
	return old;
end;
$$;
revoke all on function private.members_delete_report_rows() from public, anon;

-- ===========================================================================================
-- Section: triggers that keep the read models current
-- ===========================================================================================

create trigger check_ins_attendances
after insert on private.check_ins
referencing new table as inserted
for each statement execute function private.check_ins_attendances();

create trigger check_in_reviews_attendance
after insert or update or delete on private.check_in_reviews
for each row execute function private.check_in_reviews_attendance();

create trigger activities_rechain_attendances
after update of status, starts_at, ends_at, category on private.activities
for each row
when ((old.status in ('draft', 'cancelled')) is distinct from (new.status in ('draft', 'cancelled'))
	or old.starts_at is distinct from new.starts_at or old.ends_at is distinct from new.ends_at
	or old.category is distinct from new.category)
execute function private.activities_rechain_attendances();

create trigger union_settings_rechain_attendances
after update of time_zone on private.union_settings
for each row when (old.time_zone is distinct from new.time_zone)
execute function private.union_settings_rechain_attendances();

create trigger registrations_report_admissions_insert
after insert on private.registrations
for each row when (new.status = 'registered')
execute function private.registrations_report_admissions();

create trigger registrations_report_admissions_update
after update of status, session_id, activity_id, member_id on private.registrations
for each row
when ((old.status = 'registered' or new.status = 'registered')
	and (old.status is distinct from new.status or old.session_id is distinct from new.session_id
		or old.activity_id is distinct from new.activity_id or old.member_id is distinct from new.member_id))
execute function private.registrations_report_admissions();

create trigger registrations_report_admissions_delete
after delete on private.registrations
for each row when (old.status = 'registered')
execute function private.registrations_report_admissions();

create trigger members_move_report_rows
after update of unit_id on private.members
for each row when (old.unit_id is distinct from new.unit_id)
execute function private.members_move_report_rows();

create trigger members_delete_report_rows
before delete on private.members
for each row execute function private.members_delete_report_rows();
