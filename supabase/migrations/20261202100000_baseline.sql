-- Baseline of Union Activities 0.1.0: the database's whole schema, as supabase/schemas/ held it
-- on 2026-12-02 (its files concatenated in order). It folds the 15 migrations written while the
-- product was built; none had been deployed. From here on a change is an edit of a schema file
-- plus a new migration that makes it, and supabase/tests/00-schema-files.test.ts proves that the
-- migrations and the schema files give the same database.

-- ###########################################################################################
-- supabase/schemas/00_schema.sql
-- ###########################################################################################

-- The schema: every table of the union's data, its indexes and the triggers that keep derived
-- columns right. The product's words are in docs/product.md; the promises these tables keep are
-- in docs/invariants.md.
--
-- Layout (basejump style): tables and security-definer helpers live in the schema `private`,
-- which the Data API does not expose; the API is a set of functions in `public`. Every table has
-- row-level security (01_access.sql), so even a grant added by mistake reads only what the
-- policies allow.
--
-- Rules enforced here, for every write path:
-- - capacity: `seats_taken <= capacity` on activities and sessions, kept by the registrations
--   trigger (registration_seats counts a registration and its guests);
-- - check-ins are append-only (reject_change refuses update and delete);
-- - a unit's `ancestors` is always its path from the root (units_set_ancestors,
--   units_refresh_descendants), so subtree scopes are one array test;
-- - `version` / `updated_at` move on every change (phones compare them with their caches).
--
-- This folder (supabase/schemas/) is the database's current state, one file per area, applied in
-- file-name order. supabase/migrations/ is how a database gets here; a test proves both agree
-- (supabase/tests/00-schema-files.test.ts). supabase/README.md says how to change either.

-- ===========================================================================================
-- Section: schema and privileges
-- ===========================================================================================

create schema if not exists private;

revoke all on schema private from public;

grant usage on schema private to authenticated, service_role;

-- Functions are not executable by everyone by default: each API function is granted one by one.
alter default privileges in schema public revoke execute on functions from public;

alter default privileges in schema public revoke execute on functions from anon, authenticated;

alter default privileges in schema private revoke execute on functions from public;

alter default privileges in schema private revoke all on tables from public;

-- ===========================================================================================
-- Section: the union
-- ===========================================================================================

-- One deployment serves one union: its display name and the time zone its dates are shown in.
create table private.union_settings (
	singleton boolean primary key default true check (singleton),
	name text not null check (char_length(name) between 1 and 100),
	time_zone text not null default 'Asia/Shanghai' check (char_length(time_zone) between 1 and 64),
	updated_at timestamptz not null default now()
);

-- The unit tree: union → branch (分工会) → group (工会小组). `ancestors` holds the ids from the
-- root down to the unit itself, kept by a trigger, so "is X inside Y's subtree" is one array test.
create table private.units (
	id uuid primary key default gen_random_uuid(),
	code text not null unique check (code ~ '^[A-Za-z0-9_-]{1,32}$'),
	name text not null check (char_length(name) between 1 and 100),
	parent_id uuid references private.units (id) on delete restrict,
	kind text not null check (kind in ('union', 'branch', 'group')),
	ancestors uuid[] not null default '{}',
	archived_at timestamptz,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	check ((kind = 'union') = (parent_id is null)),
	check (parent_id is distinct from id)
);

create index units_parent_idx on private.units (parent_id);

create index units_ancestors_idx on private.units using gin (ancestors);

create function private.units_set_ancestors() returns trigger
language plpgsql
set search_path = ''
as $$
declare
	parent_ancestors uuid[];
begin
	if new.parent_id is null then
		new.ancestors := array[new.id];
	else
		select u.ancestors into parent_ancestors from private.units u where u.id = new.parent_id;
		if new.id = any (parent_ancestors) then
			raise exception 'unit % cannot be placed under its own descendant', new.code
				using errcode = '23514';
		end if;
		new.ancestors := parent_ancestors || new.id;
	end if;
	return new;
end;
$$;
revoke all on function private.units_set_ancestors() from public, anon;

create trigger units_set_ancestors
before insert or update of parent_id on private.units
for each row execute function private.units_set_ancestors();

-- Moving a unit moves its subtree: refresh the descendants' ancestor paths.
create function private.units_refresh_descendants() returns trigger
language plpgsql
set search_path = ''
as $$
begin
	if new.ancestors is distinct from old.ancestors then
		update private.units u
		set ancestors = new.ancestors || u.ancestors[array_position(u.ancestors, new.id) + 1:]
		where u.id <> new.id and new.id = any (u.ancestors);
	end if;
	return null;
end;
$$;
revoke all on function private.units_refresh_descendants() from public, anon;

create trigger units_refresh_descendants
after update of parent_id on private.units
for each row execute function private.units_refresh_descendants();

-- ===========================================================================================
-- Section: members (the roster, keyed by 工号)
-- ===========================================================================================

-- active_from/active_until bound the membership, so the headcount on any past date stays right
-- after people leave: a member counts on day d when active_from <= d and (active_until is null
-- or d < active_until).
create table private.members (
	id uuid primary key default gen_random_uuid(),
	employee_no text not null unique check (employee_no ~ '^[A-Za-z0-9-]{1,20}$'),
	name text not null check (char_length(name) between 1 and 50),
	gender text not null check (gender in ('female', 'male')),
	member_type text not null check (member_type in ('staff', 'contract', 'retired')),
	unit_id uuid not null references private.units (id) on delete restrict,
	phone text check (phone ~ '^[0-9+ -]{5,20}$'),
	email text check (email = lower(email) and char_length(email) <= 254 and email like '%_@_%'),
	joined_on date,
	active_from date not null default current_date,
	active_until date check (active_until is null or active_until > active_from),
	user_id uuid unique references auth.users (id) on delete set null,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now()
);

create index members_unit_idx on private.members (unit_id);

create unique index members_email_idx on private.members (email) where email is not null;

create index members_name_idx on private.members (name);

-- ===========================================================================================
-- Section: staff roles and their scope
-- ===========================================================================================

-- office: the union office, everything. organizer: a unit subtree. liaison (工会小组长): their
-- group, signs colleagues up. checkin_staff: scans for one activity only. Revoking keeps the row.
create table private.staff_roles (
	id uuid primary key default gen_random_uuid(),
	member_id uuid not null references private.members (id) on delete cascade,
	role text not null check (role in ('office', 'organizer', 'liaison', 'checkin_staff')),
	unit_id uuid references private.units (id) on delete cascade,
	activity_id uuid,
	granted_by uuid references private.members (id) on delete set null,
	granted_at timestamptz not null default now(),
	revoked_by uuid references private.members (id) on delete set null,
	revoked_at timestamptz,
	check (
		case role
			when 'office' then unit_id is null and activity_id is null
			when 'organizer' then unit_id is not null and activity_id is null
			when 'liaison' then unit_id is not null and activity_id is null
			when 'checkin_staff' then unit_id is null and activity_id is not null
		end
	)
);

create index staff_roles_member_idx on private.staff_roles (member_id) where revoked_at is null;

create index staff_roles_unit_idx on private.staff_roles (unit_id);

create index staff_roles_activity_idx on private.staff_roles (activity_id);

create index staff_roles_granted_by_idx on private.staff_roles (granted_by);

create index staff_roles_revoked_by_idx on private.staff_roles (revoked_by);

-- ===========================================================================================
-- Section: activities and their rules
-- ===========================================================================================

create table private.activities (
	id uuid primary key default gen_random_uuid(),
	title text not null check (char_length(title) between 1 and 120),
	description text not null default '' check (char_length(description) <= 4000),
	category text not null
		check (category in ('sports', 'health', 'women', 'skills', 'outing', 'care', 'culture', 'other')),
	status text not null default 'draft'
		check (status in ('draft', 'published', 'closed', 'completed', 'cancelled')),
	-- The unit that runs it: organizers of this unit's subtree manage it.
	owner_unit_id uuid not null references private.units (id) on delete restrict,
	starts_at timestamptz not null,
	ends_at timestamptz not null,
	place text not null default '' check (char_length(place) <= 200),
	-- Rules, all judged by the server on its own clock.
	signup_opens_at timestamptz,
	signup_closes_at timestamptz,
	cancel_deadline timestamptz,
	capacity integer check (capacity is null or capacity between 1 and 100000),
	-- Seats held by admitted registrations, guests included; kept by a trigger on registrations.
	seats_taken integer not null default 0 check (seats_taken >= 0),
	admission text not null default 'first_come'
		check (admission in ('first_come', 'approval', 'lottery')),
	waitlist_enabled boolean not null default true,
	guests_max integer not null default 0 check (guests_max between 0 and 10),
	walk_in_allowed boolean not null default false,
	-- Eligibility from roster attributes; null means everyone.
	eligible_genders text[] check (eligible_genders <@ array['female', 'male']),
	eligible_member_types text[] check (eligible_member_types <@ array['staff', 'contract', 'retired']),
	eligible_unit_ids uuid[],
	-- A per-person limit across the activities of one series (e.g. at most 2 contests a year).
	series text check (char_length(series) <= 60),
	series_limit integer check (series_limit is null or series_limit >= 1),
	-- Typed custom questions: [{id, kind: choice|text|number, label: {zh, en}, required, ...}].
	questions jsonb not null default '[]' check (jsonb_typeof(questions) = 'array'),
	lottery_seed text,
	lottery_drawn_at timestamptz,
	cancelled_reason text check (char_length(cancelled_reason) <= 500),
	-- Bumped on every change, returned to phones so they know what their cache is based on.
	version bigint not null default 1,
	created_by uuid references private.members (id) on delete set null,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	check (ends_at >= starts_at),
	check (signup_closes_at is null or signup_opens_at is null or signup_closes_at > signup_opens_at),
	-- Capacity is never exceeded (promise 3 of docs/invariants.md), whatever path writes registrations.
	check (capacity is null or seats_taken <= capacity)
);

