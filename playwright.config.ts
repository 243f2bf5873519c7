// End-to-end tests: the built app served by `scripts/start.ts` with its own stand-in and a fresh
// database, on ports that don't clash with a developer's running `npm start` (5173/54321).
// E2E_DB_URL=postgres://… runs the stand-in on a new database on that PostgreSQL server instead of
// PGlite. The system Chromium is used when installed (Debian's `chromium`).
import { defineConfig, devices } from '@playwright/test';
import { SYSTEM_CHROMIUM_ARGS, systemChromium } from './scripts/lib/browser.ts';

const APP_PORT = Number(process.env.E2E_APP_PORT ?? 5180);
const API_PORT = Number(process.env.E2E_API_PORT ?? 54331);
const baseURL = `http://127.0.0.1:${APP_PORT}`;
const chromium = systemChromium();

const server = [
	JSON.stringify(process.execPath),
	'scripts/start.ts',
	`--port ${APP_PORT}`,
	`--api-port ${API_PORT}`,
	'--data-dir .data/e2e-pglite',
	'--fresh'
];
if (process.env.E2E_DB_URL) server.push(`--db-url ${JSON.stringify(process.env.E2E_DB_URL)}`);

export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.test.ts',
	outputDir: 'test-results',
	// One stand-in database is shared by all tests: one worker keeps them from racing on it.
	workers: Number(process.env.E2E_WORKERS ?? 1),
	fullyParallel: false,
	retries: 0,
	forbidOnly: Boolean(process.env.CI),
	timeout: 30_000,
	expect: { timeout: 10_000 },
	reporter: 'list',
	use: {
		baseURL,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai',
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Pixel 7'],
				launchOptions: chromium ? { executablePath: chromium, args: [...SYSTEM_CHROMIUM_ARGS] } : {}
			}
		}
	],
	webServer: {
		command: server.join(' '),
		url: `${baseURL}/config.json`,
		reuseExistingServer: false,
		// Many sign-ins from one client (127.0.0.1): the stand-in's send limits are off.
		env: {
			UNION_OTP_RATE_LIMIT_SECONDS: '0',
			UNION_OTP_MAILS_PER_CLIENT_PER_HOUR: '0',
			UNION_OTP_NEW_ADDRESSES_PER_CLIENT_PER_HOUR: '0'
		},
		// A stale build/ is rebuilt first, and PGlite starts cold with --fresh.
		timeout: 180_000,
		stdout: 'pipe',
		stderr: 'pipe',
		gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 }
	}
});
