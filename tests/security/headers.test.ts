// G2 security headers of the served app (the server `npm start` uses), the README's nginx
// snippet kept equal to them, B10 no secret key in what reaches the browser, C9 no raw HTML
// rendering, E7 personal reads cleared at sign-out.
import 'fake-indexeddb/auto';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAppServer } from '../../scripts/lib/static-server.ts';
import { contentSecurityPolicy, securityHeaders } from '../../scripts/lib/security-headers.ts';
import { apiKeys, DEFAULT_JWT_SECRET } from '../../supabase/standin/keys.ts';
import { ReadCache } from '../../src/lib/offline/cache.ts';
import { OfflineDatabase } from '../../src/lib/offline/db.ts';
import { forbiddenSecrets, scanForSecrets } from '../../scripts/security-summary.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** A GET that keeps the body as sent (fetch would decode it). */
function rawGet(
	url: string,
	acceptEncoding: string
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
	return new Promise((resolve, reject) => {
		get(url, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				resolve({ headers: response.headers, body: Buffer.concat(chunks) });
			});
		}).on('error', reject);
	});
}

describe('G2 headers of the served app', () => {
	let dir: string;
	let base: string;
	let close: () => void;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'union-headers-'));
		writeFileSync(
			join(dir, '200.html'),
			'<!doctype html><html><head><script>window.boot = 1;</script></head><body></body></html>'
		);
		const server = createAppServer({
			root: dir,
			apiOrigins: ['http://127.0.0.1:54321'],
			config: () => ({ supabaseUrl: 'http://127.0.0.1:54321', supabaseKey: 'anon-key' })
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		close = () => server.close();
	});

	afterAll(() => {
		close();
		rmSync(dir, { recursive: true, force: true });
	});

	test('G2 every response carries CSP with frame-ancestors, nosniff, a referrer policy; HTML is revalidated', async () => {
		for (const path of ['/', '/activities/x', '/config.json', '/missing.js']) {
			const response = await fetch(`${base}${path}`);
			await response.arrayBuffer();
			const csp = response.headers.get('content-security-policy') ?? '';
			expect(csp, path).toContain("frame-ancestors 'none'");
			expect(csp, path).toContain("object-src 'none'");
			expect(csp, path).toMatch(/script-src 'self'[^;]*'wasm-unsafe-eval'/);
			expect(csp, path).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
			expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
			expect(response.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
			expect(response.headers.get('x-frame-options'), path).toBe('DENY');
		}
		const html = await fetch(`${base}/`);
		await html.text();
		expect(html.headers.get('cache-control')).toBe('no-cache');
		// The one inline script is allowed by its hash, nothing else inline.
		expect(html.headers.get('content-security-policy')).toMatch(/'sha256-[A-Za-z0-9+/=]+'/);
		const config = await fetch(`${base}/config.json`);
		// The app reads it in the default cache mode (to take app.html's preload): never stale.
		expect(config.headers.get('cache-control')).toBe('no-cache');
		expect(await config.json()).toEqual({
			supabaseUrl: 'http://127.0.0.1:54321',
			supabaseKey: 'anon-key'
		});
	});

	test('G2 the HTML goes out brotli- or gzip-compressed when accepted, the same page once decoded', async () => {
		const plain = readFileSync(join(dir, '200.html'));
		for (const [accept, encoding, decode] of [
			['gzip, deflate, br', 'br', brotliDecompressSync],
			['gzip', 'gzip', gunzipSync],
			['identity', null, (body: Buffer) => body]
		] as const) {
			const { headers, body } = await rawGet(`${base}/`, accept);
			expect(headers['content-encoding'] ?? null, accept).toBe(encoding);
			expect(headers.vary, accept).toBe('Accept-Encoding');
			expect(decode(body).equals(plain), accept).toBe(true);
		}
	});

	test('G2 the README nginx snippet sends the same headers as `npm start`, plus HSTS', () => {
		const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
		const nginx = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
		const headers = securityHeaders(contentSecurityPolicy({ apiOrigins: ['https://x'] }));
		for (const [name, value] of Object.entries(headers)) {
			if (name === 'Content-Security-Policy') continue;
			expect(nginx, name).toContain(`add_header ${name} "${value}" always;`);
		}
		expect(nginx).toMatch(/add_header Strict-Transport-Security "max-age=\d+/);
		// nginx drops inherited add_header directives in a block that has its own: none may.
		for (const block of nginx.matchAll(/location[^{]*\{([^}]*)\}/g)) {
			expect(block[1], block[0]).not.toContain('add_header');
		}
		const csp = (/add_header Content-Security-Policy "([^"]+)"/.exec(nginx)?.[1] ?? '').replace(
			/'sha256-<[^>]*>'/g,
			''
		);
		const served = contentSecurityPolicy({ apiOrigins: ['https://<ref>.supabase.co'] });
		const directives = (policy: string) =>
			new Map(
				policy.split(';').map((d) => {
					const [name = '', ...sources] = d.trim().split(/\s+/);
					return [
						name,
						sources
							.filter((s) => !s.startsWith("'sha256-"))
							.sort()
							.join(' ')
					];
				})
			);
		expect(directives(csp)).toEqual(directives(served));
	});
});

