// supabase/schemas/ is the database's current state and supabase/migrations/ how a database gets
// there: both must give the same database, on every back end that runs here. A change made in a
// migration but not in its schema file (or the other way round) fails here, with the difference.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	applySchemaFiles,
	MIGRATIONS_DIR,
	SCHEMAS_DIR,
	snapshot,
	snapshotDiff
} from '../schema-snapshot.ts';
import { migrate } from '../standin/migrate.ts';
import { DEFAULT_JWT_SECRET } from '../standin/keys.ts';
import { ACTIVITY_CATEGORIES } from '../../src/lib/domain/activity.ts';
import { zhCN } from '../../src/lib/i18n/messages.zh-CN.ts';
import { lanes, type SeededDatabase } from './support.ts';

const schemaFiles = readdirSync(SCHEMAS_DIR)
	.filter((file) => file.endsWith('.sql'))
	.sort()
	.map((file) => ({ file, text: readFileSync(join(SCHEMAS_DIR, file), 'utf8') }));

/** Every `create function schema.name(` of the schema files, with the file it is in. */
function functionDefinitions(): { name: string; file: string }[] {
	return schemaFiles.flatMap(({ file, text }) =>
		[...text.matchAll(/^create (?:or replace )?function (\w+\.\w+)\(/gm)].map((match) => ({
			name: match[1]!,
			file
		}))
	);
}

describe('the schema files', () => {
	test('define each function once', () => {
		const definitions = functionDefinitions();
		expect(definitions.length).toBeGreaterThan(100);
		const files = new Map<string, string[]>();
		for (const { name, file } of definitions) files.set(name, [...(files.get(name) ?? []), file]);
		const twice = [...files].filter(([, where]) => where.length > 1);
		expect(twice).toEqual([]);
	});

	test('say who may run each function right after it', () => {
		for (const { file, text } of schemaFiles) {
			// From each definition to the next, the first grant statement is about this function.
			for (const segment of text.split(/^(?=create function )/m).slice(1)) {
				const name = /^create function (\w+\.\w+)\(/.exec(segment)![1]!;
				const grant = /^(?:revoke|grant) .* on function (\w+\.\w+)\(/m.exec(segment);
				expect(grant?.[1], `${file}: ${name}`).toBe(name);
			}
		}
	});

	test('each open with a header naming the rules of their area', () => {
		for (const { file, text } of schemaFiles) {
			const header = text.slice(0, text.search(/^(?!--)/m));
			expect(header.split('\n').length, file).toBeGreaterThan(4);
		}
	});
});

describe.each(lanes())('migrations and schema files on $name', (lane) => {
	let migrated: SeededDatabase | undefined;
	let declared: SeededDatabase | undefined;

	beforeAll(async () => {
		const [a, b] = await Promise.all([lane.openEmpty(), lane.openEmpty()]);
		[migrated, declared] = [a, b];
		await migrate(a.backend, {
			migrationsDir: MIGRATIONS_DIR,
			jwtSecret: DEFAULT_JWT_SECRET
		});
		await applySchemaFiles(b.backend);
	});

	afterAll(async () => {
		await Promise.all([migrated?.close(), declared?.close()]);
	});

	test('give the same database', async () => {
		if (!migrated || !declared) throw new Error('the databases did not open');
		const fromMigrations = await snapshot(migrated.backend);
		const fromSchemaFiles = await snapshot(declared.backend);
		// A snapshot that misses whole kinds would compare equal too easily.
		for (const kind of ['function', 'relation', 'column', 'index', 'trigger', 'policy']) {
			expect(
				fromMigrations.some((line) => line.startsWith(`${kind}: `)),
				kind
			).toBe(true);
		}
		expect(snapshotDiff(fromMigrations, fromSchemaFiles)).toEqual([]);
	});

	test('name the categories with the words of the app (reports and screens say the same)', async () => {
		if (!migrated) throw new Error('the database did not open');
		for (const category of ACTIVITY_CATEGORIES) {
			const [row] = await migrated.backend.transaction((tx) =>
				tx.query<{ label: string }>('select private.category_label($1) as label', [category])
			);
			expect(row?.label, category).toBe(zhCN[`category.${category}`]);
		}
	});

	test('a function changed in a migration only is told apart', async () => {
		if (!migrated || !declared) throw new Error('the databases did not open');
		await declared.backend.exec(
			`create or replace function private.ascii_fold(value text) returns text
			 language sql immutable set search_path = '' as $$ select value $$`
		);
		const diff = snapshotDiff(await snapshot(migrated.backend), await snapshot(declared.backend));
		expect(diff.some((line) => line.startsWith('- function: private.ascii_fold('))).toBe(true);
	});
});
