// Which Chromium the end-to-end tests use: the system's (Debian's `chromium`, the only one that
// installs on the project's machines), else Playwright's own download (a developer's laptop).
import { existsSync } from 'node:fs';

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** CHROME_PATH if set, else a system Chromium if installed. */
export function systemChromium(): string | undefined {
	const fromEnv = process.env.CHROME_PATH;
	if (fromEnv && existsSync(fromEnv)) return fromEnv;
	return SYSTEM_CHROMIUM.find((path) => existsSync(path));
}

/** Flags that keep a headless system Chromium quiet and working as root in a container. */
export const SYSTEM_CHROMIUM_ARGS: readonly string[] = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--disable-dev-shm-usage'
];