create index activities_starts_idx on private.activities (starts_at);

create index activities_owner_unit_idx on private.activities (owner_unit_id);

create index activities_created_by_idx on private.activities (created_by);

alter table private.staff_roles
	add constraint staff_roles_activity_fk foreign key (activity_id)
	references private.activities (id) on delete cascade;

-- A time slot with its own capacity (checkup on Tuesday 08:00–10:00).
create table private.sessions (
	id uuid primary key default gen_random_uuid(),
	activity_id uuid not null references private.activities (id) on delete cascade,
	label text not null default '' check (char_length(label) <= 100),
	starts_at timestamptz not null,
	ends_at timestamptz not null,
	capacity integer check (capacity is null or capacity between 1 and 100000),
	seats_taken integer not null default 0 check (seats_taken >= 0),
	created_at timestamptz not null default now(),
	check (ends_at >= starts_at),
	check (capacity is null or seats_taken <= capacity)
);

create index sessions_activity_idx on private.sessions (activity_id, starts_at);

-- ===========================================================================================
-- Section: registrations (报名), with guests and typed answers
-- ===========================================================================================

create table private.registrations (
	id uuid primary key default gen_random_uuid(),
	activity_id uuid not null references private.activities (id) on delete cascade,
	member_id uuid not null references private.members (id) on delete cascade,
	session_id uuid references private.sessions (id) on delete restrict,
	status text not null
		check (status in ('registered', 'waitlisted', 'pending_approval', 'cancelled', 'rejected')),
	guest_names text[] not null default '{}' check (cardinality(guest_names) <= 10),
	answers jsonb not null default '{}' check (jsonb_typeof(answers) = 'object'),
	-- Who made it: the member, a liaison on their behalf, the office, a walk-in or a paper entry.
	source text not null default 'self'
		check (source in ('self', 'liaison', 'office', 'walk_in', 'paper')),
	made_by uuid references private.members (id) on delete set null,
	-- The ticket: an unguessable secret (≥128 bits), no personal data; cancelling revokes it.
	ticket_secret text not null unique
		default translate(rtrim(encode(extensions.gen_random_bytes(18), 'base64'), '='), '+/', '-_'),
	-- Order of the waitlist: promotion takes the earliest.
	queued_at timestamptz not null default clock_timestamp(),
	-- Bumped when the member signs up again after cancelling, so a cancel queued on a phone for
	-- the earlier sign-up never cancels the newer one.
	generation integer not null default 1 check (generation >= 1),
	decided_by uuid references private.members (id) on delete set null,
	decided_at timestamptz,
	cancelled_at timestamptz,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	unique (activity_id, member_id)
);

create index registrations_member_idx on private.registrations (member_id);

create index registrations_session_idx on private.registrations (session_id);

create index registrations_waitlist_idx on private.registrations (activity_id, queued_at)
	where status = 'waitlisted';

create index registrations_made_by_idx on private.registrations (made_by);

create index registrations_decided_by_idx on private.registrations (decided_by);

create index registrations_admitted_idx on private.registrations (activity_id, member_id)
	where status = 'registered';

-- Seats: an admitted registration holds 1 + its guests, in the activity and in its session.
create function private.registration_seats(status text, guest_names text[]) returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
	return case when status = 'registered' then 1 + coalesce(cardinality(guest_names), 0) else 0 end;
end;
$$;
revoke all on function private.registration_seats(text,text[]) from public, anon;
grant execute on function private.registration_seats(text,text[]) to authenticated, service_role;

-- Keeps activities.seats_taken and sessions.seats_taken equal to the seats of admitted
-- registrations. The update takes the activity's row lock, and the check constraints on
-- capacity turn any overbooking into an error, whichever function wrote the registration.
create function private.registrations_count_seats() returns trigger
language plpgsql
set search_path = ''
as $$
declare
	old_seats integer := 0;
	new_seats integer := 0;
begin
	if tg_op in ('UPDATE', 'DELETE') then
		old_seats := private.registration_seats(old.status, old.guest_names);
	end if;
	if tg_op in ('INSERT', 'UPDATE') then
		new_seats := private.registration_seats(new.status, new.guest_names);
	end if;

	if tg_op = 'UPDATE' and old.activity_id = new.activity_id then
		if new_seats <> old_seats then
			update private.activities set seats_taken = seats_taken + new_seats - old_seats
			where id = new.activity_id;
		end if;
	else
		if old_seats <> 0 then
			update private.activities set seats_taken = seats_taken - old_seats where id = old.activity_id;
		end if;
		if new_seats <> 0 then
			update private.activities set seats_taken = seats_taken + new_seats where id = new.activity_id;
		end if;
	end if;

	if tg_op = 'UPDATE' and old.session_id is not distinct from new.session_id then
		if new.session_id is not null and new_seats <> old_seats then
			update private.sessions set seats_taken = seats_taken + new_seats - old_seats
			where id = new.session_id;
		end if;
	else
		if tg_op <> 'INSERT' and old.session_id is not null and old_seats <> 0 then
			update private.sessions set seats_taken = seats_taken - old_seats where id = old.session_id;
		end if;
		if tg_op <> 'DELETE' and new.session_id is not null and new_seats <> 0 then
			update private.sessions set seats_taken = seats_taken + new_seats where id = new.session_id;
		end if;
	end if;
	return null;
end;
$$;
revoke all on function private.registrations_count_seats() from public, anon;

create trigger registrations_count_seats
after insert or update of status, guest_names, session_id, activity_id or delete
on private.registrations
for each row execute function private.registrations_count_seats();

-- ===========================================================================================
-- Section: check-ins (签到), an append-only log
-- ===========================================================================================

-- Every scan is kept, duplicates included; figures count distinct members per activity-day.
-- An undo is a row of its own naming the check-ins the undoing phone had seen (add-wins).
create table private.check_ins (
	id uuid primary key,
	activity_id uuid not null references private.activities (id) on delete cascade,
	registration_id uuid references private.registrations (id) on delete cascade,
	member_id uuid references private.members (id) on delete cascade,
	session_id uuid references private.sessions (id) on delete set null,
	-- The activity-day in the union's time zone: multi-day activities count attendance per day.
	day date not null,
	kind text not null check (kind in ('scan', 'manual', 'walk_in', 'paper', 'provisional', 'undo')),
	guests_checked_in integer not null default 0 check (guests_checked_in between 0 and 10),
	undoes uuid[] not null default '{}',
	-- Offline provenance: which phone, its sequence and its clock (display only: server time rules).
	device_id text not null check (char_length(device_id) between 1 and 64),
	device_seq bigint not null check (device_seq >= 0),
	device_time timestamptz,
	server_time timestamptz not null default now(),
	recorded_by uuid references private.members (id) on delete set null,
	flags text[] not null default '{}',
	check ((kind = 'undo') = (cardinality(undoes) > 0)),
	check (kind = 'undo' or kind = 'provisional' or member_id is not null)
);

create index check_ins_activity_day_idx on private.check_ins (activity_id, day);

create index check_ins_member_idx on private.check_ins (member_id);

create index check_ins_registration_idx on private.check_ins (registration_id);

create index check_ins_session_idx on private.check_ins (session_id);

create index check_ins_recorded_by_idx on private.check_ins (recorded_by);

create index check_ins_member_day_idx on private.check_ins (activity_id, member_id, day);

create index check_ins_undo_idx on private.check_ins (activity_id) where kind = 'undo';

create function private.reject_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
	raise exception '% is append-only', tg_table_name using errcode = '42501';
end;
$$;
revoke all on function private.reject_change() from public, anon;

create trigger check_ins_append_only
before update or delete on private.check_ins
for each row execute function private.reject_change();

-- Review decisions of the union office on flagged check-ins (the conflict inbox), kept apart so
-- the log itself never changes.
create table private.check_in_reviews (
	id uuid primary key default gen_random_uuid(),
	check_in_id uuid not null references private.check_ins (id) on delete cascade,
	decision text not null check (decision in ('confirmed', 'reversed')),
	note text not null default '' check (char_length(note) <= 500),
	decided_by uuid references private.members (id) on delete set null,
	decided_at timestamptz not null default now()
);

create index check_in_reviews_check_in_idx on private.check_in_reviews (check_in_id);

create index check_in_reviews_decided_by_idx on private.check_in_reviews (decided_by);

create index check_in_reviews_latest_idx on private.check_in_reviews (check_in_id, decided_at desc);

-- ===========================================================================================
-- Section: the idempotency ledger of client actions
-- ===========================================================================================

-- One row per client-made action id, written in the same transaction as the action's effect,
-- so a replay answers with the first result and an id reused with another payload is caught.
create table private.client_actions (
	id uuid primary key,
	owner_user_id uuid not null references auth.users (id) on delete cascade,
	device_id text not null check (char_length(device_id) between 1 and 64),
	device_seq bigint not null check (device_seq >= 0),
	kind text not null check (char_length(kind) between 1 and 40),
	schema_version integer not null check (schema_version >= 1),
	payload_hash text not null,
	result jsonb not null,
	device_time timestamptz,
	applied_at timestamptz not null default now()
);

create index client_actions_owner_idx on private.client_actions (owner_user_id, device_id, device_seq);

-- ===========================================================================================
-- Section: audit trail
-- ===========================================================================================

create table private.audit_log (
	id bigint generated always as identity primary key,
	at timestamptz not null default now(),
	actor_user_id uuid,
	action text not null check (char_length(action) between 1 and 60),
	subject jsonb not null default '{}'
);

