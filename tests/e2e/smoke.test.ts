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
