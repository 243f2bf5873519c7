import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handle } from '@sveltejs/kit/hooks';
import { building } from '$app/env';
import {
	routePreloadScript,
	routePreloadTable,
	type ServerManifestRoute,
	type ServerNodeFiles
} from '#lib/server/route-preloads.ts';

// The app is a static SPA: this hook runs only while `vite build` writes 200.html, where it puts
// the route preloads (src/lib/server/route-preloads.ts) in place of app.html's marker.
const MARKER = '<!-- route-preloads -->';

interface ServerManifest {
	client: { imports: string[] };
	nodes: (() => Promise<ServerNodeFiles>)[];
	routes: ServerManifestRoute[];
}

async function preloads(): Promise<string> {
	const file = join(process.cwd(), '.svelte-kit', 'output', 'server', 'manifest.js');
	const { manifest } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
		manifest: ServerManifest;
	};
	const nodes = await Promise.all(manifest.nodes.map((load) => load()));
	const table = routePreloadTable(manifest.routes, nodes, [
		...manifest.client.imports,
		...(nodes[0]?.imports ?? []),
		...(nodes[0]?.stylesheets ?? [])
	]);
	if (table.routes.length === 0) throw new Error('route preloads: no page routes in the manifest');
	return routePreloadScript(table);
}

export const handle: Handle = async ({ event, resolve }) => {
	if (!building) return resolve(event);
	const script = await preloads();
	return resolve(event, {
		transformPageChunk: ({ html }) => {
			if (!html.includes(MARKER)) throw new Error(`app.html lacks ${MARKER}`);
			return html.replace(MARKER, script);
		}
	});
};
