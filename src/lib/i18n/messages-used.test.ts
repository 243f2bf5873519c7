// Every message key is used somewhere in the app, so words nobody sees do not pile up (npm test's
// knip step finds unused code, not unused keys). A key counts as used when the app's source quotes
// it, or when it belongs to a family the app builds at run time (`t(\`office.role.${role}\`)`):
// those families are listed here by hand, and a new one must be added, so the list stays true.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zhCNMore } from './messages.more.zh-CN.ts';
import { zhCN } from './messages.zh-CN.ts';

const BUILT_AT_RUN_TIME = [
	'answer.',
	'badge.',
	'card.admission.',
	'category.',
	'checkin.refusal.',
	'checkin.v.',
	'conflicts.decision.',
	'conflicts.flag.',
	'detail.rule.',
	'ineligible.',
	'kind.',
	'memberType.',
	'office.admission.',
	'office.editor.done.',
	'office.fig.',
	'office.gender.',
	'office.group.',
	'office.q.kind.',
	'office.role.',
	'office.source.',
	'office.status.',
	'office.v.',
	'office.weekday.',
	'phase.',
	'reason.',
	'refusal.',
	'registration.'
];

const SRC = join(import.meta.dirname, '..', '..');

function appSources(): string[] {
	return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
		.filter((file) => /\.(ts|svelte)$/.test(file))
		.filter((file) => !file.endsWith('.test.ts') && !/i18n[/\\]messages[^/\\]*\.ts$/.test(file))
		.map((file) => readFileSync(join(SRC, file), 'utf8'));
}

describe('message keys', () => {
	const sources = appSources();
	const code = sources.join('\n');

	it('lists every family of keys the app builds at run time', () => {
		const built = new Set<string>();
		for (const match of code.matchAll(/`([a-zA-Z.]+\.)\$\{/g)) built.add(match[1] ?? '');
		// `questions.${index}` is a form field's path, not a message key.
		built.delete('questions.');
		expect([...built].filter((prefix) => !BUILT_AT_RUN_TIME.includes(prefix))).toEqual([]);
		expect(BUILT_AT_RUN_TIME.filter((prefix) => !built.has(prefix))).toEqual([]);
	});

	it('are each used somewhere in src/', () => {
		const keys = [...Object.keys(zhCN), ...Object.keys(zhCNMore)];
		const unused = keys.filter(
			(key) =>
				!BUILT_AT_RUN_TIME.some((prefix) => key.startsWith(prefix)) &&
				!code.includes(`'${key}'`) &&
				!code.includes(`"${key}"`) &&
				!code.includes(`\`${key}\``)
		);
		expect(unused).toEqual([]);
	});
});
