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
