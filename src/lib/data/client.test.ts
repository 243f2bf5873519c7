import type { Session } from '@supabase/auth-js';
import { describe, expect, it } from 'vitest';
import { fetchWithSession, type SessionSource } from './client.ts';

const KEY = 'anon-key';
const URL_WHOAMI = 'https://api.test/rest/v1/rpc/whoami';

function sessionOf(userId: string, token: string): Session {
	return {
		access_token: token,
		refresh_token: `refresh-${token}`,
		token_type: 'bearer',
		expires_in: 3600,
		expires_at: Math.floor(Date.now() / 1000) + 1800,
		user: { id: userId } as Session['user']
	};
}

/** A stand-in for auth-js: the stored session, and what a refresh does to it. */
class FakeSessions implements SessionSource {
	current: Session | null;
	refreshes = 0;
	onRefresh: (current: Session | null) => Session | null;

	constructor(current: Session | null, onRefresh: (current: Session | null) => Session | null) {
		this.current = current;
		this.onRefresh = onRefresh;
	}

	getSession = async () => ({ data: { session: this.current }, error: null }) as never;

	refreshSession = async () => {
		this.refreshes += 1;
		this.current = this.onRefresh(this.current);
		return (
			this.current === null
				? { data: { session: null, user: null }, error: new Error('refused') }
				: { data: { session: this.current, user: this.current.user }, error: null }
		) as never;
	};
}

/** A server that refuses every token but `valid` with PostgREST's "JWT expired". */
function serverAccepting(valid: string, seen: string[]): typeof fetch {
	return async (_input, init) => {
		const authorization = new Headers(init?.headers).get('Authorization') ?? '';
		seen.push(authorization);
		if (authorization === `Bearer ${valid}`) return Response.json({ ok: true });
		return Response.json({ code: 'PGRST303', message: 'JWT expired' }, { status: 401 });
	};
}

const post = { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } };

describe('fetchWithSession', () => {
	it('R9 a read refused as "JWT expired" refreshes the session once and is sent again', async () => {
		const sessions = new FakeSessions(sessionOf('user-a', 'a1'), () => sessionOf('user-a', 'a2'));
		const seen: string[] = [];
		const response = await fetchWithSession(
			KEY,
			sessions,
			serverAccepting('a2', seen)
		)(URL_WHOAMI, post);
		expect(response.status).toBe(200);
		expect(sessions.refreshes).toBe(1);
		expect(seen).toEqual(['Bearer a1', 'Bearer a2']);
	});

	it('R9 a refused refresh gives the 401 back once, without a loop', async () => {
		const sessions = new FakeSessions(sessionOf('user-a', 'a1'), () => null);
		const seen: string[] = [];
		const response = await fetchWithSession(
			KEY,
			sessions,
			serverAccepting('none', seen)
		)(URL_WHOAMI, post);
		expect(response.status).toBe(401);
		expect(sessions.refreshes).toBe(1);
		expect(seen).toEqual(['Bearer a1']);
	});

	it('R9 a token refreshed meanwhile (another tab) is used without another refresh', async () => {
		const sessions = new FakeSessions(sessionOf('user-a', 'a1'), (current) => current);
		const seen: string[] = [];
		const server = serverAccepting('a2', seen);
		const response = await fetchWithSession(KEY, sessions, async (input, init) => {
			const answer = await server(input, init);
			sessions.current = sessionOf('user-a', 'a2');
			return answer;
		})(URL_WHOAMI, post);
		expect(response.status).toBe(200);
		expect(sessions.refreshes).toBe(0);
		expect(seen).toEqual(['Bearer a1', 'Bearer a2']);
	});

	it('R10 a 401 for a request sent with no token, or as another user, is never retried or refreshed under the current user', async () => {
		for (const before of [null, sessionOf('user-a', 'a1')]) {
			const sessions = new FakeSessions(before, () => sessionOf('user-b', 'b2'));
			const seen: string[] = [];
			const server = serverAccepting('b1', seen);
			const response = await fetchWithSession(KEY, sessions, async (input, init) => {
				const answer = await server(input, init);
				// Another tab signs in as user B while the request is out.
				sessions.current = sessionOf('user-b', 'b1');
				return answer;
			})(URL_WHOAMI, post);
			expect(response.status).toBe(401);
			expect(sessions.refreshes).toBe(0);
			expect(seen).toEqual([`Bearer ${before?.access_token ?? KEY}`]);
		}
	});
});
