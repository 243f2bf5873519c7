import { describe, expect, it } from 'vitest';
import { isValidEmail, normalizeEmail } from './email.ts';

describe('normalizeEmail', () => {
	it('trims and lower-cases', () => {
		expect(normalizeEmail('  Employee@Union.Example ')).toBe('employee@union.example');
	});

	it('folds full-width characters typed with a Chinese IME', () => {
		expect(normalizeEmail('ｅｍｐｌｏｙｅｅ＠ｕｎｉｏｎ．ｅｘａｍｐｌｅ')).toBe(
			'employee@union.example'
		);
	});

	it('turns the ideographic full stop into a dot', () => {
		expect(normalizeEmail('a@union。example')).toBe('a@union.example');
	});

	it('removes spaces inside the address', () => {
		expect(normalizeEmail('a @ union.example')).toBe('a@union.example');
	});
});

describe('isValidEmail', () => {
	it.each(['employee@union.example', '74731@example.org', 'a.b+c@mail.hospital.cn'])(
		'accepts %s',
		(email) => {
			expect(isValidEmail(email)).toBe(true);
		}
	);

	it.each(['', 'employee', 'employee@', '@union.example', 'a@b', 'a@@b.cn', 'a@b..cn', 'a b@c.cn'])(
		'rejects %j',
		(email) => {
			expect(isValidEmail(email)).toBe(false);
		}
	);

	it('rejects addresses longer than 254 characters', () => {
		expect(isValidEmail(`${'a'.repeat(250)}@b.cn`)).toBe(false);
	});
});
