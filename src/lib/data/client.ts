import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { RuntimeConfig } from './config.ts';
import type { Database } from './database.types.ts';

/**
 * The API as this app sees it: database functions only, typed by `database.types.ts` (generated
 * from the migrations by `npm run types:generate`). Most functions answer `Json`: the wrappers in
 * this folder still parse every answer at run time, since server and app versions drift.
 */
export type UnionDatabase = Database;

export type UnionClient = SupabaseClient<UnionDatabase>;

export function createUnionClient(config: RuntimeConfig): UnionClient {
	return createClient<UnionDatabase>(config.supabaseUrl, config.supabaseKey, {
		auth: {
			persistSession: true,
			autoRefreshToken: true,
			// Sign-in is by typed code, never by a link back into the app.
			detectSessionInUrl: false
		}
	});
}
