/**
 * Route preloads for the SPA shell (build time only). The static host answers every path with
 * one 200.html, which names the start modules and the root layout but not the page: the router
 * asks for the error page's and the page's modules only once those have run, two round trips
 * more on a phone. This table, inlined into 200.html, lets a few lines of script request the
 * modules and stylesheets of the route being opened while the start modules still download.
 */

/** The parts of SvelteKit's server manifest this needs (`.svelte-kit/output/server/manifest.js`). */
export interface ServerManifestRoute {
	pattern: RegExp;
	page: { layouts: (number | undefined)[]; errors: (number | undefined)[]; leaf: number } | null;
}

/** What each server node module exports about its client files. */
export interface ServerNodeFiles {
	imports: string[];
	stylesheets: string[];
}

export interface RoutePreloadTable {
	/** Client files (relative to the site root), each once. */
	files: string[];
	/** [pattern source, indexes into files], in SvelteKit's matching order. */
	routes: [string, number[]][];
}

/**
 * Every page route's files, less those the shell already loads (`initial`). The root error
 * page's files go with every route: the router loads it eagerly at start.
 */
export function routePreloadTable(
	routes: readonly ServerManifestRoute[],
	nodes: readonly ServerNodeFiles[],
	initial: readonly string[],
	errorNode = 1
): RoutePreloadTable {
	const known = new Set(initial);
	const files: string[] = [];
	const indexOf = new Map<string, number>();
	const indexes = (node: number | undefined): number[] => {
		const entry = node === undefined ? undefined : nodes[node];
		if (entry === undefined) return [];
		return [...entry.imports, ...entry.stylesheets]
			.filter((file) => !known.has(file))
			.map((file) => {
				let index = indexOf.get(file);
				if (index === undefined) {
					index = files.push(file) - 1;
					indexOf.set(file, index);
				}
				return index;
			});
	};
	const table: [string, number[]][] = [];
	for (const route of routes) {
		if (route.page === null) continue;
		const wanted = [errorNode, ...route.page.layouts, route.page.leaf].flatMap(indexes);
		table.push([route.pattern.source, [...new Set(wanted)]]);
	}
	return { files, routes: table };
}

/**
 * The inline script: the first route whose pattern matches the address gets its modules as
 * modulepreload links and its stylesheets as preloads (the router then finds both in cache).
 */
export function routePreloadScript(table: RoutePreloadTable): string {
	const data = JSON.stringify(table).replace(/</g, '\\u003c');
	return `<script>
			// Route preloads (src/lib/server/route-preloads.ts): this page's own modules, now.
			(function (table) {
				for (var i = 0; i < table.routes.length; i++) {
					if (!new RegExp(table.routes[i][0]).test(location.pathname)) continue;
					table.routes[i][1].forEach(function (index) {
						var file = table.files[index];
						var link = document.createElement('link');
						if (/\\.css$/.test(file)) {
							link.rel = 'preload';
							link.as = 'style';
							// As the router will ask (anonymous CORS): else the preload goes unused.
							link.crossOrigin = '';
						} else {
							link.rel = 'modulepreload';
						}
						link.href = '/' + file;
						document.head.appendChild(link);
					});
					return;
				}
			})(${data});
		</script>`;
}