create index audit_log_at_idx on private.audit_log (at);

-- ===========================================================================================
-- Section: updated_at
-- ===========================================================================================


create function private.touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
	new.updated_at := now();
	return new;
end;
$$;
revoke all on function private.touch_updated_at() from public, anon;

create trigger units_touch before update on private.units
for each row execute function private.touch_updated_at();

create trigger members_touch before update on private.members
for each row execute function private.touch_updated_at();

create trigger registrations_touch before update on private.registrations
for each row execute function private.touch_updated_at();

create function private.activities_touch() returns trigger
language plpgsql
set search_path = ''
as $$
begin
	new.updated_at := now();
	new.version := old.version + 1;
	return new;
end;
$$;
revoke all on function private.activities_touch() from public, anon;

create trigger activities_touch before update on private.activities
for each row execute function private.activities_touch();

-- ===========================================================================================
-- Section: the reports' read models (kept current by the triggers of 10_reports.sql)
-- ===========================================================================================

-- One row per (activity, day, member) with a counting check-in: the guests (the most any
-- counting check-in of that member that day brought), paper-only, the member's current unit, and,
-- for distinct counts without hashing members, whether it counts at all (valid: its activity is
-- not draft or cancelled and the day is one of its days) and the day of the member's previous
-- valid attendance, overall (prev_day) and in the same category (prev_cat_day). A member takes
-- part in a period [s, e] exactly when one of their valid attendances in it has no previous one
-- on or after s: participants are a count.
create table private.attendances (
	activity_id uuid not null references private.activities (id) on delete cascade,
	day date not null,
	member_id uuid not null references private.members (id) on delete cascade,
	-- The member's current unit (the population is by current unit): no join to the roster per
	-- attendance. Kept by private.members_move_report_rows().
	unit_id uuid not null,
	guests integer not null check (guests between 0 and 10),
	paper_only boolean not null,
	-- Derived from the activity and the member's other rows by private.attendances_rechain().
	category text not null default '',
	valid boolean not null default false,
	prev_day date,
	prev_cat_day date,
	primary key (activity_id, day, member_id)
);

-- A member's rows in order: the chain of previous days, moving rows with the member, the
-- foreign key's cascade.
create index attendances_member_idx on private.attendances (member_id, day, activity_id);

-- Whether an activity had an attendance in a unit on some days (the activities figure, where no
-- admitted registration says so already).
create index attendances_unit_idx on private.attendances (activity_id, unit_id, day);

-- Admitted registrations (status 'registered') per activity, session (null: none) and the
-- member's current unit: the ~600 per activity become ~20 rows.
create table private.report_admissions (
	activity_id uuid not null references private.activities (id) on delete cascade,
	session_id uuid,
	-- The session, or the activity itself for registrations without one: a key without nulls.
	session_key uuid not null generated always as (coalesce(session_id, activity_id)) stored,
	unit_id uuid not null,
	registrations integer not null check (registrations >= 0),
	primary key (activity_id, session_key, unit_id)
);

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

-- ###########################################################################################
-- supabase/schemas/01_access.sql
-- ###########################################################################################

-- Access: who is calling, what they may see, and the errors the app shows.
--
-- - private.api_error(status, code, english, chinese) is how every refusal is raised: PostgREST
--   answers HTTP `status` with {message: code, details: English, hint: Chinese}.
-- - The caller: private.require_user (signed in), private.require_member (on the roster),
--   private.require_office, private.require_manager (may manage this activity).
-- - Scope: organizers and liaisons act on the unit subtrees of their roles (scope_unit_ids,
--   unit_in_scope); check-in staff on their one activity (checkin_activity_ids).
-- - Row-level security on every table, with `select` policies only: nobody writes a table over the
--   API, writes go through security-definer functions that check their caller first.
-- - private.take_rate_limit: a per-caller counter for searches that could list the roster.
--
-- Refusal codes here: not_signed_in (401), not_on_roster (403), not_allowed (403),
-- rate_limited (429).

-- ===========================================================================================
-- Section: who is calling
-- ===========================================================================================

-- The roster entry of the signed-in account, or null. Every API call asks.
create function private.current_member_id() returns uuid
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
revoke all on function private.current_member_id() from public, anon;
grant execute on function private.current_member_id() to authenticated, service_role;

create function private.is_office() returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select exists (
		select 1
		from private.staff_roles r
		join private.members m on m.id = r.member_id
		where m.user_id = (select auth.uid()) and r.role = 'office' and r.revoked_at is null
	)
$$;
revoke all on function private.is_office() from public, anon;
grant execute on function private.is_office() to authenticated, service_role;

-- Roots of the unit subtrees the caller organizes (organizer) or looks after (liaison).
create function private.scope_unit_ids(roles text[] default array['organizer', 'liaison'])
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
	select coalesce(array_agg(r.unit_id), '{}')
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	where m.user_id = (select auth.uid())
		and r.role = any (roles)
		and r.revoked_at is null
$$;
revoke all on function private.scope_unit_ids(text[]) from public, anon;
grant execute on function private.scope_unit_ids(text[]) to authenticated, service_role;

-- Activities the caller scans for as check-in staff.
create function private.checkin_activity_ids() returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
	select coalesce(array_agg(r.activity_id), '{}')
	from private.staff_roles r
	join private.members m on m.id = r.member_id
	where m.user_id = (select auth.uid()) and r.role = 'checkin_staff' and r.revoked_at is null
$$;
revoke all on function private.checkin_activity_ids() from public, anon;
grant execute on function private.checkin_activity_ids() to authenticated, service_role;

-- Is the unit inside one of the caller's organizer (or liaison) subtrees?
create function private.unit_in_scope(target_unit uuid, roles text[] default array['organizer', 'liaison'])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select exists (
		select 1 from private.units u
		where u.id = target_unit and u.ancestors && private.scope_unit_ids(roles)
	)
$$;
revoke all on function private.unit_in_scope(uuid,text[]) from public, anon;
grant execute on function private.unit_in_scope(uuid,text[]) to authenticated, service_role;

-- May the caller manage the activity: the office, or an organizer of its owner unit's subtree.
create function private.can_manage_activity(target_activity uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select private.is_office() or exists (
		select 1 from private.activities a
		where a.id = target_activity and private.unit_in_scope(a.owner_unit_id, array['organizer'])
	)
$$;
revoke all on function private.can_manage_activity(uuid) from public, anon;
grant execute on function private.can_manage_activity(uuid) to authenticated, service_role;

-- Raises an error PostgREST turns into HTTP `http_status` with body
-- {code: 'PT<status>', message: <code>, details: <English>, hint: <Chinese>}.
create function private.api_error(http_status integer, code text, message_en text, message_zh text)
returns void
language plpgsql
set search_path = ''
as $$
begin
	raise exception using
		errcode = 'PT' || http_status::text,
		message = code,
		detail = message_en,
		hint = message_zh;
end;
$$;
revoke all on function private.api_error(integer,text,text,text) from public, anon;
grant execute on function private.api_error(integer,text,text,text) to authenticated, service_role;

-- Refuses anonymous callers; returns the caller's user id.
-- Refuses: not_signed_in (401).
create function private.require_user() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	caller uuid := (select auth.uid());
begin
	if caller is null then
		perform private.api_error(401, 'not_signed_in', 'Please sign in first.', '请先登录。');
	end if;
	return caller;
end;
$$;
revoke all on function private.require_user() from public, anon;
grant execute on function private.require_user() to authenticated, service_role;

-- Refuses callers who are not on the roster; returns their member id.
-- Refuses: not_on_roster (403).
create function private.require_member() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
	member uuid;
begin
	perform private.require_user();
	member := private.current_member_id();
	if member is null then
		perform private.api_error(403, 'not_on_roster',
			'Your email is not on the union roster. Please ask your union office.',
			'您的邮箱不在工会名册中，请联系工会办公室。');
	end if;
	return member;
end;
$$;
revoke all on function private.require_member() from public, anon;
grant execute on function private.require_member() to authenticated, service_role;

-- On first sign-in an account is linked to the roster entry with the same confirmed email.
-- Only a confirmed email links, so a password sign-up with someone else's address gets nothing.
create function private.link_account_to_roster() returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
	caller uuid := (select auth.uid());
	linked uuid;
begin
	select m.id into linked from private.members m where m.user_id = caller;
	if linked is not null or caller is null then
		return linked;
	end if;
	update private.members m
	set user_id = u.id
	from auth.users u
	where u.id = caller
		and u.email_confirmed_at is not null
		and m.user_id is null
		and m.email = lower(u.email)
	returning m.id into linked;
	if linked is not null then
		insert into private.audit_log (actor_user_id, action, subject)
		values (caller, 'account_linked', jsonb_build_object('member_id', linked));
	end if;
	return linked;
end;
$$;
revoke all on function private.link_account_to_roster() from public, anon;
grant execute on function private.link_account_to_roster() to authenticated, service_role;

-- Who am I: the account, the union, my roster entry (null when not on the roster) and my roles.
-- Volatile because it links the account on first call; supabase-js calls it with POST.
create function public.whoami() returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
	caller uuid := private.require_user();
	my_member_id uuid := private.link_account_to_roster();
begin
	return jsonb_build_object(
		'user_id', caller,
		'email', (select auth.jwt() ->> 'email'),
		'union', (
			select jsonb_build_object('name', s.name, 'time_zone', s.time_zone)
			from private.union_settings s
		),
		'member', (
			select jsonb_build_object(
				'id', m.id,
				'employee_no', m.employee_no,
				'name', m.name,
				'gender', m.gender,
				'member_type', m.member_type,
				'unit_id', u.id,
				'unit_name', u.name,
				'branch_name', (
					select b.name from private.units b
					where b.id = any (u.ancestors) and b.kind = 'branch'
				)
			)
			from private.members m
			join private.units u on u.id = m.unit_id
			where m.id = my_member_id
		),
		'roles', coalesce((
			select jsonb_agg(
				jsonb_build_object(
					'role', r.role,
					'unit_id', r.unit_id,
					'unit_name', u.name,
					'activity_id', r.activity_id
				) order by r.role, u.code
			)
			from private.staff_roles r
			left join private.units u on u.id = r.unit_id
			where r.member_id = my_member_id and r.revoked_at is null
		), '[]'::jsonb)
	);
end;
$$;
revoke all on function public.whoami() from public, anon;
grant execute on function public.whoami() to authenticated, service_role;

-- Refuses callers who are not the union office.
-- Refuses: not_allowed (403).
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
revoke all on function private.require_office() from public, anon;
grant execute on function private.require_office() to authenticated, service_role;

create function private.audit(action text, subject jsonb) returns void
language sql
security definer
set search_path = ''
as $$
	insert into private.audit_log (actor_user_id, action, subject) values ((select auth.uid()), action, subject)
$$;
revoke all on function private.audit(text,jsonb) from public, anon;
grant execute on function private.audit(text,jsonb) to authenticated, service_role;

-- Refuses: not_allowed (403).
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
revoke all on function private.require_manager(uuid) from public, anon;
grant execute on function private.require_manager(uuid) to authenticated, service_role;

-- Counts one request of the caller in `limit_bucket` (atomically: one upsert, under the row's lock) and
-- refuses with 429 rate_limited past `per_minute` in the current window. A refused request rolls
-- back with its transaction, so refusals never extend the wait.
-- Refuses: rate_limited (429).
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
revoke all on function private.take_rate_limit(text,integer) from public, anon;
grant execute on function private.take_rate_limit(text,integer) to authenticated, service_role;

-- ===========================================================================================
-- Section: row-level security (every table; `select` policies only)
-- ===========================================================================================

alter table private.union_settings enable row level security;
alter table private.units enable row level security;
alter table private.members enable row level security;
alter table private.staff_roles enable row level security;
alter table private.activities enable row level security;
alter table private.sessions enable row level security;
alter table private.registrations enable row level security;
alter table private.check_ins enable row level security;
alter table private.check_in_reviews enable row level security;
alter table private.client_actions enable row level security;
alter table private.audit_log enable row level security;
alter table private.attendances enable row level security;
alter table private.report_admissions enable row level security;
alter table private.rate_limits enable row level security;

-- The union's name and time zone are shown to every signed-in account (also on the
-- "not on the roster" page); the unit tree only to people on the roster.
create policy union_settings_read on private.union_settings
for select to authenticated using (true);

create policy units_read on private.units
for select to authenticated using ((select private.current_member_id()) is not null);

-- Members: yourself; the office everyone; organizers and liaisons their subtree.
create policy members_read on private.members
for select to authenticated using (
	user_id = (select auth.uid())
	or (select private.is_office())
	or unit_id in (
		select u.id from private.units u where u.ancestors && (select private.scope_unit_ids())
	)
);

create policy staff_roles_read on private.staff_roles
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or (unit_id is not null and private.unit_in_scope(unit_id, array['organizer']))
	or (activity_id is not null and private.can_manage_activity(activity_id))
);

