-- What a Supabase database already has before the project's migrations run, for plain PostgreSQL
-- and PGlite. Idempotent and additive: it never drops or replaces anything that exists, so it is
-- safe to run on every start. Roles are cluster-wide, so every CREATE ROLE is guarded (several
-- databases of one cluster get bootstrapped, sometimes concurrently; migrate.ts retries on a race).

-- Roles ---------------------------------------------------------------------------------------
do $$
declare
	wanted text[][] := array[
		array['anon', 'nologin noinherit'],
		array['authenticated', 'nologin noinherit'],
		array['service_role', 'nologin noinherit bypassrls'],
		array['authenticator', 'login noinherit'],
		array['supabase_admin', 'nologin noinherit createrole createdb bypassrls'],
		array['supabase_auth_admin', 'nologin noinherit createrole']
	];
	i int;
begin
	for i in 1 .. array_length(wanted, 1) loop
		if not exists (select from pg_roles where rolname = wanted[i][1]) then
			execute format('create role %I %s', wanted[i][1], wanted[i][2]);
		end if;
	end loop;
end
$$;

do $$
declare
	r text;
begin
	foreach r in array array['anon', 'authenticated', 'service_role'] loop
		if not exists (
			select from pg_auth_members m
			join pg_roles g on g.oid = m.roleid
			join pg_roles u on u.oid = m.member
			where g.rolname = r and u.rolname = 'authenticator'
		) then
			execute format('grant %I to authenticator', r);
		end if;
	end loop;
end
$$;

-- Per-role settings, as on Supabase (PostgREST applies the impersonated role's settings).
do $$
declare
	s record;
begin
	for s in
		select * from (values
			('anon', 'statement_timeout', '3s'),
			('authenticated', 'statement_timeout', '8s'),
			('authenticator', 'statement_timeout', '8s')
		) as v(role_name, setting, value)
	loop
		if not exists (
			select from pg_db_role_setting d
			join pg_roles r on r.oid = d.setrole
			where r.rolname = s.role_name and d.setdatabase = 0
				and d.setconfig @> array[s.setting || '=' || s.value]
		) then
			execute format('alter role %I set %I = %L', s.role_name, s.setting, s.value);
		end if;
	end loop;
end
$$;

-- Schemas and extensions ------------------------------------------------------------------------
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;

grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

create schema if not exists auth authorization supabase_admin;
grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to anon, authenticated, service_role;

-- auth tables (the columns real Supabase has that seeds commonly use) ---------------------------
create table if not exists auth.users (
	instance_id uuid,
	id uuid not null primary key,
	aud varchar(255),
	role varchar(255),
	email varchar(255),
	encrypted_password varchar(255),
	email_confirmed_at timestamptz,
	invited_at timestamptz,
	confirmation_token varchar(255),
	confirmation_sent_at timestamptz,
	recovery_token varchar(255),
	recovery_sent_at timestamptz,
	email_change_token_new varchar(255),
	email_change varchar(255),
	email_change_sent_at timestamptz,
	last_sign_in_at timestamptz,
	raw_app_meta_data jsonb,
	raw_user_meta_data jsonb,
	is_super_admin boolean,
	created_at timestamptz,
	updated_at timestamptz,
	phone text unique default null,
	phone_confirmed_at timestamptz,
	phone_change text default '',
	phone_change_token varchar(255) default '',
	phone_change_sent_at timestamptz,
	confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
	email_change_token_current varchar(255) default '',
	email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
	banned_until timestamptz,
	reauthentication_token varchar(255) default '',
	reauthentication_sent_at timestamptz,
	is_sso_user boolean not null default false,
	deleted_at timestamptz,
	is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));

create table if not exists auth.identities (
	provider_id text not null,
	user_id uuid not null references auth.users (id) on delete cascade,
	identity_data jsonb not null,
	provider text not null,
	last_sign_in_at timestamptz,
	created_at timestamptz,
	updated_at timestamptz,
	email text generated always as (lower(identity_data ->> 'email')) stored,
	id uuid not null default gen_random_uuid() primary key,
	constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
create index if not exists identities_user_id_idx on auth.identities (user_id);

create table if not exists auth.sessions (
	id uuid not null primary key,
	user_id uuid not null references auth.users (id) on delete cascade,
	created_at timestamptz,
	updated_at timestamptz,
	factor_id uuid,
	aal text,
	not_after timestamptz,
	refreshed_at timestamp,
	user_agent text,
	ip inet,
	tag text
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);

create table if not exists auth.refresh_tokens (
	instance_id uuid,
	id bigserial primary key,
	token varchar(255) unique,
	user_id varchar(255),
	revoked boolean,
	created_at timestamptz,
	updated_at timestamptz,
	parent varchar(255),
	session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);

-- auth helpers, as Supabase defines them ------------------------------------------------------
do $$
begin
	if to_regprocedure('auth.uid()') is null then
		create function auth.uid() returns uuid language sql stable as $f$
			select coalesce(
				nullif(current_setting('request.jwt.claim.sub', true), ''),
				(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
			)::uuid
		$f$;
	end if;
	if to_regprocedure('auth.role()') is null then
		create function auth.role() returns text language sql stable as $f$
			select coalesce(
				nullif(current_setting('request.jwt.claim.role', true), ''),
				(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
			)::text
		$f$;
	end if;
	if to_regprocedure('auth.email()') is null then
		create function auth.email() returns text language sql stable as $f$
			select coalesce(
				nullif(current_setting('request.jwt.claim.email', true), ''),
				(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
			)::text
		$f$;
	end if;
	if to_regprocedure('auth.jwt()') is null then
		create function auth.jwt() returns jsonb language sql stable as $f$
			select coalesce(
				nullif(current_setting('request.jwt.claim', true), ''),
				nullif(current_setting('request.jwt.claims', true), '')
			)::jsonb
		$f$;
	end if;
end
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
	to anon, authenticated, service_role;
grant all on all tables in schema auth to supabase_auth_admin;
grant all on all sequences in schema auth to supabase_auth_admin;

-- The Supabase CLI's migration history -----------------------------------------------------------
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
	version text not null primary key,
	statements text[],
	name text
);
