// `npm run bench`: measures the app against the budgets of the performance issue and writes
// bench/report.md and bench/report.json. Sections run one after another (the machine has two
// shared cores); each returns structured results. Flags:
//   --only decode,signup   run only these sections (decode scan outbox signup reports xlsx lighthouse standin)
//   --quick                fewer frames, runs and seconds (a smoke run)
//   --runs N               runs per measurement (default 3; --quick: 1)
//   --pg-url URL           use this PostgreSQL server instead of a throwaway cluster
//   --out DIR              where to write report.md/report.json (default bench/)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { format } from 'prettier';
import { ROOT, TMP, CHROMIUM_PATH, errorText, postgresProvider } from './lib/common.ts';
import type { Context, Section, SectionResult } from './lib/common.ts';
import { decodeSection } from './sections/decode.ts';
import { scanSection } from './sections/scan.ts';
import { outboxSection } from './sections/outbox.ts';
import { signupSection } from './sections/signup.ts';
import { reportsSection } from './sections/reports.ts';
import { xlsxSection } from './sections/xlsx.ts';
import { lighthouseSection } from './sections/lighthouse.ts';
import { standinSection } from './sections/standin.ts';

const SECTIONS: Record<string, { title: string; run: Section }> = {
	decode: { title: 'QR decoding', run: decodeSection },
	scan: { title: 'Scan-to-verdict', run: scanSection },
	outbox: { title: 'Outbox replay', run: outboxSection },
	signup: { title: 'Sign-up burst', run: signupSection },
	reports: { title: 'Report functions', run: reportsSection },
	xlsx: { title: 'XLSX export', run: xlsxSection },
	lighthouse: { title: 'Lighthouse', run: lighthouseSection },
	standin: { title: 'Stand-in throughput', run: standinSection }
};

const { values } = parseArgs({
	options: {
		only: { type: 'string' },
		quick: { type: 'boolean', default: false },
		runs: { type: 'string' },
		'pg-url': { type: 'string' },
		out: { type: 'string' },
		help: { type: 'boolean', short: 'h', default: false }
	}
});
if (values.help) {
	console.log(
		readFileSync(import.meta.filename, 'utf8')
			.split('\n')
			.slice(0, 9)
			.join('\n')
	);
	process.exit(0);
}
const selected = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(SECTIONS);
for (const id of selected) {
	if (!(id in SECTIONS)) {
		console.error(`unknown section "${id}"; sections: ${Object.keys(SECTIONS).join(', ')}`);
		process.exit(2);
	}
}
const quick = values.quick;
const runs = values.runs ? Number(values.runs) : quick ? 1 : 3;
const outDir = values.out ?? join(ROOT, 'bench');
mkdirSync(TMP, { recursive: true });

const log = (message: string) => {
	console.log(`[bench] ${message}`);
};
const pg = postgresProvider(values['pg-url'], log);
process.on('exit', () => {
	pg.stop();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		pg.stop();
		process.exit(130);
	});
}
const ctx: Context = { quick, runs, postgresUrl: () => pg.url(), log };

function versionOf(pkg: string): string {
	try {
		const json = JSON.parse(
			readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')
		) as {
			version: string;
		};
		return json.version;
	} catch {
		return 'not installed';
	}
}

function command(cmd: string, args: string[]): string {
	try {
		return execFileSync(cmd, args, {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'ignore']
		}).trim();
	} catch {
		return 'unavailable';
	}
}

async function machine(): Promise<Record<string, string>> {
	let postgresVersion = 'not used';
	if (selected.some((s) => ['outbox', 'signup', 'reports', 'standin'].includes(s))) {
		try {
			const sql = postgres(await pg.url(), { max: 1, onnotice: () => undefined });
			const [row] = await sql<{ v: string; fsync: string; sc: string }[]>`
				select version() as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`;
			await sql.end();
			postgresVersion = `${row!.v.split(' on ')[0]!} (fsync=${row!.fsync}, synchronous_commit=${row!.sc})`;
		} catch (error) {
			postgresVersion = `unavailable: ${errorText(error)}`;
		}
	}
	const load = command('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ');
	return {
		date: new Date().toISOString(),
		cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
		memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
		os: `Linux ${release()}`,
		'load average at start (1/5/15 min)': load,
		node: process.version,
		chromium: command(CHROMIUM_PATH, ['--version']),
		postgresql: postgresVersion,
		pglite: versionOf('@electric-sql/pglite'),
		'zxing-wasm': versionOf('zxing-wasm'),
		'@zxing/library': versionOf('@zxing/library'),
		jsqr: versionOf('jsqr'),
		qrcode: versionOf('qrcode'),
		'write-excel-file': versionOf('write-excel-file'),
		lighthouse: versionOf('lighthouse'),
		'@supabase/supabase-js': versionOf('@supabase/supabase-js'),
		'@sveltejs/kit': versionOf('@sveltejs/kit'),
		vite: versionOf('vite')
	};
}

