// Database back ends: embedded PGlite (default) or a real PostgreSQL server through postgres.js.
import { createHmac } from 'node:crypto';

export type QueryParam = string | null;

export type Tx = {
	/** One statement with `$n` parameters. Bind text only and cast in SQL (`$1::uuid`). */
	query<R = Record<string, unknown>>(sql: string, params?: QueryParam[]): Promise<R[]>;
	/** A multi-statement script without parameters (migrations, seed). */
	exec(script: string): Promise<void>;
};

/** One statement of a batch: `$n` parameters bound as text, as in Tx.query. */
export type Statement = { sql: string; params?: QueryParam[] };

export type TransactionOptions = {
	readOnly?: boolean;
	/**
	 * Run on the API connection: on PostgreSQL the low-privilege `authenticator` login, which can
	 * only switch to anon/authenticated/service_role. PGlite has a single superuser connection, so
	 * there isolation comes only from `set local role` inside the transaction.
	 */
	api?: boolean;
};

export type Backend = {
	kind: 'pglite' | 'postgres';
	transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
	/**
	 * Runs the statements in order as one transaction, committed when the last one succeeded and
	 * rolled back when one fails (which rejects with that statement's error); the rows of each.
	 * On PostgreSQL one round trip: a multi-statement query (an implicit transaction) with the
	 * parameters inlined as escaped literals, so the server commits without waiting for this
	 * process, and row locks are released as soon as the last statement ends.
	 */
	batch(statements: Statement[], opts?: TransactionOptions): Promise<unknown[][]>;
	exec(script: string): Promise<void>;
	/** NOTIFY on a channel (PostgREST's `notify pgrst, 'reload schema'`); PGlite has no other writer. */
	listen(channel: string, handler: (payload: string) => void): Promise<void>;
	/** Called after the bootstrap: switch API transactions to the authenticator login if possible. */
	enableApiLogin(password: string): Promise<boolean>;
	close(): Promise<void>;
};

export type BackendOptions =
	{ kind: 'pglite'; dataDir?: string } | { kind: 'postgres'; url: string };

export async function openBackend(options: BackendOptions): Promise<Backend> {
	return options.kind === 'pglite' ? openPglite(options.dataDir) : openPostgres(options.url);
}

/** The authenticator password is derived from the JWT secret, so every stand-in sharing a
 * cluster (tests bootstrap several databases of one server) sets the same value. */
export function authenticatorPassword(jwtSecret: string): string {
	return createHmac('sha256', jwtSecret).update('standin-authenticator').digest('hex').slice(0, 32);
}

/** A FIFO lock: PGlite has one connection, so a transaction must never interleave with another. */
function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
	let tail: Promise<unknown> = Promise.resolve();
	return <T>(fn: () => Promise<T>): Promise<T> => {
		const run = tail.then(fn, fn);
		tail = run.catch(() => undefined);
		return run;
	};
}

async function openPglite(dataDir: string | undefined): Promise<Backend> {
	const { PGlite } = await import('@electric-sql/pglite');
	const { pgcrypto } = await import('@electric-sql/pglite/contrib/pgcrypto');
	const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { pgcrypto } });
	const exclusive = createMutex();
	let closed = false;
	const transaction: Backend['transaction'] = (fn, opts) =>
		exclusive(() =>
			db.transaction(async (ptx) => {
				const tx: Tx = {
					async query<R>(sql: string, params: QueryParam[] = []) {
						const result = await ptx.query<R>(sql, params);
						return result.rows;
					},
					async exec(script: string) {
						await ptx.exec(script);
					}
				};
				if (opts?.readOnly) await ptx.query('set transaction read only');
				return fn(tx);
			})
		);
	return {
		kind: 'pglite',
		transaction,
		batch(statements, opts) {
			return transaction(async (tx) => {
				const results: unknown[][] = [];
				for (const statement of statements) {
					results.push(await tx.query(statement.sql, statement.params ?? []));
				}
				return results;
			}, opts);
		},
		exec(script) {
			return exclusive(async () => {
				await db.exec(script);
			});
		},
		async listen() {
			// Only this process writes to an embedded database, and migrate() refreshes the catalogue.
		},
		async enableApiLogin() {
			return false;
		},
		async close() {
			if (closed) return;
			closed = true;
			await exclusive(() => db.close());
		}
	};
}

const TEXT_OID = 25;

/**
 * `$n` placeholders replaced by the parameters as escaped string literals typed text, like a
 * parameter bound as text (E'…', so the result does not depend on standard_conforming_strings).
 * For the stand-in's own statement texts only: double-quoted identifiers and plain '…' literals
 * are skipped; they contain no E'…' strings and no dollar quoting.
 */
