// The built app served like `npm start` does (scripts/lib/static-server.ts) with a stand-in on a
// fresh seeded PGlite database, for the browser sections. Rebuilds build/ when it is stale.
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { buildStaleReason } from '../../scripts/lib/build.ts';
import { createAppServer } from '../../scripts/lib/static-server.ts';
import { startStandIn } from '../../supabase/standin/index.ts';
import type { StandIn } from '../../supabase/standin/index.ts';
import { ROOT } from './common.ts';

export const DEMO_PASSWORD = 'demo-union-2027';

export interface RunningApp {
	url: string;
	standIn: StandIn;
	close(): Promise<void>;
}

export function ensureBuild(log: (m: string) => void): void {
	const stale = buildStaleReason(ROOT);
	if (!stale) return;
	log(`building the app (${stale})`);
	const result = spawnSync(
		join(ROOT, 'node_modules', '.bin', 'vite'),
		['build', '--logLevel', 'warn'],
		{
			cwd: ROOT,
			stdio: 'inherit'
		}
	);
	if (result.status !== 0) throw new Error(`vite build failed (exit ${String(result.status)})`);
}

export async function startApp(log: (m: string) => void): Promise<RunningApp> {
	ensureBuild(log);
	const standIn = await startStandIn({ backend: { kind: 'pglite' }, port: 0 });
	const server: Server = createAppServer({
		root: join(ROOT, 'build'),
		apiOrigins: [new URL(standIn.url).origin],
		config: () => ({ supabaseUrl: standIn.url, supabaseKey: standIn.anonKey })
	});
	const url = await new Promise<string>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
		});
	});
	return {
		url,
		standIn,
		async close() {
			await new Promise<void>((resolve) => {
				server.close(() => {
					resolve();
				});
				server.closeAllConnections();
			});
			await standIn.stop();
		}
	};
}

/** A session from the stand-in's password grant, as supabase-js stores it in localStorage. */
export async function passwordSession(
	app: RunningApp,
	email: string
): Promise<{ key: string; value: string; accessToken: string }> {
	const response = await fetch(`${app.standIn.url}/auth/v1/token?grant_type=password`, {
		method: 'POST',
		headers: { apikey: app.standIn.anonKey, 'content-type': 'application/json' },
		body: JSON.stringify({ email, password: DEMO_PASSWORD })
	});
	if (!response.ok) throw new Error(`password sign-in of ${email}: HTTP ${response.status}`);
	const session = (await response.json()) as { access_token: string };
	// supabase-js: `sb-${first label of the API host}-auth-token`.
	const key = `sb-${new URL(app.standIn.url).hostname.split('.')[0]!}-auth-token`;
	return { key, value: JSON.stringify(session), accessToken: session.access_token };
}
