// Calls of the office screens into the database functions of the office migrations. Until the
// generated `database.types.ts` lists them, they are called by name here with the same error
// mapping as `callRpc` (server refusals in the user's language, no SQL text on screen); every
// answer is parsed at run time, as everywhere in the app.
import type { UnionClient } from '#lib/data/client.ts';
import { AppError, fromPostgrestError, type PostgrestErrorLike } from '#lib/data/errors.ts';

interface RpcResponse {
	data: unknown;
	error: PostgrestErrorLike | null;
	status: number;
}

type UntypedRpc = (fn: string, args?: Record<string, unknown>) => PromiseLike<RpcResponse>;

export async function officeRpc(
	client: UnionClient,
	fn: string,
	args: Record<string, unknown> = {}
): Promise<unknown> {
	let response: RpcResponse;
	try {
		response = await (client.rest as unknown as { rpc: UntypedRpc }).rpc(fn, args);
	} catch (error) {
		throw new AppError('network', String(error));
	}
	if (response.error !== null) {
		console.warn(`rpc ${fn} failed`, response.status, response.error);
		throw fromPostgrestError(response.error, response.status);
	}
	return response.data;
}

export type Row = Record<string, unknown>;

export function rows(value: unknown): Row[] {
	if (!Array.isArray(value)) {
		if (value !== null && typeof value === 'object') {
			// Some functions answer {rows: [...]} or {items: [...]}.
			const object = value as Row;
			for (const key of ['rows', 'items', 'data']) {
				if (Array.isArray(object[key])) return object[key] as Row[];
			}
		}
		throw new AppError('bad_response', 'not a list');
	}
	return value.filter((item): item is Row => item !== null && typeof item === 'object');
}

export function str(row: Row, key: string, fallback = ''): string {
	const value = row[key];
	return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}

export function strOrNull(row: Row, key: string): string | null {
	const value = row[key];
	return typeof value === 'string' ? value : null;
}

export function num(row: Row, key: string): number {
	const value = row[key];
	const parsed = typeof value === 'string' ? Number(value) : value;
	return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : 0;
}

export function numOrNull(row: Row, key: string): number | null {
	const value = row[key];
	if (value === null || value === undefined || value === '') return null;
	const parsed = typeof value === 'string' ? Number(value) : value;
	return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : null;
}

export function bool(row: Row, key: string): boolean {
	return row[key] === true;
}
