// The office pages' write calls that pass a null argument (a role for the whole union, a roster
// that is not full): the generated types name every function but cannot say that an argument
// may be null. The function name is still checked against `database.types.ts`, and the call
// takes callRpc's one path (error mapping, no SQL text on screen). Reads parse their answers
// with the schemas in office.ts, reports.ts and roster.ts.
import type { UnionClient } from '#lib/data/client.ts';
import { callRpc, type RpcName } from './rpc.ts';

type NullableArgsRpc = (
	client: UnionClient,
	fn: RpcName,
	args: Record<string, unknown>
) => Promise<unknown>;

export function officeRpc(
	client: UnionClient,
	fn: RpcName,
	args: Record<string, unknown> = {}
): Promise<unknown> {
	return (callRpc as NullableArgsRpc)(client, fn, args);
}
