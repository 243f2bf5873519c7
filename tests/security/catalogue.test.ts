// The summary table cannot lie: every catalogue id is listed once; every `automated` id is a
// test-title prefix in some test file; every referenced test exists where the table says.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CATALOGUE } from './catalogue.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TEST_DIRS = ['src', 'tests', 'supabase/tests'];

function testFiles(): string[] {
	const files: string[] = [];
	const walk = (path: string) => {
		for (const entry of readdirSync(path)) {
			const full = join(path, entry);
			if (statSync(full).isDirectory()) walk(full);
			else if (entry.endsWith('.test.ts')) files.push(relative(ROOT, full));
		}
	};
	for (const dir of TEST_DIRS) walk(join(ROOT, dir));
	return files;
}

/** Every test title (first string argument of test/it, also .each forms), per file. */
function titles(file: string): string[] {
	const text = readFileSync(join(ROOT, file), 'utf8');
	const found: string[] = [];
	for (const match of text.matchAll(
		/\b(?:test|it)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g
	)) {
		found.push(match[2]!.replace(/\\(.)/g, '$1'));
	}
	return found;
}

/** The ids a title starts with: `A12 B3 …` before the first word that is not an id. */
function idPrefixes(title: string): string[] {
	const ids: string[] = [];
	for (const word of title.split(/\s+/)) {
		if (/^([A-G]\d{1,2}|T\d{2}|T\d{2}[ab]|I\d|R\d{1,2})$/.test(word))
			ids.push(word.replace(/[ab]$/, ''));
		else break;
	}
	return ids;
}

describe('the security catalogue', () => {
	const all = new Map(testFiles().map((file) => [file, titles(file)]));

	test('lists every case exactly once: A1–G4 (62), T01–T46 and the review findings R1–R18', () => {
		const expected = [
			...Array.from({ length: 15 }, (_, i) => `A${i + 1}`),
			...Array.from({ length: 12 }, (_, i) => `B${i + 1}`),
			...Array.from({ length: 10 }, (_, i) => `C${i + 1}`),
			...Array.from({ length: 6 }, (_, i) => `D${i + 1}`),
			...Array.from({ length: 10 }, (_, i) => `E${i + 1}`),
			...Array.from({ length: 5 }, (_, i) => `F${i + 1}`),
			...Array.from({ length: 4 }, (_, i) => `G${i + 1}`),
			...Array.from({ length: 46 }, (_, i) => `T${String(i + 1).padStart(2, '0')}`),
			...Array.from({ length: 18 }, (_, i) => `R${i + 1}`)
		];
		expect(CATALOGUE.map((c) => c.id)).toEqual(expected);
		for (const c of CATALOGUE) {
			if (c.status === 'automated' || c.status === 'referenced') {
				expect(c.where?.length, c.id).toBeGreaterThan(0);
			} else {
				expect(c.why, c.id).toBeTruthy();
			}
		}
	});

	test('every automated id is a test-title prefix, in the file the table names', () => {
		const problems: string[] = [];
		for (const c of CATALOGUE.filter((x) => x.status === 'automated')) {
			const prefixed = [...all].some(([, list]) => list.some((t) => idPrefixes(t).includes(c.id)));
			if (!prefixed) problems.push(`${c.id}: no test title starts with it`);
			const first = c.where![0]!;
			const inFile = (all.get(first.file) ?? []).some(
				(t) => t.startsWith(first.test) && idPrefixes(t).includes(c.id)
			);
			if (!inFile) problems.push(`${c.id}: not in ${first.file} › ${first.test}`);
		}
		expect(problems).toEqual([]);
	});

	test('every referenced test exists under the title the table gives', () => {
		const problems: string[] = [];
		for (const c of CATALOGUE) {
			for (const where of c.where ?? []) {
				const list = all.get(where.file);
				if (!list) problems.push(`${c.id}: no file ${where.file}`);
				else if (!list.some((t) => t.includes(where.test)))
					problems.push(`${c.id}: no test "${where.test}" in ${where.file}`);
			}
		}
		expect(problems).toEqual([]);
	});
});
