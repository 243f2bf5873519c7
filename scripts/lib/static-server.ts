// Serves the built SPA (build/) the way production should: SPA fallback, caching, security headers,
// and /config.json made at request time. node:http only.
import { createReadStream, statSync, readFileSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { contentSecurityPolicy, inlineScriptHashes, securityHeaders } from './security-headers.ts';

const MIME: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.map': 'application/json; charset=utf-8',
	'.webmanifest': 'application/manifest+json; charset=utf-8',
	'.txt': 'text/plain; charset=utf-8',
	'.xml': 'application/xml; charset=utf-8',
	'.csv': 'text/csv; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.gif': 'image/gif',
	'.webp': 'image/webp',
	'.avif': 'image/avif',
	'.ico': 'image/x-icon',
	'.wasm': 'application/wasm',
	'.woff': 'font/woff',
	'.woff2': 'font/woff2',
	'.ttf': 'font/ttf',
	'.otf': 'font/otf',
	'.mp3': 'audio/mpeg',
	'.ogg': 'audio/ogg',
	'.wav': 'audio/wav',
	'.mp4': 'video/mp4',
	'.webm': 'video/webm',
	'.pdf': 'application/pdf'
};

export interface AppServerOptions {
	/** The adapter-static output directory. */
	root: string;
	/** The SPA fallback page inside root. */
	fallback?: string;
	/** Origins (http://host:port) the app calls: added to connect-src. */
	apiOrigins: readonly string[];
	/** The runtime configuration served at /config.json. */
	config: () => Record<string, unknown>;
}

interface HtmlEntry {
	mtimeMs: number;
	body: Buffer;
	csp: string;
	/** The page compressed once: it carries the first frame's CSS inline. */
	br: Buffer;
	gzip: Buffer;
}

/** Cache-Control by path: immutable hashed assets forever, everything else revalidated. */
function cacheControl(pathname: string): string {
	if (pathname.startsWith('/_app/immutable/')) return 'public, max-age=31536000, immutable';
	return 'no-cache';
}

