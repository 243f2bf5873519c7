// `npm test`: everything CI checks, in order, stopping at the first failure.
//   npm test                  all steps
//   npm test -- lint unit     only the named steps (names below), in the usual order
// A throwaway PostgreSQL server runs for the database tests when PostgreSQL is installed and
// UNION_TEST_PG_URL is not already set.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemChromium } from './lib/browser.ts';
import { startThrowawayCluster, type Cluster } from './lib/postgres.ts';
import {
	binCommand,
	bold,
	dim,
	green,
	heading,
	killChildren,
	projectRoot,
	red,
	run,
	seconds,
	yellow,
	childEnv
} from './lib/proc.ts';

interface Step {
	name: string;
	title: string;
	tool: string;
	args: string[];
	before?: () => Promise<void>;
	/** A reason to skip the step on this tree, if any. */
	skip?: () => string | undefined;
}

const SERVICE_WORKER_TSCONFIG = 'src/service-worker/tsconfig.json';
const hasServiceWorkerTsconfig = () => existsSync(join(projectRoot, SERVICE_WORKER_TSCONFIG));

const STEPS: Step[] = [
	{ name: 'sync', title: 'svelte-kit sync', tool: 'svelte-kit', args: ['sync'] },
	{
		name: 'check',
		title: 'svelte-check (types, Svelte diagnostics)',
		tool: 'svelte-check',
		args: ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human']
	},
	{
		// Kit 3 type-checks the service worker under its own tsconfig (WebWorker lib), which the
		// root tsconfig, and so svelte-check, excludes.
		name: 'check-sw',
		title: 'tsc (service worker)',
		tool: 'tsc',
		args: ['--noEmit', '-p', SERVICE_WORKER_TSCONFIG],
		skip: () => (hasServiceWorkerTsconfig() ? undefined : `no ${SERVICE_WORKER_TSCONFIG}`)
	},
	{ name: 'lint', title: 'ESLint', tool: 'eslint', args: ['--max-warnings', '0', '.'] },
	{
		// Unused files, exports and dependencies (knip.jsonc); unused message keys are a unit test.
		name: 'knip',
		title: 'knip (dead code)',
		tool: 'knip',
		args: ['--no-progress']
	},
	{ name: 'format', title: 'Prettier', tool: 'prettier', args: ['--check', '.'] },
	{
		name: 'unit',
		title: 'Vitest (unit, offline, stand-in, database, security)',
		tool: 'vitest',
		args: ['run'],
		before: startPostgresLane
	},
	{ name: 'build', title: 'vite build', tool: 'vite', args: ['build'] },
	{
		name: 'e2e',
		title: 'Playwright end-to-end tests',
		tool: 'playwright',
		args: ['test'],
		before: ensureBrowser
	}
];

let cluster: Cluster | undefined;
const env: Record<string, string | undefined> = {};

async function startPostgresLane(): Promise<void> {
	if (process.env.UNION_TEST_PG_URL) {
		console.log(dim(`PostgreSQL lane: on, using UNION_TEST_PG_URL from the environment.`));
		return;
	}
	const started = performance.now();
	const result = await startThrowawayCluster();
	if ('reason' in result) {
		console.log(
			yellow(`PostgreSQL lane: OFF (${result.reason}). Database tests run on PGlite only.`)
		);
		return;
	}
	cluster = result;
	env.UNION_TEST_PG_URL = result.url;
	console.log(
		dim(`PostgreSQL lane: on, throwaway server ${result.url} (started in ${seconds(started)}).`)
	);
}

async function ensureBrowser(): Promise<void> {
	const system = systemChromium();
	if (system) {
		console.log(dim(`Browser: ${system}`));
		return;
	}
	const { chromium } = await import('@playwright/test');
	if (existsSync(chromium.executablePath())) {
		console.log(dim(`Browser: Playwright's Chromium ${chromium.executablePath()}`));
		return;
	}
	heading('Installing Playwright’s Chromium (no system Chromium found)');
	const [command, args] = binCommand('playwright', ['install', 'chromium']);
	const code = await run(command, args);
	if (code !== 0) throw new Error('`playwright install chromium` failed');
}

function stopCluster(): void {
	if (!cluster) return;
	cluster.stop();
	cluster = undefined;
}

async function main(): Promise<number> {
	const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
	const unknown = requested.filter((name) => !STEPS.some((step) => step.name === name));
	if (unknown.length > 0) {
		console.error(
			red(`Unknown step(s): ${unknown.join(', ')}. Steps: ${STEPS.map((s) => s.name).join(', ')}`)
		);
		return 2;
	}
	const steps = (
		requested.length > 0 ? STEPS.filter((step) => requested.includes(step.name)) : STEPS
	).filter((step) => {
		const reason = step.skip?.();
		if (reason) console.log(dim(`(skipping ${step.name}: ${reason})`));
		return !reason;
	});

	const startedAll = performance.now();
	const timings: string[] = [];
	let passed = 0;
	for (const [index, step] of steps.entries()) {
		heading(`[${index + 1}/${steps.length}] ${step.title}`);
		const started = performance.now();
		await step.before?.();
		const [command, args] = binCommand(step.tool, step.args);
		const code = await run(command, args, { env: childEnv({ CI: process.env.CI, ...env }) });
		timings.push(`${step.name} ${seconds(started)}`);
		if (code !== 0) {
			console.error(
				`\n${red(bold(`✗ ${step.title} failed (exit ${code}).`))} ${dim(timings.join(', '))}`
			);
			console.log(`steps: ${passed} passed, 1 failed`);
			return code;
		}
		passed++;
		console.log(green(`✓ ${step.title} ${dim(`(${seconds(started)})`)}`));
	}
	// The abuse/fault catalogue summary (tests/security/catalogue.ts); after a build it also
	// scans build/ for secret keys (B10) and fails when it finds one.
	heading('Security and reliability catalogue');
	const scan = steps.some((step) => step.name === 'build') ? [] : ['--no-scan'];
	if (
		(await run(process.execPath, [join(projectRoot, 'scripts/security-summary.ts'), ...scan])) !== 0
	) {
		console.log(`steps: ${passed} passed, 1 failed`);
		return 1;
	}
	console.log(
		`\n${green(bold(`All ${steps.length} steps passed`))} in ${seconds(startedAll)} ${dim(`(${timings.join(', ')})`)}`
	);
	console.log(`steps: ${passed} passed, 0 failed`);
	return 0;
}

const state = { interrupted: false };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
	process.on(signal, () => {
		if (state.interrupted) process.exit(130);
		state.interrupted = true;
		console.error(red(`\n${signal}: stopping the running step…`));
		killChildren('SIGTERM');
		setTimeout(() => {
			killChildren('SIGKILL');
			stopCluster();
			process.exit(130);
		}, 5000).unref();
	});
}
process.on('exit', stopCluster);

let exitCode: number;
try {
	exitCode = await main();
} catch (error) {
	console.error(red(`npm test: ${error instanceof Error ? error.message : String(error)}`));
	exitCode = 1;
}
stopCluster();
process.exit(state.interrupted && exitCode === 0 ? 130 : exitCode);
