import type { LayoutLoad } from './$types';
import { createUnionClient } from '#lib/data/client.ts';
import { loadRuntimeConfig } from '#lib/data/config.ts';
import { initSession, type SessionState } from '#lib/state/session.svelte.ts';
import { initSync } from '#lib/state/sync.svelte.ts';

// A static SPA: every page renders in the browser, where the session and the runtime config live.
export const ssr = false;
export const prerender = false;

export type Boot = { ok: true; session: SessionState } | { ok: false; problem: string };

export const load: LayoutLoad = async ({ fetch }) => {
	const config = await loadRuntimeConfig(fetch);
	if (!config.ok) return { boot: { ok: false, problem: config.problem } satisfies Boot };
	const session = initSession(createUnionClient(config.config));
	// The offline engine (outbox, flusher, read cache) follows the session from here on.
	initSync(config.config, session);
	// Not awaited: the shell paints at once and shows progress while the session is restored.
	void session.start();
	return { boot: { ok: true, session } satisfies Boot };
};
