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
	const token = async () => (await auth.getSession()).data.session?.access_token ?? null;
	return {
		auth,
		rest: restClient(
			config.supabaseUrl,
			config.supabaseKey,
			// The first page's reads may already be under way (app.html's boot script).
			fetchWithToken(
				config.supabaseKey,
				token,
				withEarlyReads((input, init) => globalThis.fetch(input, init))
			)
		)
	};
}
