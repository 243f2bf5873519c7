import type { UnionClient, UnionDatabase } from './client.ts';
import { AppError, fromPostgrestError } from './errors.ts';

type Functions = UnionDatabase['public']['Functions'];

/** The database functions the API exposes, by name. */
export type RpcName = Extract<keyof Functions, string>;
export type RpcArgs<F extends RpcName> = Functions[F]['Args'];

/**
 * Calls a database function (POST, the supabase-js default) and returns its raw JSON, or throws
 * an AppError with a user-facing kind. The answer stays `unknown` for the caller to parse.
 */
export async function callRpc<F extends RpcName>(
	client: UnionClient,
	fn: F,
	...rest: RpcArgs<F> extends Record<PropertyKey, never> ? [] : [args: RpcArgs<F>]
): Promise<unknown> {
	const [args] = rest;
	let response;
	try {
		response = await client.rest.rpc(fn, args);
	} catch (error) {
		// postgrest-js normally reports failures in `error`; a throw here is a fetch that never ran.
		throw new AppError('network', String(error));
	}
	const { data, error, status } = response;
	if (error !== null) {
		console.warn(`rpc ${fn} failed`, status, error);
		throw fromPostgrestError(error, status);
	}
	return data;
}

/** A function's arguments where any may be null: SQL takes null for every argument, and the
 * generated types cannot say which ones mean something by it. */
export type NullableRpcArgs<F extends RpcName> = {
	[K in keyof RpcArgs<F>]: RpcArgs<F>[K] | null;
};

/** callRpc for a call that passes null for an argument (e.g. no capacity, the whole period). */
export function callRpcWithNulls<F extends RpcName>(
	client: UnionClient,
	fn: F,
	args: NullableRpcArgs<F>
): Promise<unknown> {
	return (callRpc as (client: UnionClient, fn: F, args: unknown) => Promise<unknown>)(
		client,
		fn,
		args
	);
}
