// The database's shape as comparable text, read from the catalogues (PGlite and PostgreSQL
// alike), and the database the schema files describe. `supabase/schemas/` is the current state;
// `supabase/migrations/` is how a database gets there; a test and CI prove the two agree by
// comparing the snapshot of a migrated database with the snapshot of one built from the schemas.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from './standin/backend.ts';
import { migrate } from './standin/migrate.ts';
import { DEFAULT_JWT_SECRET } from './standin/keys.ts';

export const SCHEMAS_DIR = join(import.meta.dirname, 'schemas');
export const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');

/** The schemas a project's SQL owns (the bootstrap's `auth` is the same on both sides). */
const OWN = `n.nspname in ('public', 'private')`;

/** One line per object and property, sorted: equal snapshots mean equal schemas. */
const SNAPSHOT_QUERIES: Record<string, string> = {
	schema: `select n.nspname || ' acl ' || coalesce(array_to_string(array(
			select a from unnest(n.nspacl::text[]) a order by a), ','), '-') as line
		from pg_namespace n where ${OWN}`,
	'default acl': `select coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text || ' ' ||
			array_to_string(array(select a from unnest(d.defaclacl::text[]) a order by a), ',') as line
		from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace`,
	function: `select p.oid::regprocedure::text || E'\\n' || pg_get_functiondef(p.oid) || E'\\nacl ' ||
			coalesce(array_to_string(array(select a from unnest(p.proacl::text[]) a order by a), ','), '-')
			|| E'\\ncomment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-') as line
		from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${OWN}`,
	relation: `select c.oid::regclass::text || ' kind ' || c.relkind::text || ' rls ' || c.relrowsecurity ||
			' force ' || c.relforcerowsecurity || ' acl ' ||
			coalesce(array_to_string(array(select a from unnest(c.relacl::text[]) a order by a), ','), '-')
			|| ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-') as line
		from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where ${OWN} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`,
	column: `select c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
			|| case when a.attnotnull then ' not null' else '' end
			|| coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
			|| case when a.attidentity::text <> '' then ' identity ' || a.attidentity::text else '' end
			|| case when a.attgenerated::text <> '' then ' generated' else '' end
			|| ' #' || a.attnum as line
		from pg_attribute a join pg_class c on c.oid = a.attrelid
		join pg_namespace n on n.oid = c.relnamespace
		left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
		where ${OWN} and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped`,
	constraint: `select co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid) as line
		from pg_constraint co join pg_namespace n on n.oid = co.connamespace where ${OWN}`,
	index: `select pg_get_indexdef(i.indexrelid) as line
		from pg_index i join pg_class c on c.oid = i.indexrelid
		join pg_namespace n on n.oid = c.relnamespace where ${OWN}`,
	trigger: `select pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text as line
		from pg_trigger t join pg_class c on c.oid = t.tgrelid
		join pg_namespace n on n.oid = c.relnamespace where ${OWN} and not t.tgisinternal`,
	policy: `select p.schemaname || '.' || p.tablename || ' ' || p.policyname || ' ' || p.permissive || ' '
			|| array_to_string(p.roles, ',') || ' ' || p.cmd || ' using ' || coalesce(p.qual, '-')
			|| ' check ' || coalesce(p.with_check, '-') as line
		from pg_policies p where p.schemaname in ('public', 'private')`,
	type: `select t.oid::regtype::text || ' ' || t.typtype::text || ' ' || coalesce(array_to_string(array(
			select e.enumlabel from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder), ','), '')
			as line
		from pg_type t join pg_namespace n on n.oid = t.typnamespace
		where ${OWN} and t.typtype in ('e', 'd', 'c') and (t.typrelid = 0 or
			(select relkind from pg_class where oid = t.typrelid) = 'c')`,
	extension: `select e.extname || ' in ' || n.nspname as line
		from pg_extension e join pg_namespace n on n.oid = e.extnamespace`
};

/** The snapshot: each kind's lines, sorted. */
export async function snapshot(backend: Backend): Promise<string[]> {
	const lines: string[] = [];
	await backend.transaction(async (tx) => {
		for (const [kind, sql] of Object.entries(SNAPSHOT_QUERIES)) {
			const rows = await tx.query<{ line: string }>(sql);
			for (const row of rows) lines.push(`${kind}: ${row.line}`);
		}
	});
	return lines.sort();
}

/**
 * Applies the schema files in order to an empty database, through the same path as migrations
 * (the bootstrap first, each file in one transaction), each file standing in for one migration.
 */
export async function applySchemaFiles(backend: Backend, schemasDir = SCHEMAS_DIR): Promise<void> {
	const dir = await mkdtemp(join(tmpdir(), 'union-schemas-'));
	try {
		const files = (await readdir(schemasDir)).filter((f) => f.endsWith('.sql')).sort();
		for (const [i, file] of files.entries()) {
			await cp(join(schemasDir, file), join(dir, `${String(i + 1).padStart(14, '0')}_${file}`));
		}
		await migrate(backend, { migrationsDir: dir, jwtSecret: DEFAULT_JWT_SECRET });
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

/** Lines only in `a` (-) and only in `b` (+), for a readable failure. */
export function snapshotDiff(a: string[], b: string[]): string[] {
	const inA = new Set(a);
	const inB = new Set(b);
	return [
		...a.filter((line) => !inB.has(line)).map((line) => `- ${line}`),
		...b.filter((line) => !inA.has(line)).map((line) => `+ ${line}`)
	];
}
