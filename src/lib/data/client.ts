import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { RuntimeConfig } from './config.ts';

/**
 * The API as this app sees it: database functions only, each answer `unknown` until the
 * wrappers in this folder parse it. Swap in the generated `Database` type from
 * `database.types.ts` once it exists; the parsers stay, since versions drift.
 */
export interface UnionDatabase {
	public: {
		Tables: Record<string, never>;
		Views: Record<string, never>;
		Functions: Record<string, { Args: Record<string, unknown>; Returns: unknown }>;
		Enums: Record<string, never>;
		CompositeTypes: Record<string, never>;
	};
}

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
