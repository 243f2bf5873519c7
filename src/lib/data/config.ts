// Runtime configuration: one build serves any union's Supabase project, so the URL and the
// publishable (anon) key come from /config.json, fetched at start, never baked into the bundle.

import { takeEarlyConfig, type EarlySource } from './early.ts';

export interface RuntimeConfig {
	supabaseUrl: string;
	supabaseKey: string;
}

export type ConfigResult = { ok: true; config: RuntimeConfig } | { ok: false; problem: string };

export const CONFIG_PATH = '/config.json';

function decodeJwtRole(key: string): string | null {
	const payload = key.split('.')[1];
	if (payload === undefined) return null;
	try {
		const json: unknown = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
		if (typeof json === 'object' && json !== null && 'role' in json) {
			return typeof json.role === 'string' ? json.role : null;
		}
		return null;
	} catch {
		return null;
	}
}

/**
 * Checks the shape, and refuses secret keys: a service-role or `sb_secret_` key bypasses
 * row-level security and must never reach a browser, even by an editing mistake.
 * Problems are technical English, shown under the bilingual explanation for the administrator.
 */
export function parseRuntimeConfig(input: unknown): ConfigResult {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		return { ok: false, problem: 'config.json must hold a JSON object' };
	}
	const { supabaseUrl, supabaseKey } = input as Record<string, unknown>;

	if (typeof supabaseUrl !== 'string' || supabaseUrl.trim() === '') {
		return { ok: false, problem: '"supabaseUrl" is missing' };
	}
	let url: URL;
	try {
		url = new URL(supabaseUrl.trim());
	} catch {
		return { ok: false, problem: `"supabaseUrl" is not a URL: ${supabaseUrl}` };
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		return { ok: false, problem: '"supabaseUrl" must start with https:// or http://' };
	}

	if (typeof supabaseKey !== 'string' || supabaseKey.trim() === '') {
		return { ok: false, problem: '"supabaseKey" is missing' };
	}
	const key = supabaseKey.trim();
	if (key.startsWith('sb_secret_') || decodeJwtRole(key) === 'service_role') {
		return {
			ok: false,
			problem: '"supabaseKey" is a secret (service) key; use the publishable (anon) key'
		};
	}

	return { ok: true, config: { supabaseUrl: url.href.replace(/\/+$/, ''), supabaseKey: key } };
}

/**
 * Validates /config.json: the copy app.html's boot script fetched (src/lib/data/early.ts), else
 * one fetched here, which also explains what went wrong when the file cannot be read.
 */
export async function loadRuntimeConfig(
	fetchImpl: typeof fetch = fetch,
	earlySource?: EarlySource
): Promise<ConfigResult> {
	const early = takeEarlyConfig(earlySource);
	if (early !== null) {
		const body = await early.catch(() => undefined);
		if (body !== undefined) return parseRuntimeConfig(body);
	}
	let response: Response;
	try {
		// The server marks /config.json no-cache: an edited file takes effect on the next load.
		response = await fetchImpl(CONFIG_PATH);
	} catch (error) {
		return { ok: false, problem: `${CONFIG_PATH} could not be fetched: ${String(error)}` };
	}
	if (!response.ok) {
		return { ok: false, problem: `${CONFIG_PATH} answered HTTP ${String(response.status)}` };
	}
	let body: unknown;
	try {
		body = await response.json();
	} catch {
		return { ok: false, problem: `${CONFIG_PATH} is not valid JSON` };
	}
	return parseRuntimeConfig(body);
}
