// PostgREST's schema cache, reduced to what RPC needs: the functions of schema public and the
// per-role settings (statement_timeout) that PostgREST applies when it impersonates a role.
import type { Backend } from './backend.ts';

export type FunctionArg = { name: string; type: string; hasDefault: boolean };

export type RpcFunction = {
	name: string;
	/** 'i' immutable, 's' stable, 'v' volatile. */
	volatility: 'i' | 's' | 'v';
	returnsSet: boolean;
	/** composite: rows become objects (composite types, OUT and TABLE parameters). */
	shape: 'void' | 'scalar' | 'composite';
	args: FunctionArg[];
	/** One unnamed json/jsonb parameter: it receives the whole request body. */
	singleUnnamedJson: boolean;
	signature: string;
};

export type Catalog = {
	functions(name: string): Promise<RpcFunction[]>;
	roleSettings(role: string): Promise<Array<[string, string]>>;
	/** Reloads now (after migrations, or when a miss suggests the cache is stale). */
	refresh(): Promise<void>;
	/** Reloads unless that happened very recently: the cost of a miss stays bounded. */
	refreshIfStale(): Promise<boolean>;
};

type Loaded = {
	functions: Map<string, RpcFunction[]>;
	roleSettings: Map<string, Array<[string, string]>>;
	at: number;
};

type ProcRow = {
	name: string;
	volatility: 'i' | 's' | 'v';
	returns_set: boolean;
	return_type: string;
	composite_return: boolean;
	ndefaults: number;
	arg_names: string[] | null;
	arg_modes: string[] | null;
	arg_types: string[];
	signature: string;
};

const FUNCTIONS_SQL = `
select coalesce(json_agg(json_build_object(
	'name', p.proname,
	'volatility', p.provolatile,
	'returns_set', p.proretset,
	'return_type', format_type(p.prorettype, null),
	'composite_return', rt.typtype = 'c' or p.prorettype = 'record'::regtype,
	'ndefaults', p.pronargdefaults,
	'arg_names', p.proargnames,
	'arg_modes', p.proargmodes::text[],
	'arg_types', array(
		select format_type(u.t, null)
		from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as u(t, i)
		order by u.i
	),
	'signature', p.oid::regprocedure::text
)), '[]')::text as list
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
where n.nspname = 'public' and p.prokind = 'f'`;

const ROLE_SETTINGS_SQL = `
select coalesce(json_agg(json_build_object('role', r.rolname, 'config', s.setconfig)
	order by s.setdatabase), '[]')::text as list
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
	and r.rolname in ('anon', 'authenticated', 'service_role')`;

/** Settings worth copying into an impersonated transaction; others may need superuser. */
const APPLIED_SETTINGS = new Set([
	'statement_timeout',
	'lock_timeout',
	'idle_in_transaction_session_timeout'
]);

export function createCatalog(backend: Backend): Catalog {
	let loaded: Loaded | undefined;
	let loading: Promise<Loaded> | undefined;

	const load = async (): Promise<Loaded> => {
		const [procs, settings] = await backend.transaction(async (tx) => {
			const [p] = await tx.query<{ list: string }>(FUNCTIONS_SQL);
			const [s] = await tx.query<{ list: string }>(ROLE_SETTINGS_SQL);
			return [p?.list ?? '[]', s?.list ?? '[]'];
		});
		const functions = new Map<string, RpcFunction[]>();
		for (const row of JSON.parse(procs) as ProcRow[]) {
			const fn = toRpcFunction(row);
			functions.set(fn.name, [...(functions.get(fn.name) ?? []), fn]);
		}
		const roleSettings = new Map<string, Array<[string, string]>>();
		for (const row of JSON.parse(settings) as Array<{ role: string; config: string[] | null }>) {
			const current = new Map(roleSettings.get(row.role) ?? []);
			for (const entry of row.config ?? []) {
				const eq = entry.indexOf('=');
				const key = entry.slice(0, eq);
				if (eq > 0 && APPLIED_SETTINGS.has(key)) current.set(key, entry.slice(eq + 1));
			}
			roleSettings.set(row.role, [...current]);
		}
		return { functions, roleSettings, at: Date.now() };
	};

	const current = async (): Promise<Loaded> => {
		if (loaded) return loaded;
		return refreshNow();
	};

	const refreshNow = async (): Promise<Loaded> => {
		loading ??= load().finally(() => {
			loading = undefined;
		});
		loaded = await loading;
		return loaded;
	};

	return {
		async functions(name) {
			return (await current()).functions.get(name) ?? [];
		},
		async roleSettings(role) {
			return (await current()).roleSettings.get(role) ?? [];
		},
		async refresh() {
			await refreshNow();
		},
		async refreshIfStale() {
			if (loaded && Date.now() - loaded.at < 1000) return false;
			await refreshNow();
			return true;
		}
	};
}

function toRpcFunction(row: ProcRow): RpcFunction {
	const names = row.arg_names ?? [];
	const modes = row.arg_modes ?? row.arg_types.map(() => 'i');
	const inputs: Array<{ name: string; type: string }> = [];
	let hasOutArgs = false;
	for (const [i, type] of row.arg_types.entries()) {
		const mode = modes[i] ?? 'i';
		if (mode === 'o' || mode === 'b' || mode === 't') hasOutArgs = true;
		if (mode === 'i' || mode === 'b' || mode === 'v') inputs.push({ name: names[i] ?? '', type });
	}
	// Defaults belong to the last pronargdefaults input parameters.
	const firstDefault = inputs.length - row.ndefaults;
	const args = inputs.map((arg, i) => ({ ...arg, hasDefault: i >= firstDefault }));
	const only = args[0];
	const shape =
		row.return_type === 'void' && !hasOutArgs
			? 'void'
			: row.composite_return || hasOutArgs
				? 'composite'
				: 'scalar';
	return {
		name: row.name,
		volatility: row.volatility,
		returnsSet: row.returns_set,
		shape,
		args,
		singleUnnamedJson:
			args.length === 1 && only?.name === '' && (only.type === 'json' || only.type === 'jsonb'),
		signature: row.signature
	};
}
