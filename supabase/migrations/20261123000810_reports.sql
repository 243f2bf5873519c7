-- Participation figures for the union's work report (DESIGN.md §7), computed in the database and
-- scoped to the caller: the union office sees the whole union, an organizer only the unit
-- subtrees they organize (also when they pass another unit's id: refused).
--
-- Exact definitions, used by every function here (and recomputed independently in TypeScript by
-- supabase/tests/09-reports.test.ts):
--
-- Activities that count ("held activities"): status not 'draft' and not 'cancelled', in the
--   chosen categories, with at least one activity-day inside the period. Activity-days are the
--   calendar days from starts_at to ends_at in the union's time zone; only the days inside the
--   period count.
-- Check-ins that count: kind scan, manual, walk_in or paper (paper = 补录 from a sign-in sheet,
--   counted and marked as such); with a member (provisional check-ins of unknown tickets have no
--   member and never count); not undone (no undo row of the same activity names them); not
--   reversed (the latest review of the check-in is not 'reversed'); on an activity-day of a held
--   activity inside the period. This is private.live_check_ins() applied to many activities at
--   once, with the undo and review anti-joins written as set operations.
-- The population: members whose (current) unit lies in the unit subtree reported on.
-- 签到人数 attendees of an activity-day = distinct members of the population with a counting
--   check-in that day. An "attendance" is one (activity, day, member).
-- 人次 attendances = number of attendances (the sum of attendees over activity-days).
-- 人数 participants = distinct members with at least one attendance.
-- 家属人次 guest_attendances = per attendance, the most guests any counting check-in of that
--   member that day brought (as the live counter shows), summed. Never in the member figures.
-- registrations_admitted = registrations with status 'registered' of held activities, members of
--   the population (one per member and activity; in a month grouping an activity spanning two
--   months counts in both).
-- admitted_days = admitted registration-days: for a registration with a session, the days of its
--   session inside the period; without a session, the activity-days inside the period.
-- 到场率 show_up_rate = attendances ÷ admitted_days (attendees ÷ admitted registrations, day by
--   day; for one-day activities exactly attendees ÷ registrations_admitted).
-- headcount = members of the population active on the last day d of the period (for a month row:
--   of that month, at most the period's end): active_from <= d and (active_until is null or
--   d < active_until). With headcount_basis 'eligible', only those eligible (gender, member type,
--   units) for at least one held activity of the row.
-- 参与率 participation_rate = participants ÷ headcount.
-- activities = held activities of the row in which the population had at least one attendance or
--   admitted registration.
-- Year over year: the same figures for the period moved back one year (prev_*). Rows match on the
--   unit, the category, the month of the year, or for activities the title (a yearly activity is
--   usually a copy with the same title).
-- Rates are fractions rounded to 4 decimals, null when the denominator is 0.

-- ===========================================================================================
-- Section: indexes the reports use
-- ===========================================================================================

-- Undo rows of the activities reported on, unnested into the set of undone check-ins.
create index check_ins_undo_idx on private.check_ins (activity_id) where kind = 'undo';
-- Admitted registrations per activity.
create index registrations_admitted_idx on private.registrations (activity_id, member_id)
	where status = 'registered';
-- Reversal lookups: the latest decision per check-in.
create index check_in_reviews_latest_idx on private.check_in_reviews (check_in_id, decided_at desc);

-- ===========================================================================================
-- Section: the sets every figure is built from
-- ===========================================================================================

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

-- The counting attendances of the held activities in the period, all members: one row per
-- (activity, day, member), with the guests brought and whether it was entered from paper only.
-- Set-based: the undo and reversal anti-joins run once over all the activities.
create function private.report_attendance(p_start date, p_end date, p_categories text[])
returns table (activity_id uuid, day date, member_id uuid, guests integer, paper_only boolean)
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
	undone as (
		select u.activity_id, x.id
		from private.check_ins u
		cross join lateral unnest(u.undoes) as x (id)
		where u.kind = 'undo' and u.activity_id in (select a.activity_id from acts a)
	),
	reversed as (
		select r.check_in_id
		from private.check_in_reviews r
		where r.decision = 'reversed'
			and r.decided_at = (
				select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = r.check_in_id
			)
	)
	select c.activity_id, c.day, c.member_id, max(c.guests_checked_in)::integer,
		bool_and(c.kind = 'paper')
	from private.check_ins c
	join acts a on a.activity_id = c.activity_id and c.day between a.first_day and a.last_day
	where c.member_id is not null
		and c.kind in ('scan', 'manual', 'walk_in', 'paper')
		and c.day between p_start and p_end
		and not exists (select 1 from undone x where x.activity_id = c.activity_id and x.id = c.id)
		and not exists (select 1 from reversed r where r.check_in_id = c.id)
	group by c.activity_id, c.day, c.member_id
$$;

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

-- ===========================================================================================
-- Section: the figures
-- ===========================================================================================

-- Every figure of one period, for the population of the `roots` subtrees, grouped by
-- 'total' | 'unit' | 'category' | 'month' | 'activity' | 'activity_title'. Keys: '' (total), the
-- unit id (every unit of the subtrees, rolled up: a unit's row includes its descendants), the
-- category, 'YYYY-MM', the activity id, the title. The caller has checked the scope.
--
-- One set-based statement, planned with the actual arguments (EXECUTE ... USING): the check-ins
-- are read once, deduplicated per (activity, day, member), and everything additive is summed per
-- (key, unit, activity) before the small roll-up through the unit tree; only participants need
-- the per-member level. Headcount is counted per roster class (unit, gender, member type), so
-- eligibility is tested per class, not per member. The undo and review anti-joins are the set
-- form of private.live_check_ins().
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
begin
	return query execute $sql$
	with acts as materialized (
		select a.id, a.title, a.category, a.eligible_genders, a.eligible_member_types, a.eligible_unit_ids,
			greatest((a.starts_at at time zone s.time_zone)::date, $1) as first_day,
			least((a.ends_at at time zone s.time_zone)::date, $2) as last_day
		from private.activities a
		cross join private.union_settings s
		where a.status not in ('draft', 'cancelled')
			and ($5::text[] is null or a.category = any ($5))
			and (a.starts_at at time zone s.time_zone)::date <= $2
			and (a.ends_at at time zone s.time_zone)::date >= $1
	),
	-- Activity-days inside the period, each with the key of the row it belongs to.
	act_days_raw as (
		select a.id as activity_id, d::date as day,
			case $3
				when 'category' then a.category
				when 'month' then to_char(d, 'YYYY-MM')
				when 'activity' then a.id::text
				when 'activity_title' then a.title
				else ''
			end as key
		from acts a
		cross join lateral generate_series(a.first_day, a.last_day, interval '1 day') d
	),
	-- The keys numbered, so the big aggregations group by integers, not by collated text.
	key_ids as materialized (
		select k.key, (row_number() over (order by k.key))::integer as key_id
		from (select distinct r.key from act_days_raw r) k
	),
	act_days as materialized (
		select r.activity_id, r.day, k.key_id from act_days_raw r join key_ids k on k.key = r.key
	),
	scope_units as materialized (
		select u.id, u.ancestors from private.units u where u.ancestors && $4
	),
	pop as materialized (
		select m.id, m.unit_id, m.gender, m.member_type, m.active_from, m.active_until
		from private.members m
		where m.unit_id in (select su.id from scope_units su)
	),
	undone as (
		select u.activity_id, x.id
		from private.check_ins u
		cross join lateral unnest(u.undoes) as x (id)
		where u.kind = 'undo' and u.activity_id in (select a.id from acts a)
	),
	reversed as (
		select r.check_in_id
		from private.check_in_reviews r
		where r.decision = 'reversed'
			and r.decided_at = (
				select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = r.check_in_id
			)
	),
	-- One row per (activity, day, member) with a counting check-in: an attendance.
	attendance as (
		select c.activity_id, c.day, c.member_id, max(c.guests_checked_in) as guests
		from private.check_ins c
		join act_days ad on ad.activity_id = c.activity_id and ad.day = c.day
		where c.member_id is not null
			and c.kind in ('scan', 'manual', 'walk_in', 'paper')
			and not exists (select 1 from undone x where x.activity_id = c.activity_id and x.id = c.id)
			and not exists (select 1 from reversed r where r.check_in_id = c.id)
		group by c.activity_id, c.day, c.member_id
	),
	att_keyed as materialized (
		select ad.key_id, t.activity_id, t.member_id, p.unit_id, t.guests
		from attendance t
		join act_days ad on ad.activity_id = t.activity_id and ad.day = t.day
		join pop p on p.id = t.member_id
	),
	-- Admitted registration-days: a session's days, or the activity's days, inside the period,
	-- counted per (activity or session, key) first, so each registration is one row per key.
	act_key_days as (
		select ad.activity_id, ad.key_id, count(*) as ndays from act_days ad group by ad.activity_id, ad.key_id
	),
	session_key_days as (
		select s.id as session_id, ad.key_id, count(*) as ndays
		from private.sessions s
		join act_days ad on ad.activity_id = s.activity_id
			and ad.day between (s.starts_at at time zone $7)::date and (s.ends_at at time zone $7)::date
		group by s.id, ad.key_id
	),
	reg_keyed as (
		select akd.key_id, r.activity_id, p.unit_id, akd.ndays
		from private.registrations r
		join pop p on p.id = r.member_id
		join act_key_days akd on akd.activity_id = r.activity_id
		where r.status = 'registered' and r.session_id is null
		union all
		select skd.key_id, r.activity_id, p.unit_id, skd.ndays
		from private.registrations r
		join pop p on p.id = r.member_id
		join session_key_days skd on skd.session_id = r.session_id
		where r.status = 'registered'
	),
	-- Everything additive, per (key, unit, activity).
	per_activity as (
		select ki.key, k.unit_id, k.activity_id, k.att, k.guests, k.regs, k.rdays
		from (
			select k.key_id, k.unit_id, k.activity_id, sum(k.att) as att, sum(k.guests) as guests,
				sum(k.regs) as regs, sum(k.rdays) as rdays
			from (
				select a.key_id, a.unit_id, a.activity_id, count(*) as att, sum(a.guests) as guests, 0 as regs, 0 as rdays
				from att_keyed a group by a.key_id, a.unit_id, a.activity_id
				union all
				select r.key_id, r.unit_id, r.activity_id, 0, 0, count(*), sum(r.ndays)
				from reg_keyed r group by r.key_id, r.unit_id, r.activity_id
			) k
			group by k.key_id, k.unit_id, k.activity_id
		) k
		join key_ids ki on ki.key_id = k.key_id
	),
	participants_unit as (
		select ki.key, d.unit_id, d.n
		from (
			select x.key_id, x.unit_id, count(*) as n
			from (select distinct a.key_id, a.member_id, a.unit_id from att_keyed a) x
			group by x.key_id, x.unit_id
		) d
		join key_ids ki on ki.key_id = d.key_id
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
	-- eligibility is tested per class and key, never per member.
	end_days as (
		select distinct k.end_day from keys k
	),
	day_classes as (
		select e.end_day, p.unit_id, p.gender, p.member_type, count(*) as n
		from end_days e
		join pop p on p.active_from <= e.end_day and (p.active_until is null or e.end_day < p.active_until)
		group by e.end_day, p.unit_id, p.gender, p.member_type
	),
	classes as materialized (
		select k.key, c.unit_id, c.gender, c.member_type, c.n
		from keys k join day_classes c on c.end_day = k.end_day
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
		select c.key, c.unit_id, sum(c.n) as n
		from classes c where $6 = 'unit'
		group by c.key, c.unit_id
		union all
		select c.key, c.unit_id, sum(c.n) as n
		from eligible_classes c where $6 = 'eligible'
		group by c.key, c.unit_id
	),
	per_unit as (
		select pa.key, pa.unit_id, sum(pa.att) as att, 0 as participants, sum(pa.guests) as guests,
			sum(pa.regs) as regs, sum(pa.rdays) as rdays, 0 as hc
		from per_activity pa group by pa.key, pa.unit_id
		union all
		select pu.key, pu.unit_id, 0, pu.n, 0, 0, 0, 0 from participants_unit pu
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
		select coalesce(t.target, pa.key) as key, count(distinct pa.activity_id) as n
		from per_activity pa join targets t on t.unit_id = pa.unit_id
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
	$sql$ using p_start, p_end, group_by, roots, p_categories, basis,
		(select s.time_zone from private.union_settings s);
end;
$function$;

-- ===========================================================================================
-- Section: scope
-- ===========================================================================================

-- The unit subtrees the caller may report on: the office any unit (default: the union), an
-- organizer their own subtrees (default: all of them). Anything else is refused.
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

-- ===========================================================================================
-- Section: public API
-- ===========================================================================================

-- Participation figures by 'total' | 'unit' | 'category' | 'month' | 'activity' for the caller's
-- scope (or `unit_id` inside it), with the same figures one year earlier (prev_*).
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

-- The people behind a figure, scoped like report_participation: figure 'attendances' (one row per
-- member, activity and day), 'participants' (one row per member, with their attendance count),
-- 'registrations' (admitted registrations) or 'headcount' (members active on the period's last
-- day). group_by/group_key narrow it to one row of report_participation (unit id, category,
-- 'YYYY-MM' or activity id). At most row_limit rows.
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
	select * from private.report_people(p_start, p_end, figure, roots, only_categories, only_activity)
	limit row_limit;
end;
$$;

create function private.report_people(
	p_start date,
	p_end date,
	figure text,
	roots uuid[],
	p_categories text[],
	only_activity uuid
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
language sql
stable
security definer
set search_path = ''
set jit = off
rows 1000
as $$
	with pop as (
		select m.id, m.employee_no, m.name, m.unit_id, u.name as unit_name, m.active_from, m.active_until
		from private.members m join private.units u on u.id = m.unit_id
		where u.ancestors && roots
	),
	att as (
		select t.* from private.report_attendance(p_start, p_end, p_categories) t
		where (only_activity is null or t.activity_id = only_activity)
			and t.member_id in (select p.id from pop p)
	)
	select p.id, p.employee_no, p.name, p.unit_id, p.unit_name, a.id, a.title, t.day, t.guests,
		t.paper_only, 1
	from att t join pop p on p.id = t.member_id join private.activities a on a.id = t.activity_id
	where figure = 'attendances'
	union all
	select p.id, p.employee_no, p.name, p.unit_id, p.unit_name, null, null, null,
		sum(t.guests)::integer, bool_and(t.paper_only), count(*)::integer
	from att t join pop p on p.id = t.member_id
	where figure = 'participants'
	group by p.id, p.employee_no, p.name, p.unit_id, p.unit_name
	union all
	select p.id, p.employee_no, p.name, p.unit_id, p.unit_name, a.id, a.title, null,
		cardinality(r.guest_names), false,
		(select count(*)::integer from att t where t.activity_id = r.activity_id and t.member_id = r.member_id)
	from private.registrations r
	join pop p on p.id = r.member_id
	join private.activities a on a.id = r.activity_id
	where figure = 'registrations' and r.status = 'registered'
		and r.activity_id in (select x.activity_id from private.report_admitted_days(p_start, p_end, p_categories) x
			where only_activity is null or x.activity_id = only_activity)
	union all
	select p.id, p.employee_no, p.name, p.unit_id, p.unit_name, null, null, null, 0, false,
		(select count(*)::integer from att t where t.member_id = p.id)
	from pop p
	where figure = 'headcount' and p.active_from <= p_end and (p.active_until is null or p_end < p.active_until)
	order by 7 nulls first, 8 nulls first, 3, 2
$$;

-- A paragraph in Chinese for the yearly work report, from the same figures as
-- report_participation(..., 'total'): e.g. "2027年，工会共组织活动12项，职工参加855人次、412人，
-- 职工参与率64.4%……与上年相比，参加人次增加12.3%……".
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

-- 0.6444 → '64.4'
create function private.percent_text(fraction numeric) returns text
language sql
immutable
set search_path = ''
as $$
	select to_char(round(fraction * 100, 1), 'FM999990.0')
$$;

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

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

revoke all on function
	private.report_activities(date, date, text[]),
	private.report_attendance(date, date, text[]),
	private.report_admitted_days(date, date, text[]),
	private.report_figures(date, date, text, uuid[], text[], text),
	private.report_roots(uuid),
	private.report_check_period(date, date),
	private.category_label(text),
	private.report_people(date, date, text, uuid[], text[], uuid),
	private.percent_text(numeric),
	private.change_text(integer, integer),
	private.points_text(numeric, numeric)
from public, anon;
grant execute on function
	private.report_activities(date, date, text[]),
	private.report_attendance(date, date, text[]),
	private.report_admitted_days(date, date, text[]),
	private.report_figures(date, date, text, uuid[], text[], text),
	private.report_roots(uuid),
	private.report_check_period(date, date),
	private.category_label(text),
	private.report_people(date, date, text, uuid[], text[], uuid),
	private.percent_text(numeric),
	private.change_text(integer, integer),
	private.points_text(numeric, numeric)
to authenticated, service_role;

revoke all on function
	public.report_participation(date, date, text, uuid, text[], text),
	public.report_drilldown(date, date, text, text, text, uuid, text[], integer),
	public.report_summary_text(integer, uuid)
from public, anon;
grant execute on function
	public.report_participation(date, date, text, uuid, text[], text),
	public.report_drilldown(date, date, text, text, text, uuid, text[], integer),
	public.report_summary_text(integer, uuid)
to authenticated, service_role;
