// `npm start`: the whole app on this machine, with no cloud account.
//   - the local Supabase stand-in (PGlite in .data/pglite, or a real PostgreSQL with --db-url),
//   - the built PWA from build/ (rebuilt when sources are newer) on http://127.0.0.1:5173,
//   - or, with --dev, `vite dev` with hot reload instead of the built app.
// Ctrl-C stops everything.
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildStaleReason } from './lib/build.ts';
import { portInUse } from './lib/net.ts';
import { createFreshDatabase, type FreshDatabase } from './lib/postgres.ts';
import {
	binCommand,
	bold,
	cyan,
	dim,
	heading,
	killChildren,
	projectRoot,
	red,
	run,
	seconds,
	yellow
} from './lib/proc.ts';
import { createAppServer } from './lib/static-server.ts';
import type { BackendOptions, StandIn } from '../supabase/standin/index.ts';

const HELP = `Usage: npm start -- [options]      (npm run dev -- [options] for hot reload)

  --port N         app port on 127.0.0.1 (default 5173)
  --api-port N     stand-in (Supabase API) port (default 54321)
  --data-dir DIR   PGlite data directory (default .data/pglite)
  --db-url URL     use this PostgreSQL database instead of PGlite
  --fresh          start from an empty database: wipes the PGlite data directory, or with
                   --db-url creates a new database on that server and drops it on exit
  --dev            run \`vite dev\` (hot reload) instead of serving build/
  --no-build       serve build/ as it is, even if sources are newer
  --verbose        log every stand-in request
  -h, --help       this text
`;

const DEMO_PASSWORD = 'demo-union-2027';
const DEMO_ACCOUNTS: readonly [string, string][] = [
	['employee@union.example', '职工（护理组成员）'],
	['organizer@union.example', '分会组织者'],
	['office@union.example', '工会办公室']
];

function parsePort(value: string | undefined, fallback: number, flag: string): number {
	if (value === undefined) return fallback;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new Error(`${flag} expects a port number, got "${value}"`);
	}
	return port;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string' },
			'api-port': { type: 'string' },
			'data-dir': { type: 'string' },
			'db-url': { type: 'string' },
			fresh: { type: 'boolean', default: false },
			dev: { type: 'boolean', default: false },
			'no-build': { type: 'boolean', default: false },
			verbose: { type: 'boolean', default: false },
			help: { type: 'boolean', short: 'h', default: false }
		},
		strict: true
	});
	if (values.help) {
		console.log(HELP);
		return;
	}
	const host = '127.0.0.1';
	const appPort = parsePort(values.port, 5173, '--port');
	const apiPort = parsePort(values['api-port'], 54321, '--api-port');
	for (const [port, flag] of [
		[appPort, '--port'],
		[apiPort, '--api-port']
	] as const) {
		if (port !== 0 && (await portInUse(port, host))) {
			throw new Error(
				`port ${port} on ${host} is in use (another \`npm start\`?). Stop it or pick another with ${flag}.`
			);
		}
	}

	const cleanups: (() => Promise<void> | void)[] = [];
	let stopping: Promise<void> | undefined;
	const stop = (exitCode: number): Promise<void> => {
		stopping ??= (async () => {
			killChildren();
			for (const cleanup of cleanups.reverse()) {
				try {
					await cleanup();
				} catch (error) {
					console.error(red(`while stopping: ${String(error)}`));
				}
			}
			process.exit(exitCode);
		})();
		return stopping;
	};
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => {
			if (stopping) {
				console.error(red('Stopping forcefully.'));
				process.exit(130);
			}
			console.log(dim(`\n${signal}: stopping…`));
			void stop(0);
		});
	}

	try {
		// The database behind the stand-in.
		let backend: BackendOptions;
		let backendLabel: string;
		if (values['db-url']) {
			let url = values['db-url'];
			if (values.fresh) {
				const fresh: FreshDatabase = await createFreshDatabase(url, 'union_app');
				cleanups.push(() => fresh.drop());
				url = fresh.url;
			}
			backend = { kind: 'postgres', url };
			backendLabel = `PostgreSQL ${redactPassword(url)}`;
		} else {
			const dataDir = resolve(projectRoot, values['data-dir'] ?? join('.data', 'pglite'));
			if (values.fresh) rmSync(dataDir, { recursive: true, force: true });
			mkdirSync(join(dataDir, '..'), { recursive: true });
			backend = { kind: 'pglite', dataDir };
			backendLabel = `PGlite ${dataDir}`;
		}

		// Build (a child process) while the stand-in boots (in this process).
		const staleReason =
			values.dev || values['no-build'] ? undefined : buildStaleReason(projectRoot);
		const building = staleReason ? buildApp(staleReason) : Promise.resolve();
		const standInStarted = performance.now();
		// Loaded here so `--help` and argument errors don't wait for PGlite.
		const { startStandIn } = await import('../supabase/standin/index.ts');
		// End-to-end tests sign many people in, many times a minute, from one client: they lower
		// GoTrue's per-address email interval (60 s) and the per-client hourly caps on code mails
		// and new addresses through the environment (0 turns one off).
		const otpRateLimit = process.env.UNION_OTP_RATE_LIMIT_SECONDS;
		const mailsPerHour = process.env.UNION_OTP_MAILS_PER_CLIENT_PER_HOUR;
		const newAddressesPerHour = process.env.UNION_OTP_NEW_ADDRESSES_PER_CLIENT_PER_HOUR;
		const booting = startStandIn({
			backend,
			host,
			port: apiPort,
			log: values.verbose,
			...(otpRateLimit ? { otpRateLimitSeconds: Number(otpRateLimit) } : {}),
			authLimits: {
				...(mailsPerHour ? { mailsPerClientPerHour: Number(mailsPerHour) } : {}),
				...(newAddressesPerHour
					? { newAddressesPerClientPerHour: Number(newAddressesPerHour) }
					: {})
			}
		});
		const standInReady = booting.then((standIn) => {
			console.log(dim(`Stand-in ready in ${seconds(standInStarted)} on ${backendLabel}`));
			return standIn;
		});
		const [standIn] = await Promise.all([standInReady, building]).catch(async (error: unknown) => {
			// One of them failed: don't leave the other one's stand-in running.
			const started = await booting.catch(() => undefined);
			await started?.stop();
			throw error;
		});
		cleanups.push(() => standIn.stop());

		const config = () => ({ supabaseUrl: standIn.url, supabaseKey: standIn.anonKey });
		let appUrl: string;
		if (values.dev) {
			appUrl = await startDevServer(host, appPort, config, cleanups);
		} else {
			const server = createAppServer({
				root: join(projectRoot, 'build'),
				apiOrigins: [new URL(standIn.url).origin],
				config
			});
			appUrl = await listen(server, host, appPort);
			cleanups.push(() => closeServer(server));
		}

		printBanner(appUrl, standIn, backendLabel, values.dev);
	} catch (error) {
		console.error(
			red(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`)
		);
		if (error instanceof Error && error.stack && process.env.DEBUG) console.error(error.stack);
		await stop(1);
	}
}

function redactPassword(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = '***';
		return parsed.toString();
	} catch {
		return '(unparsable URL)';
	}
}

async function buildApp(reason: string): Promise<void> {
	heading(`Building the app (${reason})`);
	const started = performance.now();
	const [command, args] = binCommand('vite', ['build', '--logLevel', 'warn']);
	const code = await run(command, args);
	if (code !== 0) throw new Error(`vite build failed (exit ${code})`);
	console.log(dim(`Built in ${seconds(started)}`));
}

function listen(server: Server, host: string, port: number): Promise<string> {
	return new Promise((resolvePromise, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			const address = server.address();
			const actual = typeof address === 'object' && address ? address.port : port;
			resolvePromise(`http://${host}:${actual}`);
		});
	});
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolvePromise) => {
		server.close(() => {
			resolvePromise();
		});
		server.closeAllConnections();
	});
}