-- Activities: published and later states to people on the roster (an account made by signing
-- in with an unknown email sees none); drafts to those who manage them.
create policy activities_read on private.activities
for select to authenticated using (
	(status <> 'draft' and (select private.current_member_id()) is not null)
	or (select private.is_office())
	or owner_unit_id in (
		select u.id from private.units u
		where u.ancestors && (select private.scope_unit_ids(array['organizer']))
	)
);

create policy sessions_read on private.sessions
for select to authenticated using (
	exists (select 1 from private.activities a where a.id = activity_id)
);

-- Registrations: your own; the office; organizers of the activity or of the member's unit;
-- check-in staff of the activity.
create policy registrations_read on private.registrations
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or activity_id in (select unnest(private.checkin_activity_ids()))
	or private.can_manage_activity(activity_id)
	or member_id in (
		select m.id from private.members m
		join private.units u on u.id = m.unit_id
		where u.ancestors && (select private.scope_unit_ids())
	)
);

create policy check_ins_read on private.check_ins
for select to authenticated using (
	member_id = (select private.current_member_id())
	or (select private.is_office())
	or activity_id in (select unnest(private.checkin_activity_ids()))
	or private.can_manage_activity(activity_id)
);

create policy check_in_reviews_read on private.check_in_reviews
for select to authenticated using (
	(select private.is_office())
	or exists (
		select 1 from private.check_ins c
		where c.id = check_in_id and private.can_manage_activity(c.activity_id)
	)
);

create policy client_actions_read on private.client_actions
for select to authenticated using (owner_user_id = (select auth.uid()));

create policy audit_log_read on private.audit_log
for select to authenticated using ((select private.is_office()));

-- The reports' read models: the office only (the report functions check the caller's scope).
create policy attendances_read on private.attendances
for select to authenticated using ((select private.is_office()));

create policy report_admissions_read on private.report_admissions
for select to authenticated using ((select private.is_office()));

-- private.rate_limits has no policy: only the definer function that counts writes or reads it.

-- ===========================================================================================
-- Section: grants
-- ===========================================================================================

-- Reads only; RLS decides which rows. Writes go through functions that check their caller.
revoke all on all tables in schema private from public, anon, authenticated;
grant select on all tables in schema private to authenticated;
grant all on all tables in schema private to service_role;
grant usage, select on all sequences in schema private to service_role;

-- Nobody reads these over a session: the report functions and the rate limit read them as
-- their owner.
revoke all on private.attendances, private.report_admissions, private.rate_limits
from public, anon, authenticated;

-- ###########################################################################################
-- supabase/schemas/02_signup.sql
-- ###########################################################################################

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

-- ###########################################################################################
-- supabase/schemas/03_offline_actions.sql
-- ###########################################################################################

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

-- ###########################################################################################
-- supabase/schemas/04_checkin.sql
-- ###########################################################################################

-- Check-in (签到) at the door: tickets, scans, walk-ins, undo, paper attendance (补录), the
-- counters staff see, and reviewing conflicts from phones that were offline.
--
-- Rules enforced here (docs/offline-and-checkin.md, "A check-in, from camera to the report"):
-- - only staff of the activity (organizers of its unit subtree, the office, check-in staff of this
--   activity) check people in (private.can_check_in);
-- - a check-in names a day of the activity in the union's time zone; a ticket for a session of
--   another day is refused `wrong_day` unless an organizer overrides it (flagged `other_day`);
-- - a member counts once per activity and day: a second scan is `duplicate`, never a second row;
-- - walk-ins obey the sign-up rules (eligibility, capacity, approval, series limits) unless the
--   activity takes no walk-ins; the walk-in search sees only the eligible population and is rate
--   limited;
-- - check-ins are never changed or deleted: undo and review add rows, and the report reads the
--   latest state (private.live_check_ins).

create function private.can_check_in(target_activity uuid) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
	select private.can_manage_activity(target_activity)
		or target_activity = any (private.checkin_activity_ids())
$$;
revoke all on function private.can_check_in(uuid) from public, anon;
grant execute on function private.can_check_in(uuid) to authenticated, service_role;

-- The hash phones compare scanned secrets with: the roster never carries the secrets themselves.
create function private.ticket_hash(secret text) returns text
language sql
immutable
set search_path = ''
as $$
	select encode(extensions.digest(secret, 'sha256'), 'hex')
$$;
revoke all on function private.ticket_hash(text) from public, anon;
grant execute on function private.ticket_hash(text) to authenticated, service_role;

-- The days an activity is held on, in the union's time zone.
create function private.activity_days(target_activity uuid) returns date[]
language sql
stable
security definer
set search_path = ''
as $$
	select array(
		select generate_series(
			(a.starts_at at time zone s.time_zone)::date,
			(a.ends_at at time zone s.time_zone)::date,
			interval '1 day'
		)::date
		from private.activities a, private.union_settings s
		where a.id = target_activity
	)
$$;
revoke all on function private.activity_days(uuid) from public, anon;
grant execute on function private.activity_days(uuid) to authenticated, service_role;

-- Check-ins that count: not undone by an undo row naming them, and not reversed on review.
create function private.live_check_ins(target_activity uuid)
returns setof private.check_ins
language sql
stable
security definer
set search_path = ''
as $$
	select c.*
	from private.check_ins c
	where c.activity_id = target_activity
		and c.kind <> 'undo'
		and not exists (
			select 1 from private.check_ins u
			where u.activity_id = target_activity and u.kind = 'undo' and c.id = any (u.undoes)
		)
		and not exists (
			select 1 from private.check_in_reviews r
			where r.check_in_id = c.id and r.decision = 'reversed'
				and r.decided_at = (select max(x.decided_at) from private.check_in_reviews x where x.check_in_id = c.id)
		)
$$;
revoke all on function private.live_check_ins(uuid) from public, anon;
grant execute on function private.live_check_ins(uuid) to authenticated, service_role;