const started = performance.now();
const facts = await machine();
const results: SectionResult[] = [];
for (const id of selected) {
	const section = SECTIONS[id]!;
	log(`── ${section.title}`);
	const t0 = performance.now();
	try {
		const result = await section.run(ctx);
		results.push({ ...result, seconds: (performance.now() - t0) / 1000 });
	} catch (error) {
		log(`${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
		results.push({
			id,
			title: section.title,
			status: 'failed',
			runs: 0,
			notes: [`The section failed: ${errorText(error)}`],
			tables: [],
			budgets: [],
			data: {},
			seconds: (performance.now() - t0) / 1000
		});
	}
	log(
		`${id}: ${results[results.length - 1]!.status} in ${results[results.length - 1]!.seconds.toFixed(0)} s`
	);
}
pg.stop();
const totalSeconds = (performance.now() - started) / 1000;
facts['load average at end (1/5/15 min)'] = command('cat', ['/proc/loadavg'])
	.split(' ')
	.slice(0, 3)
	.join(' ');

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

const cell = (v: string | number) => String(v).replaceAll('|', '\\|').replaceAll('\n', ' ');
const lines: string[] = [];
lines.push('# Performance report', '');
lines.push(
	`Written by \`npm run bench${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` in ${(totalSeconds / 60).toFixed(1)} min. Figures are medians over the stated number of runs; the machine is shared and noisy (see the load averages), so compare ratios measured in the same run rather than absolute times across reports. The raw figures are in \`report.json\` beside this file.`,
	''
);
lines.push('## Machine and versions', '', '| | |', '| --- | --- |');
for (const [k, v] of Object.entries(facts)) lines.push(`| ${cell(k)} | ${cell(v)} |`);
lines.push('', `Runs per measurement: ${runs}${quick ? ' (--quick)' : ''}.`, '');
lines.push(
	'## Budgets',
	'',
	'| section | budget | limit | measured | |',
	'| --- | --- | --- | --- | --- |'
);
for (const r of results) {
	if (r.budgets.length === 0 && r.status !== 'measured') {
		lines.push(`| ${cell(r.title)} | – | – | ${cell(r.status)} | – |`);
	}
	for (const b of r.budgets) {
		const mark = b.pass === null ? '–' : b.pass ? '✓' : '✗';
		lines.push(
			`| ${cell(r.id)} | ${cell(b.name)}${b.note ? ` (${cell(b.note)})` : ''} | ${cell(b.limit)} | ${cell(b.measured)} | ${mark} |`
		);
	}
}
lines.push('');
for (const r of results) {
	lines.push(`## ${r.title}`, '');
	lines.push(`Status: ${r.status}; runs: ${r.runs}; section time ${r.seconds.toFixed(0)} s.`, '');
	for (const note of r.notes) lines.push(`- ${note}`);
	if (r.notes.length > 0) lines.push('');
	for (const table of r.tables) {
		if (table.caption) lines.push(`${table.caption}:`, '');
		lines.push(`| ${table.head.map(cell).join(' | ')} |`);
		lines.push(`| ${table.head.map(() => '---').join(' | ')} |`);
		for (const row of table.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
		lines.push('');
	}
}
const markdown = await format(lines.join('\n'), {
	parser: 'markdown',
	useTabs: true,
	printWidth: 100
});
const json = await format(
	JSON.stringify({ machine: facts, runs, quick, totalSeconds, sections: results }),
	{ parser: 'json', useTabs: true, printWidth: 100 }
);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.md'), markdown);
writeFileSync(join(outDir, 'report.json'), json);
log(`wrote ${join(outDir, 'report.md')} and report.json in ${(totalSeconds / 60).toFixed(1)} min`);
process.exit(0);