describe('B10 C9 what reaches the browser', () => {
	test('B10 no service key, secret key or JWT secret in src/ or static/ (build/ is scanned after the build)', async () => {
		const secrets = await forbiddenSecrets();
		const { serviceRoleKey } = await apiKeys(DEFAULT_JWT_SECRET);
		expect(secrets).toContain(serviceRoleKey);
		const found = scanForSecrets([join(ROOT, 'src'), join(ROOT, 'static')], secrets);
		expect(found).toEqual([]);
		// The scanner itself finds a secret key, a service-role JWT and the JWT secret.
		const dir = mkdtempSync(join(tmpdir(), 'union-b10-'));
		writeFileSync(join(dir, 'a.js'), `const k = "${serviceRoleKey}";`);
		writeFileSync(join(dir, 'b.js'), `const k = "sb_secret_${'x'.repeat(24)}";`);
		writeFileSync(join(dir, 'c.js'), `const s = "${DEFAULT_JWT_SECRET}";`);
		expect(scanForSecrets([dir], secrets)).toHaveLength(4);
		rmSync(dir, { recursive: true, force: true });
		// npm test also scans build/ right after `vite build` (scripts/security-summary.ts).
	});

	test('C9 no component renders raw HTML ({@html}); the CSP forbids inline scripts', () => {
		const offenders: string[] = [];
		const walk = (path: string) => {
			for (const entry of readdirSync(path)) {
				const full = join(path, entry);
				if (statSync(full).isDirectory()) walk(full);
				else if (full.endsWith('.svelte') && readFileSync(full, 'utf8').includes('{@html'))
					offenders.push(full);
			}
		};
		walk(join(ROOT, 'src'));
		expect(offenders).toEqual([]);
		expect(contentSecurityPolicy({ apiOrigins: [] })).not.toMatch(/script-src[^;]*unsafe-inline/);
	});

	test('E7 signing out clears the cached personal reads of that user only', async () => {
		const database = new OfflineDatabase({ name: `e7-${randomUUID()}` });
		const cache = new ReadCache(database);
		await cache.put('user-a', 'my-registrations', [{ ticket: 'secret-a' }], 1);
		await cache.put('user-b', 'my-registrations', [{ ticket: 'secret-b' }], 1);
		await cache.clearUser('user-a');
		const offline = () => Promise.reject(new TypeError('Failed to fetch'));
		await expect(cache.read('user-a', 'my-registrations', offline)).rejects.toThrow();
		const b = await cache.read('user-b', 'my-registrations', offline);
		expect(b).toMatchObject({ fromCache: true, data: [{ ticket: 'secret-b' }] });
		database.close();
	});
});