export function inlineParams(sql: string, params: QueryParam[]): string {
	let out = '';
	let i = 0;
	while (i < sql.length) {
		const ch = sql[i]!;
		if (ch === '"' || ch === "'") {
			// A quoted identifier or literal: copied as is (a doubled quote stays inside).
			let j = i + 1;
			while (j < sql.length) {
				if (sql[j] === ch) {
					if (sql[j + 1] === ch) j += 2;
					else break;
				} else j++;
			}
			out += sql.slice(i, j + 1);
			i = j + 1;
			continue;
		}
		const placeholder = ch === '$' ? /^\$(\d+)/.exec(sql.slice(i)) : null;
		if (placeholder) {
			const index = Number(placeholder[1]) - 1;
			if (index < 0 || index >= params.length) {
				throw new Error(`inlineParams: no parameter ${placeholder[0]}`);
			}
			out += literal(params[index] ?? null);
			i += placeholder[0].length;
			continue;
		}
		out += ch;
		i++;
	}
	return out;
}

function literal(value: string | null): string {
	if (value === null) return 'null::text';
	if (value.includes('\0')) throw new Error('inlineParams: a parameter contains a NUL character');
	return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'::text`;
}

async function openPostgres(url: string): Promise<Backend> {
	const { default: postgres } = await import('postgres');
	type Sql = ReturnType<typeof postgres>;
	const connect = (connectionUrl: string, max: number): Sql =>
		postgres(connectionUrl, {
			max,
			// Statement texts vary with the argument names; unnamed statements avoid stale plans
			// after a migration replaces a function.
			prepare: false,
			onnotice: () => undefined,
			connection: { application_name: 'union-standin' }
		});
	const admin = connect(url, 5);
	let api: Sql | undefined;

	const run = async <T>(sql: Sql, fn: (tx: Tx) => Promise<T>, readOnly: boolean): Promise<T> => {
		const result = await sql.begin(readOnly ? 'read only' : 'read write', async (ptx) => {
			const tx: Tx = {
				async query<R>(text: string, params: QueryParam[] = []) {
					// Every parameter is bound as text (oid 25) and cast in SQL. Left to infer, the server
					// types `$1::boolean` as boolean and postgres.js then serialises the string 'true' as
					// false, and a string bound to json/jsonb gets JSON-encoded a second time.
					const bound = params.map((value) => (value === null ? null : ptx.typed(value, TEXT_OID)));
					const rows = await ptx.unsafe(text, bound);
					return rows as unknown as R[];
				},
				async exec(script: string) {
					await ptx.unsafe(script);
				}
			};
			return fn(tx);
		});
		return result as T;
	};

	return {
		kind: 'postgres',
		transaction(fn, opts) {
			const sql = opts?.api && api ? api : admin;
			return run(sql, fn, opts?.readOnly ?? false);
		},
		async batch(statements, opts) {
			const sql = opts?.api && api ? api : admin;
			const text = [
				...(opts?.readOnly ? ['set transaction read only'] : []),
				...statements.map((statement) => inlineParams(statement.sql, statement.params ?? []))
			].join(';\n');
			// A multi-statement simple query is one implicit transaction: committed after the last
			// statement, rolled back entirely when one fails.
			const results = (await sql.unsafe(text).simple()) as unknown as unknown[];
			const count = statements.length + (opts?.readOnly ? 1 : 0);
			const all = (count === 1 ? [results] : results) as unknown[][];
			return all.slice(opts?.readOnly ? 1 : 0).map((rows) => [...rows]);
		},
		async exec(script) {
			await admin.unsafe(script);
		},
		async listen(channel, handler) {
			await admin.listen(channel, (payload) => handler(payload));
		},
		async enableApiLogin(password) {
			if (api) return true;
			const apiUrl = new URL(url);
			apiUrl.username = 'authenticator';
			apiUrl.password = password;
			const candidate = connect(apiUrl.toString(), 10);
			try {
				await candidate`select 1`;
				api = candidate;
				return true;
			} catch (error) {
				console.warn(
					'[standin] cannot log in as authenticator; API calls use the admin connection with ' +
						'`set local role` instead:',
					error instanceof Error ? error.message : error
				);
				await candidate.end({ timeout: 1 }).catch(() => undefined);
				return false;
			}
		},
		async close() {
			await Promise.all([
				admin.end({ timeout: 2 }),
				api ? api.end({ timeout: 2 }) : Promise.resolve()
			]);
		}
	};
}
