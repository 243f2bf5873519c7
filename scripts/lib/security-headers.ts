// The security headers the app is served with, by `npm start` and (as documentation for
// deployments) the same set an nginx in front of build/ should send.
import { createHash } from 'node:crypto';

/** sha256 CSP sources for every inline <script> (no src attribute) in an HTML document. */
export function inlineScriptHashes(html: string): string[] {
	const hashes = new Set<string>();
	const scripts = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
	for (const match of html.matchAll(scripts)) {
		const attributes = match[1] ?? '';
		const body = match[2] ?? '';
		if (/\bsrc\s*=/i.test(attributes)) continue;
		// Data blocks (JSON) are never executed, so CSP does not apply to them.
		const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(attributes)?.[1]?.toLowerCase();
		if (type && type !== 'module' && !type.includes('javascript')) continue;
		hashes.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
	}
	return [...hashes];
}

export interface CspOptions {
	/** Origins the app talks to besides itself: the Supabase (stand-in) API. */
	apiOrigins: readonly string[];
	/** Hash sources for the inline scripts of the document being served. */
	scriptHashes?: readonly string[];
}

/** The WebSocket twin of an http(s) origin (Supabase Realtime). */
function socketOrigin(origin: string): string {
	return origin.replace(/^http/, 'ws');
}

export function contentSecurityPolicy({ apiOrigins, scriptHashes = [] }: CspOptions): string {
	const connect = ["'self'", ...apiOrigins, ...apiOrigins.map(socketOrigin)];
	const directives: Record<string, string[]> = {
		'default-src': ["'self'"],
		// 'wasm-unsafe-eval' lets the self-hosted zxing-wasm QR decoder compile; no JS eval.
		'script-src': ["'self'", ...scriptHashes, "'wasm-unsafe-eval'"],
		// Svelte transitions write inline styles.
		'style-src': ["'self'", "'unsafe-inline'"],
		'img-src': ["'self'", 'data:', 'blob:'],
		'font-src': ["'self'"],
		'connect-src': connect,
		'media-src': ["'self'", 'blob:'],
		'worker-src': ["'self'", 'blob:'],
		'manifest-src': ["'self'"],
		'object-src': ["'none'"],
		'frame-ancestors': ["'none'"],
		'base-uri': ["'self'"],
		'form-action': ["'self'"]
	};
	return Object.entries(directives)
		.map(([name, sources]) => `${name} ${sources.join(' ')}`)
		.join('; ');
}

/** Headers for every response. */
export function securityHeaders(csp: string): Record<string, string> {
	return {
		'Content-Security-Policy': csp,
		'X-Content-Type-Options': 'nosniff',
		'Referrer-Policy': 'strict-origin-when-cross-origin',
		'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
		'Cross-Origin-Opener-Policy': 'same-origin',
		'X-Frame-Options': 'DENY'
	};
}
