import { expect, test } from 'vitest';
import { isWeChat } from './user-agent.ts';

test('WeChat is recognised by its user agent', () => {
	expect(isWeChat('Mozilla/5.0 (iPhone) MicroMessenger/8.0.47')).toBe(true);
	expect(isWeChat('Mozilla/5.0 (Linux; Android 14; wv) MicroMessenger/8.0.50 WeChat')).toBe(true);
	expect(isWeChat('Mozilla/5.0 (Linux; Android 14) Chrome/126')).toBe(false);
});
