import type { Session } from '@supabase/auth-js';
import { PostgrestClient } from '@supabase/postgrest-js';
import type { RuntimeConfig } from './config.ts';
import type { Database } from './database.types.ts';
import { withEarlyReads } from './early.ts';
import { LazyAuth, type UnionAuth } from './lazy-auth.ts';

/**
 * The API as this app sees it: database functions only, typed by `database.types.ts` (generated
 * from the migrations by `npm run types:generate`). Most functions answer `Json`: the wrappers in
 * this folder still parse every answer at run time, since server and app versions drift.
 */
export type UnionDatabase = Database;

/**
 * supabase-js's own two parts this app uses: GoTrue sessions (`auth`) and PostgREST calls
 * (`rest`). `createClient` would also bundle Realtime, Storage and Functions clients, which the
 * app never calls, and that is more than half of supabase-js's weight on every first load.
 */
export interface UnionClient {
	readonly auth: UnionAuth;
	readonly rest: PostgrestClient<UnionDatabase>;
}

/** The headers every request carries: the project key, and who is calling. */
function baseHeaders(key: string): Record<string, string> {
	return { apikey: key, 'X-Client-Info': 'union-activities' };
}

/** The key supabase-js stores its session under, so a session survives a change of client. */
export function sessionStorageKey(supabaseUrl: string): string {
	return `sb-${new URL(supabaseUrl).hostname.split('.')[0]}-auth-token`;
}

/**
 * A fetch that adds the caller's credentials as supabase-js does: the signed-in member's access
 * token, else the project key, as the bearer; the key as `apikey`.
 */
export function fetchWithToken(
	key: string,
	token: () => Promise<string | null>,
	baseFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)
): typeof fetch {
	return async (input, init) => {
		const headers = new Headers(init?.headers);
		if (!headers.has('apikey')) headers.set('apikey', key);
		if (!headers.has('Authorization'))
			headers.set('Authorization', `Bearer ${(await token()) ?? key}`);
		return baseFetch(input, { ...init, headers });
	};
}

/** The two auth-js calls fetchWithSession needs. */
export type SessionSource = Pick<UnionAuth, 'getSession' | 'refreshSession'>;

/**
 * fetchWithToken for the app's reads, with one more chance after a 401 (R9, R10). The server
 * refuses a token that has expired on its clock while the phone's slower clock still thinks it
 * fresh: then the request goes again with the token another tab refreshed meanwhile, or after
 * one refreshSession(). Only ever for the user it was sent as: a 401 for a request sent without
 * a token, or as a user who has since signed out, comes back as it is.
 */
export function fetchWithSession(
	key: string,
	auth: SessionSource,
	baseFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)
): typeof fetch {
	const current = async () => (await auth.getSession()).data.session;
	const send = (input: RequestInfo | URL, init: RequestInit | undefined, token: string | null) =>
		fetchWithToken(key, () => Promise.resolve(token), baseFetch)(input, init);
	// Concurrent 401s share one refresh.
	let refreshing: Promise<Session | null> | null = null;
	const refresh = () => {
		refreshing ??= auth
			.refreshSession()
			.then(({ data }) => data.session)
			.catch(() => null)
			.finally(() => {
				refreshing = null;
			});
		return refreshing;
	};

	return async (input, init) => {
		const sent = await current();
		const response = await send(input, init, sent?.access_token ?? null);
		const body = init?.body;
		const resendable = body === undefined || body === null || typeof body === 'string';
		if (response.status !== 401 || sent === null || !resendable) return response;
		let now = await current();
		if (now?.user.id !== sent.user.id) return response;
		if (now.access_token === sent.access_token) now = await refresh();
		if (now?.user.id !== sent.user.id || now.access_token === sent.access_token) return response;
		return send(input, init, now.access_token);
	};
}

export function restClient(
	supabaseUrl: string,
	key: string,
	fetchImpl: typeof fetch,
	options: { retry?: boolean } = {}
): PostgrestClient<UnionDatabase> {
	return new PostgrestClient<UnionDatabase>(new URL('rest/v1', withSlash(supabaseUrl)).href, {
		headers: baseHeaders(key),
		fetch: fetchImpl,
		...options
	});
}

function withSlash(url: string): string {
	return url.endsWith('/') ? url : `${url}/`;
}

export function createUnionClient(config: RuntimeConfig): UnionClient {
	const storageKey = sessionStorageKey(config.supabaseUrl);
	const auth = new LazyAuth(async () => {
		const { AuthClient } = await import('@supabase/auth-js');
		return new AuthClient({
			url: new URL('auth/v1', withSlash(config.supabaseUrl)).href,
			headers: {
				...baseHeaders(config.supabaseKey),
				Authorization: `Bearer ${config.supabaseKey}`
			},
			storageKey,
			persistSession: true,
			autoRefreshToken: true,
			// Sign-in is by typed code, never by a link back into the app.
			detectSessionInUrl: false
		});
	}, storageKey);
	return {
		auth,
		rest: restClient(
			config.supabaseUrl,
			config.supabaseKey,
			// The first page's reads may already be under way (app.html's boot script).
			fetchWithSession(
				config.supabaseKey,
				auth,
				withEarlyReads((input, init) => globalThis.fetch(input, init))
			)
		)
	};
}
