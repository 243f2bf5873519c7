// Splits a SQL script into statements the way the Supabase CLI records them in
// supabase_migrations.schema_migrations.statements. Only used for that record: the script itself
// runs whole, so a splitting mistake can never change what gets executed.

export function splitStatements(script: string): string[] {
	const statements: string[] = [];
	let start = 0;
	let i = 0;
	const n = script.length;
	const push = (end: number) => {
		const text = script.slice(start, end).trim();
		if (text && !isOnlyComments(text)) statements.push(text);
	};
	while (i < n) {
		const ch = script[i];
		const next = script[i + 1];
		if (ch === '-' && next === '-') {
			const eol = script.indexOf('\n', i);
			i = eol === -1 ? n : eol + 1;
		} else if (ch === '/' && next === '*') {
			i = skipBlockComment(script, i);
		} else if (ch === "'") {
			i = skipQuoted(script, i, "'");
		} else if (ch === '"') {
			i = skipQuoted(script, i, '"');
		} else if (ch === '$') {
			const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64));
			if (tag && !/[A-Za-z0-9_]/.test(script[i - 1] ?? ' ')) {
				const close = script.indexOf(tag[0], i + tag[0].length);
				i = close === -1 ? n : close + tag[0].length;
			} else {
				i++;
			}
		} else if (ch === ';') {
			push(i);
			start = i + 1;
			i++;
		} else {
			i++;
		}
	}
	push(n);
	return statements;
}

function skipBlockComment(script: string, at: number): number {
	// Block comments nest in PostgreSQL.
	let depth = 0;
	let i = at;
	while (i < script.length) {
		if (script[i] === '/' && script[i + 1] === '*') {
			depth++;
			i += 2;
		} else if (script[i] === '*' && script[i + 1] === '/') {
			depth--;
			i += 2;
			if (depth === 0) return i;
		} else {
			i++;
		}
	}
	return i;
}

function skipQuoted(script: string, at: number, quote: string): number {
	// E'' strings may escape a quote with a backslash.
	const escapes = quote === "'" && /[eE]/.test(script[at - 1] ?? '');
	let i = at + 1;
	while (i < script.length) {
		const ch = script[i];
		if (escapes && ch === '\\') {
			i += 2;
		} else if (ch === quote) {
			if (script[i + 1] === quote) i += 2;
			else return i + 1;
		} else {
			i++;
		}
	}
	return i;
}

function isOnlyComments(text: string): boolean {
	return (
		text
			.replace(/\/\*[\s\S]*?\*\//g, '')
			.replace(/--[^\n]*/g, '')
			.trim() === ''
	);
}
