// The JavaScript a route needs before it can render: SvelteKit's entry (start, its client entry
// and app), the root layout, the route's layouts and page, and everything they import statically,
// read from the build's Vite manifest. Chunks a page imports with `import()` (the offline engine,
// English words, the QR encoder, the sign-up form, …) are not in it: they are fetched while or
// after the page renders and are counted separately, as "all JS of the first load".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './common.ts';

interface ManifestChunk {
	file: string;
	isEntry?: boolean;
	imports?: string[];
	dynamicImports?: string[];
}

const CLIENT = join(ROOT, '.svelte-kit', 'output', 'client');
const GENERATED = '.svelte-kit/generated/build/client-optimized';
const KIT_START = 'node_modules/@sveltejs/kit/src/runtime/client/entry.js';
const KIT_CLIENT = 'node_modules/@sveltejs/kit/src/runtime/client/client-entry.js';

function manifest(): Record<string, ManifestChunk> {
	return JSON.parse(readFileSync(join(CLIENT, '.vite', 'manifest.json'), 'utf8')) as Record<
		string,
		ManifestChunk
	>;
}

/** Route id → [page node, layout nodes] from the router's generated dictionary. */
function routeNodes(routeId: string): number[] {
	const app = readFileSync(join(ROOT, GENERATED, 'app.js'), 'utf8');
	const match = new RegExp(
		`"${routeId.replace(/[[\]/]/g, (c) => `\\${c}`)}":\\s*\\[(\\d+)(?:,\\s*\\[([\\d,\\s]*)\\])?`
	).exec(app);
	if (match === null) throw new Error(`route ${routeId} is not in the router's dictionary`);
	const layouts = (match[2] ?? '')
		.split(',')
		.map((n) => n.trim())
		.filter((n) => n !== '')
		.map(Number);
	return [0, ...layouts, Number(match[1])];
}

export interface InitialScripts {
	files: string[];
	bytes: number;
	gzip: number;
}

/** The files (and their sizes, gzip -9) a route loads before its first render. */
export function initialScripts(routeId: string): InitialScripts {
	const chunks = manifest();
	const seen = new Set<string>();
	const visit = (key: string): void => {
		if (seen.has(key)) return;
		const chunk = chunks[key];
		if (chunk === undefined) throw new Error(`${key} is not in the Vite manifest`);
		seen.add(key);
		for (const imported of chunk.imports ?? []) visit(imported);
	};
	for (const key of [KIT_START, KIT_CLIENT, `${GENERATED}/app.js`]) visit(key);
	for (const node of routeNodes(routeId)) visit(`${GENERATED}/nodes/${String(node)}.js`);
	const files = [...seen].map((key) => chunks[key]?.file ?? key).sort();
	let bytes = 0;
	let gzip = 0;
	for (const file of files) {
		const content = readFileSync(join(CLIENT, file));
		bytes += content.length;
		gzip += gzipSync(content, { level: 9 }).length;
	}
	return { files, bytes, gzip };
}
