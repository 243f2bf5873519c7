-- The stand-in's own auth tables (GoTrue keeps OTPs elsewhere; these are ours). Idempotent.
-- Their presence also marks a database as bootstrapped by the stand-in rather than by Supabase.
-- No grants: API roles never see them (schema auth gets no default privileges).

create table if not exists auth.standin_otp_codes (
	id bigserial primary key,
	user_id uuid not null references auth.users (id) on delete cascade,
	email text not null,
	-- 'signup' confirms a new address; 'magiclink' signs an existing one in. Both verify as 'email'.
	kind text not null check (kind in ('signup', 'magiclink')),
	-- sha256(lower(email) || code): the code itself is only in the mail.
	code_hash text not null,
	created_at timestamptz not null default now(),
	expires_at timestamptz not null,
	used_at timestamptz
);
-- Whether confirming an address with this code keeps the account's password: true only for the
-- code mailed by the sign-up that set it. Any other code clears a password set before confirmation.
alter table auth.standin_otp_codes add column if not exists keeps_password boolean not null default false;
create index if not exists standin_otp_codes_email_idx on auth.standin_otp_codes (email, created_at desc);

create table if not exists auth.standin_mailbox (
	id bigserial primary key,
	to_email text not null,
	subject text not null,
	body text not null,
	code text,
	created_at timestamptz not null default now()
);
create index if not exists standin_mailbox_to_idx on auth.standin_mailbox (to_email, id desc);


-- How each session was established, for the access token's amr claim after a refresh.
create table if not exists auth.standin_session_amr (
	session_id uuid primary key references auth.sessions (id) on delete cascade,
	method text not null,
	created_at timestamptz not null default now()
);

-- The Supabase CLI's migration history (also in bootstrap.sql): repeated here because a real
-- Supabase database the CLI has never pushed to does not have it yet.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
	version text not null primary key,
	statements text[],
	name text
);
