// Child processes for the project's scripts: run a tool from node_modules/.bin with this very Node,
// print headings and timings, and make sure nothing outlives the script.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export const projectRoot = resolve(import.meta.dirname, '..', '..');

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) =>
	useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
export const bold = paint('1');
export const dim = paint('2');
export const red = paint('31');
export const green = paint('32');
export const yellow = paint('33');
export const cyan = paint('36');

export function heading(text: string): void {
	console.log(`\n${bold(cyan(`▶ ${text}`))}`);
}

export function seconds(startedAt: number): string {
	return `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
}

/** The environment for children: this Node and the project's bins first on PATH. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
	const path = [
		dirname(process.execPath),
		join(projectRoot, 'node_modules', '.bin'),
		process.env.PATH ?? ''
	].join(delimiter);
	const env: NodeJS.ProcessEnv = { ...process.env, PATH: path };
	for (const [key, value] of Object.entries(extra)) env[key] = value;
	// Keys set to undefined are removed, not passed on as the string "undefined".
	return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/**
 * A tool installed in node_modules/.bin, as [executable, ...args] run by this Node (the .bin
 * shims start with `#!/usr/bin/env node`, which could pick an older system Node).
 */
export function binCommand(name: string, args: readonly string[]): [string, string[]] {
	const shim = join(projectRoot, 'node_modules', '.bin', name);
	if (!existsSync(shim)) {
		throw new Error(`${name} is not installed: run \`npm install\` first (missing ${shim}).`);
	}
	return [process.execPath, [realpathSync(shim), ...args]];
}

const running = new Set<ChildProcess>();

/** Stops every child still running (process groups, so their own children go too). */
export function killChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
	for (const child of running) {
		if (child.pid === undefined || child.exitCode !== null) continue;
		try {
			process.kill(-child.pid, signal);
		} catch {
			child.kill(signal);
		}
	}
}

/** Runs a command with inherited stdio; resolves with its exit code (signals count as failure). */
export function run(
	command: string,
	args: readonly string[],
	options: SpawnOptions = {}
): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(command, args, {
			cwd: projectRoot,
			env: childEnv(),
			// No stdin: nothing here is interactive, and a background process group reading the
			// terminal would be stopped by SIGTTIN.
			stdio: ['ignore', 'inherit', 'inherit'],
			// Its own process group, so Ctrl-C handling can stop the whole tree.
			detached: process.platform !== 'win32',
			...options
		});
		running.add(child);
		child.once('error', (error) => {
			running.delete(child);
			reject(error);
		});
		child.once('exit', (code, signal) => {
			running.delete(child);
			resolvePromise(code ?? (signal ? 128 + signalNumber(signal) : 1));
		});
	});
}

function signalNumber(signal: NodeJS.Signals): number {
	return signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15;
}

/** Runs a command to completion and returns its trimmed stdout, or undefined if it failed. */
export function capture(command: string, args: readonly string[]): string | undefined {
	const result = spawnSync(command, args, { encoding: 'utf8', env: childEnv() });
	if (result.error || result.status !== 0) return undefined;
	return result.stdout.trim();
}
