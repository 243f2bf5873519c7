import { AppError } from './errors.ts';

// Small readers for RPC answers. The server is trusted but versions drift: a wrong shape becomes
// a clear 'bad_response' error here instead of `undefined` deep inside a component.

export type JsonObject = Record<string, unknown>;

function fail(what: string): never {
	throw new AppError('bad_response', what);
}

export function asObject(value: unknown, what: string): JsonObject {
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		fail(`${what}: not an object`);
	return value as JsonObject;
}

export function asArray(value: unknown, what: string): unknown[] {
	if (!Array.isArray(value)) fail(`${what}: not an array`);
	return value;
}

export function readString(object: JsonObject, key: string): string {
	const value = object[key];
	if (typeof value !== 'string') fail(`${key}: not a string`);
	return value;
}

/**
 * The value under `key`, which must be there: a column the server sends as null is answered
 * with the key and null, so a missing key is a renamed or dropped column, never "no value".
 */
export function readPresent(object: JsonObject, key: string): unknown {
	if (!Object.hasOwn(object, key)) fail(`${key}: missing`);
	return object[key];
}

export function readNullableString(object: JsonObject, key: string): string | null {
	const value = readPresent(object, key);
	if (value === null) return null;
	if (typeof value !== 'string') fail(`${key}: not a string`);
	return value;
}

/** For authored JSON (a question's label), where a key may be left out; not for columns. */
export function readOptionalString(object: JsonObject, key: string): string | null {
	return object[key] === undefined ? null : readNullableString(object, key);
}

export function readInteger(object: JsonObject, key: string): number {
	const value = object[key];
	if (typeof value !== 'number' || !Number.isInteger(value)) fail(`${key}: not an integer`);
	return value;
}

export function readNullableInteger(object: JsonObject, key: string): number | null {
	const value = readPresent(object, key);
	if (value === null) return null;
	return readInteger(object, key);
}

/** For authored JSON (a question's bounds), where a key may be left out; not for columns. */
export function readOptionalInteger(object: JsonObject, key: string): number | null {
	return object[key] === undefined ? null : readNullableInteger(object, key);
}

export function readBoolean(object: JsonObject, key: string): boolean {
	const value = object[key];
	if (typeof value !== 'boolean') fail(`${key}: not a boolean`);
	return value;
}

export function readDate(object: JsonObject, key: string): Date {
	const date = new Date(readString(object, key));
	if (Number.isNaN(date.getTime())) fail(`${key}: not a timestamp`);
	return date;
}

export function readNullableDate(object: JsonObject, key: string): Date | null {
	return readNullableString(object, key) === null ? null : readDate(object, key);
}

export function readEnum<T extends string>(
	object: JsonObject,
	key: string,
	allowed: readonly T[]
): T {
	const value = readString(object, key);
	if (!(allowed as readonly string[]).includes(value)) fail(`${key}: unexpected value ${value}`);
	return value as T;
}

export function readNullableEnum<T extends string>(
	object: JsonObject,
	key: string,
	allowed: readonly T[]
): T | null {
	return readNullableString(object, key) === null ? null : readEnum(object, key, allowed);
}