-- Everything a phone needs to validate tickets offline: admitted and other registrations with
-- hashed ticket secrets, names, units, guests and session, and the check-ins so far.
create function private.checkin_roster(target_activity uuid) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
	select jsonb_build_object(
		'activity', jsonb_build_object(
			'id', a.id, 'title', a.title, 'status', a.status, 'starts_at', a.starts_at,
			'ends_at', a.ends_at, 'place', a.place, 'walk_in_allowed', a.walk_in_allowed,
			'guests_max', a.guests_max, 'capacity', a.capacity, 'seats_taken', a.seats_taken,
			'days', to_jsonb(private.activity_days(a.id)),
			'sessions', coalesce((
				select jsonb_agg(jsonb_build_object('id', s.id, 'label', s.label, 'starts_at', s.starts_at,
					'ends_at', s.ends_at, 'capacity', s.capacity) order by s.starts_at)
				from private.sessions s where s.activity_id = a.id
			), '[]'::jsonb)
		),
		'version', a.version,
		'entries', coalesce((
			select jsonb_agg(jsonb_build_object(
				'registration_id', r.id,
				'member_id', m.id,
				'name', m.name,
				'employee_no', m.employee_no,
				'phone_suffix', right(m.phone, 4),
				'unit_name', u.name,
				'status', r.status,
				'session_id', r.session_id,
				'guest_names', to_jsonb(r.guest_names),
				'ticket_hash', private.ticket_hash(r.ticket_secret)
			) order by m.name)
			from private.registrations r
			join private.members m on m.id = r.member_id
			join private.units u on u.id = m.unit_id
			where r.activity_id = a.id
		), '[]'::jsonb),
		'check_ins', coalesce((
			select jsonb_agg(jsonb_build_object(
				'id', c.id, 'member_id', c.member_id, 'registration_id', c.registration_id, 'day', c.day,
				'kind', c.kind, 'undoes', to_jsonb(c.undoes), 'guests_checked_in', c.guests_checked_in,
				'device_id', c.device_id, 'server_time', c.server_time, 'flags', to_jsonb(c.flags)
			) order by c.server_time)
			from private.check_ins c where c.activity_id = a.id
		), '[]'::jsonb),
		'server_now', now()
	)
	from private.activities a
	where a.id = target_activity
$$;
revoke all on function private.checkin_roster(uuid) from public, anon;
grant execute on function private.checkin_roster(uuid) to authenticated, service_role;

-- The first counting check-in of a member on a day, other than `except_id`, for the warning.
create function private.first_check_in(target_activity uuid, member uuid, on_day date, except_id uuid)
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
revoke all on function private.first_check_in(uuid,uuid,date,uuid) from public, anon;
grant execute on function private.first_check_in(uuid,uuid,date,uuid) to authenticated, service_role;

-- One check-in action on its own (check_in, walk_in or undo_check_in): works out the scope,
-- then applies it with private.apply_checkin_scoped.
create function private.apply_checkin_action(
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
revoke all on function private.apply_checkin_action(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean) from public, anon;
grant execute on function private.apply_checkin_action(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean) to authenticated, service_role;

-- Checked in (distinct members) and admitted, for a day, in total and per session. `admitted`
-- and the session lines count the people expected on that day only: registrations without a
-- session, and those of the day's sessions.
create function private.checkin_counter(target_activity uuid, on_day date) returns jsonb
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
revoke all on function private.checkin_counter(uuid,date) from public, anon;
grant execute on function private.checkin_counter(uuid,date) to authenticated, service_role;

-- Refuses: not_staff (403).
create function public.get_checkin_roster(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_check_in(get_checkin_roster.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	return private.checkin_roster(get_checkin_roster.activity_id);
end;
$$;
revoke all on function public.get_checkin_roster(uuid) from public, anon;
grant execute on function public.get_checkin_roster(uuid) to authenticated, service_role;

-- Refuses: not_staff (403).
create function public.get_checkin_counter(activity_id uuid, day date default null) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_check_in(get_checkin_counter.activity_id) then
		perform private.api_error(403, 'not_staff', 'Only the staff of this activity can check people in.',
			'只有该活动的工作人员可以签到。');
	end if;
	return private.checkin_counter(get_checkin_counter.activity_id,
		coalesce(get_checkin_counter.day,
			(now() at time zone (select s.time_zone from private.union_settings s))::date));
end;
$$;
revoke all on function public.get_checkin_counter(uuid,date) from public, anon;
grant execute on function public.get_checkin_counter(uuid,date) to authenticated, service_role;

-- The office's conflict inbox: flagged check-ins (duplicates across phones, provisional accepts,
-- cancelled tickets, clock skew) of the activities the caller manages, with their last review.
create function public.list_checkin_conflicts(activity_id uuid default null, include_reviewed boolean default false)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'check_in_id', c.id, 'activity_id', c.activity_id, 'activity_title', a.title,
			'member_name', m.name, 'unit_name', u.name, 'day', c.day, 'kind', c.kind,
			'flags', to_jsonb(c.flags), 'device_id', c.device_id, 'device_time', c.device_time,
			'server_time', c.server_time,
			'recorded_by', (select x.name from private.members x where x.id = c.recorded_by),
			'review', (
				select jsonb_build_object('decision', r.decision, 'note', r.note, 'decided_at', r.decided_at,
					'decided_by', (select x.name from private.members x where x.id = r.decided_by))
				from private.check_in_reviews r where r.check_in_id = c.id
				order by r.decided_at desc limit 1
			)
		) order by c.server_time desc)
		from private.check_ins c
		join private.activities a on a.id = c.activity_id
		left join private.members m on m.id = c.member_id
		left join private.units u on u.id = m.unit_id
		where cardinality(c.flags) > 0
			and c.kind <> 'undo'
			and (list_checkin_conflicts.activity_id is null or c.activity_id = list_checkin_conflicts.activity_id)
			and private.can_manage_activity(c.activity_id)
			and (include_reviewed or not exists (select 1 from private.check_in_reviews r where r.check_in_id = c.id))
	), '[]'::jsonb);
end;
$$;
revoke all on function public.list_checkin_conflicts(uuid,boolean) from public, anon;
grant execute on function public.list_checkin_conflicts(uuid,boolean) to authenticated, service_role;

-- Confirms or reverses a flagged check-in; a reversed one stops counting. Audited.
-- Refuses: check_in_not_found (404), decision_invalid (400).
create function private.review_check_in(target uuid, decision text, note text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	check_in private.check_ins;
begin
	select * into check_in from private.check_ins c where c.id = target;
	if check_in.id is null or check_in.kind = 'undo' or not private.can_manage_activity(check_in.activity_id) then
		perform private.api_error(404, 'check_in_not_found', 'No such check-in.', '没有找到这条签到记录。');
	end if;
	if decision not in ('confirmed', 'reversed') then
		perform private.api_error(400, 'decision_invalid', 'Decide confirmed or reversed.', '请选择确认或撤销。');
	end if;
	insert into private.check_in_reviews (check_in_id, decision, note, decided_by)
	values (target, decision, left(coalesce(note, ''), 500), private.current_member_id());
	insert into private.audit_log (actor_user_id, action, subject)
	values ((select auth.uid()), 'check_in_reviewed',
		jsonb_build_object('check_in_id', target, 'decision', decision));
	return jsonb_build_object('check_in_id', target, 'decision', decision);
end;
$$;
revoke all on function private.review_check_in(uuid,text,text) from public, anon;
grant execute on function private.review_check_in(uuid,text,text) to authenticated, service_role;

create function public.review_check_in(check_in_id uuid, decision text, note text default '')
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return private.review_check_in(review_check_in.check_in_id, review_check_in.decision, review_check_in.note);
end;
$$;
revoke all on function public.review_check_in(uuid,text,text) from public, anon;
grant execute on function public.review_check_in(uuid,text,text) to authenticated, service_role;

-- Members a staff member may add as walk-ins: by name (at least 2 characters), 工号 or the
-- last 4 digits of the phone (at least 4 digits), at most 10 answers; the minimum lengths keep
-- the roster from being listed by guessing. Refused where the activity takes no walk-ins; only
-- the activity's eligible population is searched; each caller may search at most 30 times a
-- minute (private.take_rate_limit). Volatile: it counts the caller's searches.
-- Refuses: not_staff (403), walk_in_not_allowed (409), query_too_short (400).
create function public.search_walk_in_members(activity_id uuid, query text)
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
revoke all on function public.search_walk_in_members(uuid,text) from public, anon;
grant execute on function public.search_walk_in_members(uuid,text) to authenticated, service_role;

-- The lookup behind it, as the definer (staff of one activity may not read every member), over
-- the activity's eligible population only.
create function private.members_for_walk_in(target_activity uuid, needle text)
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
revoke all on function private.members_for_walk_in(uuid,text) from public, anon;
grant execute on function private.members_for_walk_in(uuid,text) to authenticated, service_role;

-- The activities the caller may check people in for, from a day before today on (rosters are
-- downloaded before the doors open), with their days in the union's time zone and whether the
-- caller manages them (organizers may accept unknown tickets provisionally; staff may not).
create function public.list_checkin_activities() returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'id', a.id, 'title', a.title, 'status', a.status, 'starts_at', a.starts_at,
			'ends_at', a.ends_at, 'place', a.place, 'walk_in_allowed', a.walk_in_allowed,
			'days', to_jsonb(private.activity_days(a.id)),
			'manages', private.can_manage_activity(a.id)
		) order by a.starts_at, a.title)
		from (
			select x.* from private.activities x
			where x.status in ('published', 'closed', 'completed')
				and x.ends_at > now() - interval '1 day'
				and private.can_check_in(x.id)
			order by x.starts_at
			limit 50
		) a
	), '[]'::jsonb);
end;
$$;
revoke all on function public.list_checkin_activities() from public, anon;
grant execute on function public.list_checkin_activities() to authenticated, service_role;

-- Attendance from a paper sign-in sheet (补录), entered by a manager after the day: a check-in
-- of kind 'paper' (flagged 'paper'), counted like any other. Idempotent per member and day: a
-- member who already counts that day gets no second row.
-- Refuses: activity_not_held (409), wrong_day (400), day_in_future (400), member_unknown,
--  already_counted.
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
revoke all on function private.record_paper_attendance(uuid,date,uuid[]) from public, anon;
grant execute on function private.record_paper_attendance(uuid,date,uuid[]) to authenticated, service_role;

