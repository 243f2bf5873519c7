import type { UnionClient } from './client.ts';
import { AppError, fromPostgrestError } from './errors.ts';

/**
 * Calls a database function (POST, the supabase-js default) and returns its raw JSON, or throws
 * an AppError with a user-facing kind.
 */
export async function callRpc(
	client: UnionClient,
	fn: string,
	args: Record<string, unknown> = {}
): Promise<unknown> {
	let response;
	try {
		response = await client.rpc(fn, args);
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
