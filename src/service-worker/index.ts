// The service worker (SvelteKit's own, with Workbox modules): the app shell and static files
// only. It precaches the build (hashed assets, icons, fonts; the QR decoder's .wasm is cached on
// first use by a scanner page), answers every
// navigation with the SPA fallback so the app opens offline, and keeps the last runtime
// config. It never touches API calls (/rest/, /auth/, other origins) and never carries the write
// path: the outbox is flushed by the page (docs/decisions.md §1).
//
// Updates: a new worker waits. The page shows "new version available"; applying it takes the
// outbox flush lock (no upload mid-flight), posts SKIP_WAITING and reloads on controllerchange.
import { self } from '$app/service-worker';
import { assets, immutable, prerendered } from '$app/manifest';
import { dev } from '$app/env';
import { clientsClaim } from 'workbox-core';
import {
	cleanupOutdatedCaches,
	createHandlerBoundToURL,
	precacheAndRoute,
	type PrecacheEntry
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';

const FALLBACK = '/200.html';
const CONFIG = '/config.json';

(self as unknown as { __WB_DISABLE_DEV_LOGS: boolean }).__WB_DISABLE_DEV_LOGS = true;

/**
 * The build's revision for files whose names carry no hash (the fallback page, static/).
 * `$app/env`'s `version` is not set inside the worker (it reads a page global), so it is
 * derived from the hashed file names, which change with every build that changes the app.
 */
function buildRevision(): string {
	const source = [...immutable.map(({ path }) => path), ...assets.map(({ path }) => path)];
	let hash = 5381;
	for (const char of source.join('|')) hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
	return hash.toString(36);
}

const REVISION = buildRevision();

/** Paths in the manifest are relative to the base path; Workbox wants URLs of this scope. */
function url(path: string): string {
	return new URL(path, self.registration.scope).pathname;
}

// The QR decoder's .wasm (about 1 MB) is kept apart: precaching it would make every employee's
// phone download it. The scanner page fetches it while online (warmDecoder), and this route keeps
// it for offline use (content-hashed name: cache first is safe).
const isWasm = (path: string) => path.endsWith('.wasm');

const entries: PrecacheEntry[] = [
	// Content-hashed file names: the name is the revision.
	...immutable
		.filter(({ path }) => !isWasm(path))
		.map(({ path }) => ({ url: url(path), revision: null })),
	// static/: icons, manifest, fonts, any .wasm. The runtime config is not precached (below).
	...assets
		.filter(({ path }) => url(path) !== CONFIG)
		.map(({ path }) => ({ url: url(path), revision: REVISION })),
	...prerendered.map(({ path }) => ({ url: url(path), revision: REVISION }))
];
// The SPA fallback exists in builds only (adapter-static writes it).
if (!dev) entries.push({ url: FALLBACK, revision: REVISION });

precacheAndRoute(entries);
cleanupOutdatedCaches();

// Every page of the app is the same shell: offline, a reload or a deep link still opens.
if (!dev) {
	registerRoute(
		new NavigationRoute(createHandlerBoundToURL(FALLBACK), {
			denylist: [/^\/(rest|auth|storage|realtime|functions)\//, /\/[^/?]+\.[^/?]+$/]
		})
	);
}

registerRoute(
	({ url: requestUrl, request }) =>
		request.method === 'GET' &&
		requestUrl.origin === self.location.origin &&
		isWasm(requestUrl.pathname),
	new CacheFirst({ cacheName: 'decoder-wasm' })
);

// The runtime config (Supabase URL and publishable key): fresh when online, the last one offline.
registerRoute(
	({ url: requestUrl, request }) =>
		request.method === 'GET' &&
		requestUrl.origin === self.location.origin &&
		requestUrl.pathname === CONFIG,
	new NetworkFirst({ cacheName: 'runtime-config', networkTimeoutSeconds: 4 })
);

// The runtime config is fetched by the page before this worker controls it: keep a copy now,
// so the very first offline start after installing already finds it.
self.addEventListener('install', (event) => {
	event.waitUntil(
		caches
			.open('runtime-config')
			.then((cache) => cache.add(new Request(CONFIG, { cache: 'no-store' })))
			.catch(() => undefined)
	);
});

// The first install controls the open page at once, so an offline reload already works.
// Later versions wait for the page to ask (SKIP_WAITING) after its flush lock is taken.
clientsClaim();

self.addEventListener('message', (event) => {
	const data: unknown = event.data;
	if (
		typeof data === 'object' &&
		data !== null &&
		(data as { type?: unknown }).type === 'SKIP_WAITING'
	) {
		void self.skipWaiting();
	}
});