-- Refuses: members_invalid (400).
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
revoke all on function public.record_paper_attendance(uuid,date,uuid[]) from public, anon;
grant execute on function public.record_paper_attendance(uuid,date,uuid[]) to authenticated, service_role;

-- Applies one check_in, walk_in or undo_check_in action, given the check-in scope of its
-- activity: the caller's member id (`staff`), whether the caller may check people in there
-- (private.can_check_in) and the activity's days (private.activity_days). Called inside
-- private.apply_action's savepoint, after the ledger claimed the id. Returns the action's result.
-- A registration for a session of another day than the check-in day is refused `wrong_day`
-- (with the session in the entity), unless an organizer overrides it (payload override_day):
-- then it is applied and flagged `other_day`.
-- Refuses: registration_rejected (409), approval_required (409), not_staff, malformed, wrong_day,
--  activity_cancelled, walk_in_not_allowed, member_unknown, full, provisional_not_allowed,
--  provisional, ticket_unknown, wrong_activity, registration_unknown, not_admitted,
--  override_not_allowed.
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
revoke all on function private.apply_checkin_scoped(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean,uuid,boolean,date[]) from public, anon;
grant execute on function private.apply_checkin_scoped(uuid,text,jsonb,text,bigint,timestamp with time zone,boolean,uuid,boolean,date[]) to authenticated, service_role;

-- A batch of scans and check-ins by hand at one activity, applied with set-based statements: the
-- lookups in one query, the ledger rows and the check-ins in one insert each. Only for the plain
-- case, where the result is exactly what applying the actions one by one in seq order gives:
-- every action a well-formed, new `check_in` of the caller's naming `target` with a ticket (or a
-- registration id), distinct ids and seqs, no two check-ins of one member and day in the batch
-- (the second would name the first as a duplicate), no provisional acceptance and no
-- override_day. The same session-day rule as one by one (`wrong_day`), and `v` must be the number
-- 1. Returns the results in seq order, or null (nothing written) when the batch is not that
-- plain case; raises when an action turns out not to be (a malformed day, an id already in the
-- ledger), so that the caller rolls it back and applies the actions one by one.
-- Refuses: wrong_day, not_admitted.
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
revoke all on function private.apply_checkin_batch(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) from public, anon;
grant execute on function private.apply_checkin_batch(uuid,text,jsonb,boolean,uuid,uuid,boolean,date[]) to authenticated, service_role;

-- ###########################################################################################
-- supabase/schemas/05_roster.sql
-- ###########################################################################################

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

-- ###########################################################################################
-- supabase/schemas/06_roles.sql
-- ###########################################################################################

-- Staff roles: the union office (工会办公室), organizers (工会干事) and liaisons (工会小组长) of a
-- unit subtree, and check-in staff of one activity.
--
-- Rules enforced here:
-- - only the office grants and revokes office, organizer and liaison roles; organizers of an
--   activity also grant and revoke its check-in staff;
-- - one revoke rule for every role (private.revoke_role): nobody revokes their own office role,
--   and the last office role is never revoked, under a lock on the office rows so two revokes
--   at once cannot leave the union without an office; every grant and revoke is audited.

-- Grants `checkin_staff` for one activity to the member with `target_employee_no`; idempotent:
-- a member who already holds the grant gets the existing row back. The caller is checked by
-- the public function; this one checks again (defence in depth).
-- Refuses: not_organizer (403), member_not_found (404).
create function private.grant_checkin_staff(target_activity uuid, target_employee_no text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	member private.members;
	role_row private.staff_roles;
	created boolean := false;
begin
	if me is null or not private.can_manage_activity(target_activity) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can name check-in staff.',
			'只有工会办公室和该活动的组织者可以指定签到员。');
	end if;
	select * into member from private.members m
	where m.employee_no = btrim(coalesce(target_employee_no, ''))
		and (m.active_until is null or m.active_until > current_date);
	if member.id is null then
		perform private.api_error(404, 'member_not_found', 'No current member has this employee number.',
			'名册中没有这个工号的在职会员。');
	end if;
	-- One grant per member and activity at a time; concurrent grants serialise on the activity.
	perform 1 from private.activities a where a.id = target_activity for update;
	select * into role_row from private.staff_roles r
	where r.member_id = member.id and r.role = 'checkin_staff' and r.activity_id = target_activity
		and r.revoked_at is null;
	if role_row.id is null then
		insert into private.staff_roles (member_id, role, activity_id, granted_by)
		values (member.id, 'checkin_staff', target_activity, me)
		returning * into role_row;
		created := true;
		insert into private.audit_log (actor_user_id, action, subject)
		values ((select auth.uid()), 'checkin_staff_granted', jsonb_build_object(
			'role_id', role_row.id, 'activity_id', target_activity, 'member_id', member.id));
	end if;
	return jsonb_build_object(
		'role_id', role_row.id, 'member_id', member.id, 'name', member.name,
		'employee_no', member.employee_no,
		'unit_name', (select u.name from private.units u where u.id = member.unit_id),
		'granted_at', role_row.granted_at, 'created', created);
end;
$$;
revoke all on function private.grant_checkin_staff(uuid,text) from public, anon;
grant execute on function private.grant_checkin_staff(uuid,text) to authenticated, service_role;

-- Refuses: not_organizer (403).
create function public.grant_checkin_staff(activity_id uuid, employee_no text) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_manage_activity(grant_checkin_staff.activity_id) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can name check-in staff.',
			'只有工会办公室和该活动的组织者可以指定签到员。');
	end if;
	return private.grant_checkin_staff(grant_checkin_staff.activity_id, grant_checkin_staff.employee_no);
end;
$$;
revoke all on function public.grant_checkin_staff(uuid,text) from public, anon;
grant execute on function public.grant_checkin_staff(uuid,text) to authenticated, service_role;

-- The current check-in staff of an activity, for the organizers who manage it.
-- Refuses: not_organizer (403).
create function public.list_activity_staff(activity_id uuid) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_member();
	if not private.can_manage_activity(list_activity_staff.activity_id) then
		perform private.api_error(403, 'not_organizer',
			'Only the union office and the organizers of this activity can see its check-in staff.',
			'只有工会办公室和该活动的组织者可以查看签到员。');
	end if;
	-- Reads through RLS: staff_roles_read lets managers of the activity see its grants.
	return coalesce((
		select jsonb_agg(jsonb_build_object(
			'role_id', r.id, 'member_id', m.id, 'name', m.name, 'employee_no', m.employee_no,
			'unit_name', (select u.name from private.units u where u.id = m.unit_id),
			'granted_at', r.granted_at,
			'granted_by', (select g.name from private.members g where g.id = r.granted_by)
		) order by r.granted_at, m.employee_no)
		from private.staff_roles r
		join private.members m on m.id = r.member_id
		where r.activity_id = list_activity_staff.activity_id
			and r.role = 'checkin_staff' and r.revoked_at is null
	), '[]'::jsonb);
end;
$$;
revoke all on function public.list_activity_staff(uuid) from public, anon;
grant execute on function public.list_activity_staff(uuid) to authenticated, service_role;

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
revoke all on function private.staff_role_json(uuid) from public, anon;
grant execute on function private.staff_role_json(uuid) to authenticated, service_role;

-- Grants office (office only), organizer (office only) or liaison (the office, or an organizer
-- whose subtree holds the unit and the member). Granting what is already granted answers with it.
-- Refuses: role_invalid (400), member_not_found (404), unit_not_expected (400), unit_not_found
--  (404), not_allowed (403), unit_not_in_scope (403), member_not_in_scope (403).
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
revoke all on function private.grant_role(text,text,text) from public, anon;
grant execute on function private.grant_role(text,text,text) to authenticated, service_role;

