import { expect, test } from '@playwright/test';

test('the app opens in Chinese, starts, and breaks no Content-Security-Policy rule', async ({
	page
}) => {
	// Recorded from the first script on, so a blocked inline bootstrap script is caught too.
	await page.addInitScript(() => {
		const violations: string[] = [];
		Object.assign(window, { __cspViolations: violations });
		document.addEventListener('securitypolicyviolation', (event) => {
			violations.push(`${event.violatedDirective} ${event.blockedURI}`);
		});
	});
	const response = await page.goto('/');
	expect(response?.status()).toBe(200);
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
	await expect(page).toHaveTitle(/工会/);
	// SvelteKit has mounted the app into its container (the inline bootstrap ran).
	await expect(page.locator('body > div > :not(script)').first()).toBeAttached();
	// The header bar app.html paints before any script runs gives way to the app's own.
	await expect(page.locator('#boot-shell')).toHaveCount(0);
	await expect(page.locator('header.app-header')).toHaveCount(1);
	const violations = await page.evaluate(
		() => (window as unknown as { __cspViolations: string[] }).__cspViolations
	);
	expect(violations).toEqual([]);
});

test('the runtime configuration points at the stand-in with the anon key only', async ({
	request
}) => {
	const response = await request.get('/config.json');
	expect(response.ok()).toBe(true);
	const config = (await response.json()) as Record<string, unknown>;
	expect(Object.keys(config).sort()).toEqual(['supabaseKey', 'supabaseUrl']);
	expect(config.supabaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/?$/);
	const [, payload = ''] = String(config.supabaseKey).split('.');
	const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
		role?: string;
	};
	expect(claims.role).toBe('anon');
});

test('English is fetched when chosen, kept across a reload, and Chinese comes back on request', async ({
	page
}) => {
	const scripts: string[] = [];
	page.on('request', (request) => {
		if (request.resourceType() === 'script') scripts.push(request.url());
	});
	await page.goto('/login');
	await expect(page.getByRole('heading', { level: 1, name: '登录' })).toBeVisible();
	// The English words are not part of the first load: switching fetches them.
	const firstLoad = scripts.length;
	await page.getByRole('button', { name: 'Switch to English' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
	await expect(page.locator('html')).toHaveAttribute('lang', 'en');
	expect(scripts.length).toBeGreaterThan(firstLoad);

	// Remembered: the next visit renders English straight away, never a Chinese heading first.
	await page.addInitScript(() => {
		new MutationObserver(() => {
			const heading = document.querySelector('h1');
			if (heading?.textContent.includes('登录')) {
				Object.assign(window, { __sawChinese: true });
			}
		}).observe(document, { subtree: true, childList: true, characterData: true });
	});
	await page.reload();
	await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
	expect(await page.evaluate(() => (window as { __sawChinese?: boolean }).__sawChinese)).toBe(
		undefined
	);

	await page.getByRole('button', { name: '切换到中文' }).click();
	await expect(page.getByRole('heading', { level: 1, name: '登录' })).toBeVisible();
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
});
