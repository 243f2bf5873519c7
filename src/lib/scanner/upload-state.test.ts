import { beforeAll, describe, expect, test } from 'vitest';
import { loadDictionary, translate } from '#lib/i18n/translate.ts';
import { uploadStateKey } from './upload-state.ts';

describe('the upload line under a verdict', () => {
	beforeAll(() => loadDictionary('en', 'more'));

	test('R18 a refused action reads as checked by the server, never as uploaded', () => {
		const line = (status: Parameters<typeof uploadStateKey>[0], locale: 'zh-CN' | 'en') =>
			translate(locale, uploadStateKey(status));
		expect(line('rejected', 'zh-CN')).toBe('服务器已核对');
		expect(line('rejected', 'en')).toBe('Checked by the server');
		expect(line('blocked', 'zh-CN')).not.toBe(line('acked', 'zh-CN'));
		expect(line('acked', 'zh-CN')).toBe('已上传');
		expect(line('pending', 'zh-CN')).toBe('已保存在本机');
	});
});
