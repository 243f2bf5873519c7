// Database back ends: embedded PGlite (default) or a real PostgreSQL server through postgres.js.
import { createHmac } from 'node:crypto';

export type QueryParam = string | null;

export type Tx = {
	/** One statement with `$n` parameters. Bind text only and cast in SQL (`$1::uuid`). */
	query<R = Record<string, unknown>>(sql: string, params?: QueryParam[]): Promise<R[]>;
	/** A multi-statement script without parameters (migrations, seed). */
	exec(script: string): Promise<void>;
};

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
	return {
		kind: 'pglite',
		transaction(fn, opts) {
			return exclusive(() =>
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
