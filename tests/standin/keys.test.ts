// API keys and JWT verification.
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { DEFAULT_JWT_SECRET, apiKeys, signJwt, verifyJwt } from '../../supabase/standin/index.ts';
import { startStandIn } from '../../supabase/standin/index.ts';
import { splitStatements } from '../../supabase/standin/sql-split.ts';

const WELL_KNOWN_ANON_KEY =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
const WELL_KNOWN_SERVICE_ROLE_KEY =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

const now = () => Math.floor(Date.now() / 1000);

describe('keys', () => {
	it('signs the same anon and service_role keys as `supabase start`', async () => {
		const keys = await apiKeys(DEFAULT_JWT_SECRET);
		expect(keys.anonKey).toBe(WELL_KNOWN_ANON_KEY);
		expect(keys.serviceRoleKey).toBe(WELL_KNOWN_SERVICE_ROLE_KEY);
	});

	it('accepts a valid token and tolerates 30 s of clock skew', async () => {
		const fresh = await signJwt({ role: 'authenticated', exp: now() + 60 }, DEFAULT_JWT_SECRET);
		expect((await verifyJwt(fresh, DEFAULT_JWT_SECRET)).ok).toBe(true);
		const justExpired = await signJwt(
			{ role: 'authenticated', exp: now() - 10 },
			DEFAULT_JWT_SECRET
		);
		expect((await verifyJwt(justExpired, DEFAULT_JWT_SECRET)).ok).toBe(true);
	});

	it('reports expired, future and invalid tokens apart', async () => {
		const expired = await signJwt({ exp: now() - 60 }, DEFAULT_JWT_SECRET);
		expect(await verifyJwt(expired, DEFAULT_JWT_SECRET)).toMatchObject({
			ok: false,
			failure: { kind: 'expired' }
		});
		const future = await signJwt({ iat: now() + 120, exp: now() + 3600 }, DEFAULT_JWT_SECRET);
		expect(await verifyJwt(future, DEFAULT_JWT_SECRET)).toMatchObject({
			ok: false,
			failure: { kind: 'future' }
		});
		const notYet = await signJwt({ nbf: now() + 120, exp: now() + 3600 }, DEFAULT_JWT_SECRET);
		expect(await verifyJwt(notYet, DEFAULT_JWT_SECRET)).toMatchObject({
			ok: false,
			failure: { kind: 'future' }
		});
		const forged = await signJwt({ exp: now() + 60 }, 'x'.repeat(40));
		expect(await verifyJwt(forged, DEFAULT_JWT_SECRET)).toMatchObject({
			ok: false,
			failure: { kind: 'invalid' }
		});
	});

	it('allows HS256 only: alg none and HS512 are refused', async () => {
		const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
		const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ role: 'service_role' })}.`;
		expect((await verifyJwt(none, DEFAULT_JWT_SECRET)).ok).toBe(false);
		const hs512 = await new SignJWT({ role: 'service_role' })
			.setProtectedHeader({ alg: 'HS512' })
			.sign(new TextEncoder().encode(DEFAULT_JWT_SECRET));
		expect((await verifyJwt(hs512, DEFAULT_JWT_SECRET)).ok).toBe(false);
	});
});

describe('startStandIn guards', () => {
	it('refuses a non-loopback host', async () => {
		await expect(
			startStandIn({ backend: { kind: 'pglite' }, host: '0.0.0.0' as never, port: 0 })
		).rejects.toThrow(/loopback/);
	});
});

describe('splitStatements', () => {
	it('splits on semicolons outside strings, comments and dollar quotes', () => {
		const script = `-- a comment; not a split
create table t (a text default 'x;y');
/* block; /* nested; */ still */ create function f() returns int language sql as $$ select 1; $$;
create function g() returns int language plpgsql as $body$ begin return 2; end $body$;
select E'it\\'s; fine', "odd;name" from t;
`;
		const statements = splitStatements(script);
		expect(statements).toHaveLength(4);
		expect(statements[0]).toMatch(/^-- a comment; not a split\ncreate table t/);
		expect(statements[1]).toContain('$$ select 1; $$');
		expect(statements[2]).toContain('$body$ begin return 2; end $body$');
		expect(statements[3]).toContain('"odd;name"');
	});
});
