// Whether build/ is older than what it is built from.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'static', 'vite.config.ts', 'package.json', 'tsconfig.json'];

function newestMtime(path: string): number {
	let stats;
	try {
		stats = statSync(path);
	} catch {
		return 0;
	}
	if (!stats.isDirectory()) return stats.mtimeMs;
	let newest = stats.mtimeMs; // a deleted file bumps its directory
	for (const entry of readdirSync(path)) {
		newest = Math.max(newest, newestMtime(join(path, entry)));
	}
	return newest;
}

/** Undefined when build/ is up to date, else why it must be rebuilt. */
export function buildStaleReason(root: string, fallback = '200.html'): string | undefined {
	let built: number;
	try {
		built = statSync(join(root, 'build', fallback)).mtimeMs;
	} catch {
		return `build/${fallback} does not exist`;
	}
	for (const source of SOURCES) {
		if (newestMtime(join(root, source)) > built) return `${source} changed since the last build`;
	}
	return undefined;
}
