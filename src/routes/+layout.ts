import type { LayoutLoad } from './$types';
import { createUnionClient } from '#lib/data/client.ts';
import { loadRuntimeConfig } from '#lib/data/config.ts';
import { locale } from '#lib/i18n/locale.svelte.ts';
import { loadDictionary } from '#lib/i18n/translate.ts';
import { initSession, type SessionState } from '#lib/state/session.svelte.ts';
import { initSync } from '#lib/state/sync.svelte.ts';

// A static SPA: every page renders in the browser, where the session and the runtime config live.
export const ssr = false;
export const prerender = false;

export type Boot = { ok: true; session: SessionState } | { ok: false; problem: string };

export const load: LayoutLoad = async ({ fetch }) => {
	// An English reader's words arrive with the configuration, not after the first paint.
	const [config] = await Promise.all([loadRuntimeConfig(fetch), locale.ready]);
	if (!config.ok) {
		// The configuration page speaks both languages.
		await loadDictionary('en').catch(() => undefined);
		return { boot: { ok: false, problem: config.problem } satisfies Boot };
	}
	const session = initSession(createUnionClient(config.config));
	// The offline engine (outbox, flusher, read cache) follows the session from here on.
	initSync(config.config, session);
	// Not awaited: the shell paints at once and shows progress while the session is restored.
	void session.start();
	return { boot: { ok: true, session } satisfies Boot };
};