export function createAppServer(options: AppServerOptions): Server {
	const root = normalize(options.root);
	const fallback = options.fallback ?? '200.html';
	const baseCsp = contentSecurityPolicy({ apiOrigins: options.apiOrigins });
	const htmlCache = new Map<string, HtmlEntry>();

	/** HTML is read whole so its inline scripts can be hashed into its own CSP. */
	function html(file: string, stats: Stats): HtmlEntry {
		const cached = htmlCache.get(file);
		if (cached?.mtimeMs === stats.mtimeMs) return cached;
		const body = readFileSync(file);
		const csp = contentSecurityPolicy({
			apiOrigins: options.apiOrigins,
			scriptHashes: inlineScriptHashes(body.toString('utf8'))
		});
		const entry = {
			mtimeMs: stats.mtimeMs,
			body,
			csp,
			br: brotliCompressSync(body),
			gzip: gzipSync(body, { level: 9 })
		};
		htmlCache.set(file, entry);
		return entry;
	}

	function fileAt(pathname: string): { file: string; stats: Stats } | undefined {
		const file = join(root, normalize(pathname));
		if (file !== root && !file.startsWith(root + sep)) return undefined;
		try {
			const stats = statSync(file);
			if (stats.isFile()) return { file, stats };
			if (stats.isDirectory()) return fileAt(join(pathname, 'index.html'));
		} catch {
			return undefined;
		}
		return undefined;
	}

	function send(
		request: IncomingMessage,
		response: ServerResponse,
		status: number,
		headers: Record<string, string>,
		body: Buffer | string
	): void {
		const buffer = typeof body === 'string' ? Buffer.from(body) : body;
		response.writeHead(status, { ...headers, 'Content-Length': String(buffer.length) });
		response.end(request.method === 'HEAD' ? undefined : buffer);
	}

	function notFound(request: IncomingMessage, response: ServerResponse): void {
		send(
			request,
			response,
			404,
			{
				...securityHeaders(baseCsp),
				'Content-Type': 'text/plain; charset=utf-8',
				'Cache-Control': 'no-cache'
			},
			'Not found\n'
		);
	}

	function serveFile(
		request: IncomingMessage,
		response: ServerResponse,
		pathname: string,
		found: { file: string; stats: Stats },
		status = 200
	): void {
		const extension = extname(found.file).toLowerCase();
		const etag = `W/"${found.stats.size.toString(16)}-${Math.floor(found.stats.mtimeMs).toString(16)}"`;
		const isHtml = extension === '.html';
		const entry = isHtml ? html(found.file, found.stats) : undefined;
		const headers: Record<string, string> = {
			...securityHeaders(entry?.csp ?? baseCsp),
			'Content-Type': MIME[extension] ?? 'application/octet-stream',
			'Cache-Control': isHtml ? 'no-cache' : cacheControl(pathname),
			ETag: etag,
			'Last-Modified': found.stats.mtime.toUTCString()
		};
		if (status === 200 && request.headers['if-none-match'] === etag) {
			response.writeHead(304, headers);
			response.end();
			return;
		}
		// Compressed when the browser takes it: HTML here (compressed once in html()), everything
		// else from the .br/.gz twins adapter-static wrote beside each file.
		const accepted = request.headers['accept-encoding'] ?? '';
		if (entry) {
			const encoding = accepted.includes('br') ? 'br' : accepted.includes('gzip') ? 'gzip' : null;
			send(
				request,
				response,
				status,
				{
					...headers,
					Vary: 'Accept-Encoding',
					...(encoding === null ? {} : { 'Content-Encoding': encoding })
				},
				encoding === null ? entry.body : entry[encoding]
			);
			return;
		}
		const twin = [
			{ encoding: 'br', suffix: '.br' },
			{ encoding: 'gzip', suffix: '.gz' }
		]
			.filter((candidate) => accepted.includes(candidate.encoding))
			.map((candidate) => ({ ...candidate, stats: statOrNull(found.file + candidate.suffix) }))
			// A twin older than its file is stale (the file was changed after the build).
			.find(
				(candidate) => candidate.stats !== null && candidate.stats.mtimeMs >= found.stats.mtimeMs
			);
		const file = twin ? found.file + twin.suffix : found.file;
		const size = twin?.stats?.size ?? found.stats.size;
		response.writeHead(status, {
			...headers,
			'Content-Length': String(size),
			Vary: 'Accept-Encoding',
			...(twin ? { 'Content-Encoding': twin.encoding } : {})
		});
		if (request.method === 'HEAD') {
			response.end();
			return;
		}
		createReadStream(file)
			.on('error', () => response.destroy())
			.pipe(response);
	}

	function handle(request: IncomingMessage, response: ServerResponse): void {
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			send(
				request,
				response,
				405,
				{ ...securityHeaders(baseCsp), Allow: 'GET, HEAD', 'Content-Type': 'text/plain' },
				'Method not allowed\n'
			);
			return;
		}
		let pathname: string;
		try {
			pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
		} catch {
			send(request, response, 400, securityHeaders(baseCsp), 'Bad request\n');
			return;
		}
		if (pathname.includes('\0')) {
			send(request, response, 400, securityHeaders(baseCsp), 'Bad request\n');
			return;
		}

		if (pathname === '/config.json') {
			send(
				request,
				response,
				200,
				{
					...securityHeaders(baseCsp),
					'Content-Type': 'application/json; charset=utf-8',
					'Cache-Control': 'no-cache'
				},
				JSON.stringify(options.config(), null, '\t') + '\n'
			);
			return;
		}

		const found =
			fileAt(pathname) ?? (extname(pathname) === '' ? fileAt(`${pathname}.html`) : undefined);
		if (found) {
			serveFile(request, response, pathname, found);
			return;
		}

		// Missing build assets and files with an extension are real 404s; anything else is a client
		// route the SPA renders.
		if (pathname.startsWith('/_app/') || extname(pathname) in MIME) {
			notFound(request, response);
			return;
		}
		const page = fileAt(`/${fallback}`);
		if (!page) {
			notFound(request, response);
			return;
		}
		serveFile(request, response, `/${fallback}`, page);
	}

	return createServer((request, response) => {
		try {
			handle(request, response);
		} catch (error) {
			console.error(error);
			if (!response.headersSent) send(request, response, 500, securityHeaders(baseCsp), 'Error\n');
			else response.destroy();
		}
	});
}

function statOrNull(file: string): Stats | null {
	try {
		return statSync(file);
	} catch {
		return null;
	}
}