-- Refuses: role_not_found (404), own_office_role (409), last_office (409).
create function private.revoke_role(role_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
	me uuid := private.current_member_id();
	target private.staff_roles;
begin
	select * into target from private.staff_roles r where r.id = role_id;
	if target.id is null or not (
		private.is_office()
		or (target.role = 'liaison' and private.unit_in_scope(target.unit_id, array['organizer']))
		or (target.role = 'checkin_staff' and private.can_manage_activity(target.activity_id))
	) then
		-- Someone else's grant looks the same as none at all.
		perform private.api_error(404, 'role_not_found', 'No such role you can revoke.', '没有找到可撤销的角色。');
	end if;
	if target.role = 'office' then
		perform 1 from private.staff_roles r
		where r.role = 'office' and r.revoked_at is null
		order by r.id
		for update;
	end if;
	select * into target from private.staff_roles r where r.id = role_id for update;
	if target.revoked_at is not null then
		return private.staff_role_json(target.id) || jsonb_build_object('existing', true);
	end if;
	if target.role = 'office' and target.member_id = me then
		perform private.api_error(409, 'own_office_role', 'You cannot revoke your own office role.',
			'不能撤销自己的工会办公室权限。');
	end if;
	if target.role = 'office' and (
		select count(*) from private.staff_roles r where r.role = 'office' and r.revoked_at is null
	) <= 1 then
		perform private.api_error(409, 'last_office', 'The last union office account cannot be removed.',
			'不能撤销最后一个工会办公室账号。');
	end if;
	update private.staff_roles r set revoked_at = now(), revoked_by = me where r.id = target.id;
	perform private.audit('role_revoked', jsonb_build_object('role_id', target.id, 'member_id', target.member_id,
		'role', target.role, 'unit_id', target.unit_id, 'activity_id', target.activity_id));
	return private.staff_role_json(target.id) || jsonb_build_object('existing', false);
end;
$$;
revoke all on function private.revoke_role(uuid) from public, anon;
grant execute on function private.revoke_role(uuid) to authenticated, service_role;

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
revoke all on function private.list_staff() from public, anon;
grant execute on function private.list_staff() to authenticated, service_role;

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
revoke all on function public.grant_role(text,text,text) from public, anon;
grant execute on function public.grant_role(text,text,text) to authenticated, service_role;

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
revoke all on function public.revoke_role(uuid) from public, anon;
grant execute on function public.revoke_role(uuid) to authenticated, service_role;

-- Refuses: not_allowed (403).
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
revoke all on function public.list_staff() from public, anon;
grant execute on function public.list_staff() to authenticated, service_role;

-- ###########################################################################################
-- supabase/schemas/07_liaison.sql
-- ###########################################################################################

-- 代报名: a liaison (工会小组长), an organizer or the office signs colleagues up and cancels
-- for them. Each person is judged by every rule of their own sign-up (02_signup.sql); one
-- refusal does not stop the others, and each refused person gets the server's reason in both
-- languages.
--
-- Rules enforced here: the caller looks after each person (the office anyone, organizers and
-- liaisons their unit subtree); the lists show only the caller's scope and activities whose
-- sign-up is open now.

-- Signs members up for an activity on their behalf, each under every rule of their own sign-up
-- (private.sign_up), one at a time so one refusal does not stop the others; the (member,
-- series) locks of all of them are taken first, in key order. The caller must look after each
-- member: the office anyone, organizers and liaisons their subtree. Results per member:
-- {member_id, name, status: applied|noop|rejected, code, outcome, registration_id, message_en,
-- message_zh}: a refused person's result carries the server's reason in both languages.
-- Refuses: member_not_in_scope.
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
	err_en text;
	err_zh text;
begin
	-- Every member's (member, series) lock first, in key order, before the
	-- first sign-up locks the activity's row (the order a lone sign-up takes them in).
	if not cancel then
		perform private.lock_member_series(member_ids,
			(select a.series from private.activities a where a.id = target_activity));
	end if;
	foreach target_member in array (select array_agg(distinct x) from unnest(member_ids) x) loop
		select * into member from private.members m where m.id = target_member;
		if member.id is null or not (office or private.unit_in_scope(member.unit_id, array['organizer', 'liaison'])) then
			results := results || jsonb_build_object('member_id', target_member, 'name', null, 'status', 'rejected',
				'code', 'member_not_in_scope', 'outcome', null, 'registration_id', null,
				'message_en', 'This member is not in the group you look after.',
				'message_zh', '该会员不在您负责的范围内。');
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
			get stacked diagnostics err_code = message_text, err_state = returned_sqlstate,
				err_en = pg_exception_detail, err_zh = pg_exception_hint;
			if err_state not like 'PT%' then
				raise;
			end if;
			results := results || jsonb_build_object('member_id', member.id, 'name', member.name,
				'status', 'rejected', 'code', err_code, 'outcome', null, 'registration_id', null,
				'message_en', nullif(err_en, ''), 'message_zh', nullif(err_zh, ''));
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
revoke all on function private.on_behalf(uuid,uuid[],uuid,text[],jsonb,boolean) from public, anon;
grant execute on function private.on_behalf(uuid,uuid[],uuid,text[],jsonb,boolean) to authenticated, service_role;

-- Refuses: not_allowed (403), members_invalid (400).
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
revoke all on function private.require_helper_of_members(uuid[]) from public, anon;
grant execute on function private.require_helper_of_members(uuid[]) to authenticated, service_role;

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
revoke all on function public.sign_up_on_behalf(uuid,uuid[],uuid,jsonb,text[]) from public, anon;
grant execute on function public.sign_up_on_behalf(uuid,uuid[],uuid,jsonb,text[]) to authenticated, service_role;

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
revoke all on function public.cancel_on_behalf(uuid,uuid[]) from public, anon;
grant execute on function public.cancel_on_behalf(uuid,uuid[]) to authenticated, service_role;

-- Refuses callers who may not sign others up (the same rule as private.require_helper_of_members).
-- Refuses: not_allowed (403).
create function private.require_signup_helper() returns void
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
end;
$$;
revoke all on function private.require_signup_helper() from public, anon;
grant execute on function private.require_signup_helper() to authenticated, service_role;

-- Active members in the caller's scope, ordered by name then 工号 (same names side by side, each
-- with unit and 工号), one page of at most 200 with the total of all matches. `needle` matches a
-- part of the name or 工号, or the end of the phone number (4 digits or more). With an activity,
-- each member's registration status there (null when none).
create function private.signup_members(needle text, row_offset integer, row_limit integer, target_activity uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
	pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
	phone_suffix text := case when needle ~ '^[0-9]{4,}$' then needle end;
	result jsonb;
begin
	with found as (
		select m.id, m.name, m.employee_no, u.id as unit_id, u.code as unit_code, u.name as unit_name
		from private.members m
		join private.units u on u.id = m.unit_id
		where (m.active_until is null or m.active_until > current_date)
			and (office or u.ancestors && scope)
			and (needle = ''
				or m.name like pattern
				or m.employee_no ilike pattern
				or right(regexp_replace(m.phone, '[^0-9]', '', 'g'), char_length(phone_suffix)) = phone_suffix)
	),
	page as (
		select f.* from found f order by f.name, f.employee_no offset row_offset limit row_limit
	)
	select jsonb_build_object(
		'total', (select count(*) from found),
		'offset', row_offset,
		'members', coalesce((
			select jsonb_agg(jsonb_build_object(
				'id', p.id, 'name', p.name, 'employee_no', p.employee_no, 'unit_id', p.unit_id,
				'unit_code', p.unit_code, 'unit_name', p.unit_name, 'registration_status', r.status
			) order by p.name, p.employee_no)
			from page p
			left join private.registrations r on r.member_id = p.id and r.activity_id = target_activity
		), '[]'::jsonb)
	)
	into result;
	return result;
end;
$$;
revoke all on function private.signup_members(text,integer,integer,uuid) from public, anon;
grant execute on function private.signup_members(text,integer,integer,uuid) to authenticated, service_role;

-- Refuses: page_invalid (400), query_too_long (400).
create function public.list_signup_members(
	query text default '',
	row_offset integer default 0,
	row_limit integer default 50,
	activity_id uuid default null
) returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
	needle text := btrim(coalesce(query, ''));
begin
	perform private.require_signup_helper();
	if row_offset is null or row_offset < 0 or row_limit is null or row_limit < 1 or row_limit > 200 then
		perform private.api_error(400, 'page_invalid', 'Ask for a page of 1 to 200 members.', '每页可显示 1 到 200 人。');
	end if;
	if char_length(needle) > 50 then
		perform private.api_error(400, 'query_too_long', 'Search for at most 50 characters.', '查找内容不能超过 50 个字。');
	end if;
	return private.signup_members(needle, row_offset, row_limit, list_signup_members.activity_id);
end;
$$;
revoke all on function public.list_signup_members(text,integer,integer,uuid) from public, anon;
grant execute on function public.list_signup_members(text,integer,integer,uuid) to authenticated, service_role;

-- Published activities whose sign-up is open now and that someone in the caller's scope may join
-- (eligible units overlap the scope; the office: all).
create function private.signup_activities()
returns table (
	id uuid,
	title text,
	category text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	admission text,
	waitlist_enabled boolean,
	signup_closes_at timestamptz,
	eligible_genders text[],
	session_count integer
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
begin
	return query
	select a.id, a.title, a.category, a.starts_at, a.ends_at, a.place, a.capacity, a.seats_taken,
		a.admission, a.waitlist_enabled, a.signup_closes_at, a.eligible_genders,
		(select count(*)::integer from private.sessions s where s.activity_id = a.id)
	from private.activities a
	where a.status = 'published'
		and now() < a.starts_at
		and (a.signup_opens_at is null or a.signup_opens_at <= now())
		and (a.signup_closes_at is null or now() < a.signup_closes_at)
		and (office or a.eligible_unit_ids is null or exists (
			-- A scope root inside an eligible subtree, or an eligible unit inside the scope.
			select 1 from private.units u
			where (u.id = any (scope) and u.ancestors && a.eligible_unit_ids)
				or (u.id = any (a.eligible_unit_ids) and u.ancestors && scope)
		))
	order by a.starts_at, a.title;
end;
$$;
revoke all on function private.signup_activities() from public, anon;
grant execute on function private.signup_activities() to authenticated, service_role;

create function public.list_signup_activities()
returns table (
	id uuid,
	title text,
	category text,
	starts_at timestamptz,
	ends_at timestamptz,
	place text,
	capacity integer,
	seats_taken integer,
	admission text,
	waitlist_enabled boolean,
	signup_closes_at timestamptz,
	eligible_genders text[],
	session_count integer
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_signup_helper();
	return query select * from private.signup_activities();
end;
$$;
revoke all on function public.list_signup_activities() from public, anon;
grant execute on function public.list_signup_activities() to authenticated, service_role;

-- Registrations (any status) of members in the caller's scope for one activity, all of them.
create function private.signup_registrations(target_activity uuid)
returns table (
	registration_id uuid,
	member_id uuid,
	employee_no text,
	member_name text,
	unit_code text,
	unit_name text,
	status text,
	source text,
	session_label text,
	session_starts_at timestamptz,
	waitlist_position integer,
	queued_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
	office boolean := private.is_office();
	scope uuid[] := private.scope_unit_ids(array['organizer', 'liaison']);
begin
	return query
	select r.id, m.id, m.employee_no, m.name, u.code, u.name, r.status, r.source, s.label, s.starts_at,
		case when r.status = 'waitlisted' then (
			select count(*)::integer from private.registrations w
			where w.activity_id = r.activity_id and w.status = 'waitlisted'
				and w.session_id is not distinct from r.session_id
				and (w.queued_at, w.id) <= (r.queued_at, r.id)
		) end,
		r.queued_at
	from private.registrations r
	join private.members m on m.id = r.member_id
	join private.units u on u.id = m.unit_id
	left join private.sessions s on s.id = r.session_id
	where r.activity_id = target_activity and (office or u.ancestors && scope)
	order by m.name, m.employee_no;
end;
$$;
revoke all on function private.signup_registrations(uuid) from public, anon;
grant execute on function private.signup_registrations(uuid) to authenticated, service_role;

-- Refuses: activity_not_found (404).
create function public.list_signup_registrations(activity_id uuid)
returns table (
	registration_id uuid,
	member_id uuid,
	employee_no text,
	member_name text,
	unit_code text,
	unit_name text,
	status text,
	source text,
	session_label text,
	session_starts_at timestamptz,
	waitlist_position integer,
	queued_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
	perform private.require_signup_helper();
	-- Drafts exist only for those who manage them (activities_read).
	if not exists (select 1 from private.activities a where a.id = list_signup_registrations.activity_id) then
		perform private.api_error(404, 'activity_not_found', 'This activity does not exist.', '没有找到这个活动。');
	end if;
	return query select * from private.signup_registrations(list_signup_registrations.activity_id);
end;
$$;
revoke all on function public.list_signup_registrations(uuid) from public, anon;
grant execute on function public.list_signup_registrations(uuid) to authenticated, service_role;

-- ###########################################################################################
-- supabase/schemas/08_approvals.sql
-- ###########################################################################################

-- Managing an activity's registrations: the list, approving and rejecting (审核), and moving a
-- person up from the waitlist by hand.
--
-- Rules enforced here: only those who may manage the activity (private.require_manager: the
-- office, organizers of its unit subtree); a decision applies to a registration still waiting;
-- admitting takes a seat under the activity's lock like a sign-up, so capacity holds.

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
revoke all on function private.list_registrations(uuid) from public, anon;
grant execute on function private.list_registrations(uuid) to authenticated, service_role;

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
revoke all on function public.list_registrations(uuid) from public, anon;
grant execute on function public.list_registrations(uuid) to authenticated, service_role;

-- Admits a registration now, under the activity's lock: a seat must be free in the activity and
-- in its session (capacity check constraints back this up).
-- Refuses: full (409), session_full (409).
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
revoke all on function private.admit(private.registrations,private.activities) from public, anon;
grant execute on function private.admit(private.registrations,private.activities) to authenticated, service_role;

-- Refuses: registration_not_found (404), decision_invalid (400), not_pending (409),
--  activity_not_open (409).
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
revoke all on function private.decide_registration(uuid,text,text) from public, anon;
grant execute on function private.decide_registration(uuid,text,text) to authenticated, service_role;

-- Refuses: registration_not_found (404), not_waitlisted (409), activity_not_open (409).
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
revoke all on function private.move_from_waitlist(uuid) from public, anon;
grant execute on function private.move_from_waitlist(uuid) to authenticated, service_role;

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
revoke all on function public.decide_registration(uuid,text,text) from public, anon;
grant execute on function public.decide_registration(uuid,text,text) to authenticated, service_role;

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
revoke all on function public.move_from_waitlist(uuid) from public, anon;
grant execute on function public.move_from_waitlist(uuid) to authenticated, service_role;

-- ###########################################################################################
-- supabase/schemas/09_activity_editor.sql
-- ###########################################################################################

-- The activity editor: creating, editing, copying, publishing, closing and cancelling
-- activities, and their sessions (场次).
--
-- Rules enforced here: only the office and organizers of the activity's unit subtree; every
-- field is checked with a field-level code the editor shows beside the field (private.field_error):
-- times in order, the sign-up window inside the time before the start, capacity never below the
-- seats already taken, questions well formed; a published activity keeps its registrations'
-- promises (a session with registrations is not deleted). Every change is audited.

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
revoke all on function private.questions_problem(jsonb) from public, anon;
grant execute on function private.questions_problem(jsonb) to authenticated, service_role;

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
revoke all on function private.activity_admin_json(uuid) from public, anon;
grant execute on function private.activity_admin_json(uuid) to authenticated, service_role;

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
revoke all on function private.field_error(text) from public, anon;
grant execute on function private.field_error(text) to authenticated, service_role;

-- Creates (no id) or updates an activity from the editor's JSON. On update, fields absent from
-- the JSON keep their values. Every rule of an activity (docs/product.md) is checked; the sign-up
-- window must close and open before the start; see the codes below.
-- Refuses: activity_invalid (400), field_unknown (400), activity_not_found (404), activity_locked
--  (409), version_conflict (409), title_invalid (400), description_invalid (400), category_invalid
--  (400), place_invalid (400), owner_unit_invalid (400), owner_unit_not_in_scope (403),
--  times_invalid (400), signup_window_invalid (400), signup_closes_after_start (400),
--  signup_opens_after_start (400), cancel_deadline_invalid (400), capacity_invalid (400),
--  capacity_below_taken (409), admission_invalid (400), admission_locked (409), guests_max_invalid
--  (400), guests_below_registered (409), eligibility_invalid (400), series_invalid (400),
--  questions_invalid (400).
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
	-- Sign-up ends at the start whatever the deadline says (sign_up refuses from starts_at on):
	-- a later deadline, or an opening at or after the start, would be saved, shown and ignored.
	if a.signup_closes_at is not null and a.signup_closes_at > a.starts_at then
		perform private.api_error(400, 'signup_closes_after_start',
			'The sign-up deadline cannot be after the start: sign-up closes when the activity starts.',
			'报名截止时间不能晚于活动开始时间（活动开始时报名即截止）。');
	end if;
	if a.signup_opens_at is not null and a.signup_opens_at >= a.starts_at then
		perform private.api_error(400, 'signup_opens_after_start',
			'Sign-up must open before the activity starts.', '报名开始时间须早于活动开始时间。');
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
revoke all on function private.save_activity(jsonb) from public, anon;
grant execute on function private.save_activity(jsonb) to authenticated, service_role;

-- publish: draft or closed → published; close: published → closed; cancel: → cancelled, with
-- a reason registrants see; the registrations keep their status (their tickets no longer scan).
-- Refuses: activity_not_found (404), status_invalid (409), activity_over (409), reason_invalid
--  (400).
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
revoke all on function private.set_activity_status(uuid,text,text) from public, anon;
grant execute on function private.set_activity_status(uuid,text,text) to authenticated, service_role;

-- A copy for next time (by default 364 days later: the same weekday), as a draft, with its
-- sessions; no registrations.
-- Refuses: activity_not_found (404).
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
revoke all on function private.copy_activity(uuid,integer) from public, anon;
grant execute on function private.copy_activity(uuid,integer) to authenticated, service_role;

-- Sessions for the given days, or for the weekdays (ISO: 1 = Monday … 7 = Sunday) between two
-- dates, from start_time to end_time in the union's time zone, each with `capacity` seats.
-- Days that already have a session at that time are skipped; every session lies inside the
-- activity's times.
-- Refuses: activity_not_found (404), activity_locked (409), session_times_invalid (400),
--  capacity_invalid (400), session_days_invalid (400), session_outside_activity (400).
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
revoke all on function private.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) from public, anon;
grant execute on function private.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) to authenticated, service_role;

-- Refuses: session_not_found (404), capacity_invalid (400), capacity_below_taken (409).
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
revoke all on function private.update_session(uuid,integer,text) from public, anon;
grant execute on function private.update_session(uuid,integer,text) to authenticated, service_role;

-- Refuses: session_not_found (404), session_not_empty (409).
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
revoke all on function private.delete_session(uuid) from public, anon;
grant execute on function private.delete_session(uuid) to authenticated, service_role;

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
revoke all on function private.list_managed_activities() from public, anon;
grant execute on function private.list_managed_activities() to authenticated, service_role;

-- Refuses: not_allowed (403).
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
revoke all on function public.save_activity(jsonb) from public, anon;
grant execute on function public.save_activity(jsonb) to authenticated, service_role;

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
revoke all on function public.get_activity_admin(uuid) from public, anon;
grant execute on function public.get_activity_admin(uuid) to authenticated, service_role;

-- Refuses: not_allowed (403).
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
revoke all on function public.list_managed_activities() from public, anon;
grant execute on function public.list_managed_activities() to authenticated, service_role;

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
revoke all on function public.publish_activity(uuid) from public, anon;
grant execute on function public.publish_activity(uuid) to authenticated, service_role;

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
revoke all on function public.close_activity(uuid) from public, anon;
grant execute on function public.close_activity(uuid) to authenticated, service_role;

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
revoke all on function public.cancel_activity(uuid,text) from public, anon;
grant execute on function public.cancel_activity(uuid,text) to authenticated, service_role;

-- Refuses: shift_invalid (400).
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
revoke all on function public.copy_activity(uuid,integer) from public, anon;
grant execute on function public.copy_activity(uuid,integer) to authenticated, service_role;

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
revoke all on function public.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) from public, anon;
grant execute on function public.generate_sessions(uuid,time without time zone,time without time zone,integer,date[],date,date,integer[],text) to authenticated, service_role;

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
revoke all on function public.update_session(uuid,integer,text) from public, anon;
grant execute on function public.update_session(uuid,integer,text) to authenticated, service_role;

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
revoke all on function public.delete_session(uuid) from public, anon;
grant execute on function public.delete_session(uuid) to authenticated, service_role;

-- ###########################################################################################
-- supabase/schemas/10_reports.sql
-- ###########################################################################################

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