/** `vite dev` in this process, answering /config.json from the running stand-in. */
async function startDevServer(
	host: string,
	port: number,
	config: () => Record<string, unknown>,
	cleanups: (() => Promise<void> | void)[]
): Promise<string> {
	const { createServer } = await import('vite');
	const server = await createServer({
		configFile: join(projectRoot, 'vite.config.ts'),
		root: projectRoot,
		server: { host, port, strictPort: true },
		plugins: [
			{
				name: 'union-runtime-config',
				// Before SvelteKit's plugin, whose dev middleware serves static/config.json.
				enforce: 'pre',
				configureServer(dev) {
					// Added directly (not returned), so it runs before Vite's and Kit's middleware.
					dev.middlewares.use((request, response, next) => {
						if (request.url?.split('?')[0] !== '/config.json') {
							next();
							return;
						}
						response.setHeader('Content-Type', 'application/json; charset=utf-8');
						response.setHeader('Cache-Control', 'no-cache');
						response.end(JSON.stringify(config(), null, '\t') + '\n');
					});
				}
			}
		]
	});
	await server.listen();
	cleanups.push(() => server.close());
	const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`;
	return url.replace(/\/$/, '');
}

function printBanner(appUrl: string, standIn: StandIn, backendLabel: string, dev: boolean): void {
	const line = dim('─'.repeat(64));
	console.log(`
${line}
${bold('工会活动 Union Activities')} ${dim(dev ? '(vite dev, hot reload)' : '(built app)')}

  App        ${bold(cyan(appUrl))}
  Mailbox    ${cyan(standIn.mailboxUrl)}   ${dim('sign-in codes (OTP) arrive here')}
  API        ${standIn.url}   ${dim(backendLabel)}

  Demo accounts, password ${bold(DEMO_PASSWORD)}:
${DEMO_ACCOUNTS.map(([email, role]) => `    ${email.padEnd(26)} ${dim(role)}`).join('\n')}

  ${yellow('Ctrl-C')} stops the app and the stand-in.
${line}`);
}

try {
	await main();
} catch (error) {
	// Argument and port errors, before anything was started.
	console.error(red(`npm start: ${error instanceof Error ? error.message : String(error)}`));
	console.error(dim('npm start -- --help lists the options.'));
	process.exit(2);
}
