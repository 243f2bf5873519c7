// The security summary `npm test` prints at its end: every case of the abuse (A1–G4) and fault
// (T01–T46) catalogues, from tests/security/catalogue.ts. Run after `vite build`, it also scans
// build/ for secret keys (B10) and exits 1 when it finds one.
//   node scripts/security-summary.ts            the table, and the build/ scan when build/ exists
//   node scripts/security-summary.ts --no-scan  the table only
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CATALOGUE, type CaseStatus } from '../tests/security/catalogue.ts';
import { DEFAULT_JWT_SECRET, apiKeys } from '../supabase/standin/keys.ts';

const ROOT = join(import.meta.dirname, '..');

/**
 * What must never reach the browser: the stand-in's service key and JWT secret (exact), any
 * `sb_secret_…` key and any JWT whose role is service_role. (The words themselves may appear: the
 * app's config check refuses such keys by name.)
 */
export async function forbiddenSecrets(): Promise<string[]> {
	const { serviceRoleKey } = await apiKeys(DEFAULT_JWT_SECRET);
	return [serviceRoleKey, DEFAULT_JWT_SECRET];
}

const SECRET_KEY = /sb_secret_[A-Za-z0-9_-]{16,}/;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{8,}/g;

function serviceRoleJwt(text: string): string | undefined {
	for (const match of text.matchAll(JWT)) {
		try {
			const claims = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as {
				role?: unknown;
			};
			if (claims.role === 'service_role') return match[0];
		} catch {
			// not a JWT after all
		}
	}
	return undefined;
}

/** Files under `roots` holding a secret: "path: secret…". */
export function scanForSecrets(roots: readonly string[], exact: readonly string[]): string[] {
	const found: string[] = [];
	const walk = (path: string) => {
		const stats = statSync(path);
		if (stats.isDirectory()) {
			for (const entry of readdirSync(path)) walk(join(path, entry));
			return;
		}
		if (stats.size > 20_000_000) return;
		const text = readFileSync(path, 'latin1');
		const hits = [
			...exact.filter((secret) => text.includes(secret)),
			...(SECRET_KEY.exec(text) ?? []).slice(0, 1),
			serviceRoleJwt(text)
		].filter((hit): hit is string => hit !== undefined);
		for (const hit of hits) found.push(`${relative(ROOT, path)}: ${hit.slice(0, 16)}…`);
	};
	for (const root of roots) if (existsSync(root)) walk(root);
	return found;
}

function table(): string {
	const rows = CATALOGUE.map((c) => [
		c.id,
		c.status,
		(c.where ?? []).map((w) => `${w.file} › ${w.test.trim()}`).join('; ') +
			(c.why ? `${c.where ? ' — ' : ''}${c.why}` : '')
	]);
	const width = [4, 15];
	const lines = rows.map(([id, status, where]) => {
		const text = where!.length > 140 ? `${where!.slice(0, 137)}…` : where!;
		return `${id!.padEnd(width[0]!)} ${status!.padEnd(width[1]!)} ${text}`;
	});
	const counts = new Map<CaseStatus, number>();
	for (const c of CATALOGUE) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
	const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
	return [
		`${'id'.padEnd(width[0]!)} ${'status'.padEnd(width[1]!)} where (file › test) / why`,
		...lines,
		'',
		`security catalogue: ${CATALOGUE.length} cases: ${summary}`
	].join('\n');
}

async function main(): Promise<number> {
	console.log(table());
	if (process.argv.includes('--no-scan')) return 0;
	const build = join(ROOT, 'build');
	if (!existsSync(build)) {
		console.log('B10 build/ scan: no build/ to scan');
		return 0;
	}
	const found = scanForSecrets([build], await forbiddenSecrets());
	if (found.length > 0) {
		console.error(`B10 build/ contains secrets:\n  ${found.join('\n  ')}`);
		return 1;
	}
	console.log('B10 build/ scan: no service key, secret key or JWT secret');
	return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	process.exit(await main());
}
