// One strict parser per answer: each read function's answer is checked against its zod schema
// here, so a missing or renamed column is a clear 'bad_response' (the error banner's "the server's
// answer could not be read") and never an empty string or a zero on screen or in an export.
// Kept apart from parse.ts so the first-load pages, which use parse.ts's small readers, don't
// carry zod.
import { z } from '#lib/domain/zod.ts';
import { AppError } from './errors.ts';

export { z };

/** The answer as `schema` reads it, or an AppError('bad_response') naming what and where. */
export function parseAnswer<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
	const parsed = schema.safeParse(value);
	if (!parsed.success) {
		const where = parsed.error.issues
			.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`)
			.slice(0, 3)
			.join('; ');
		throw new AppError('bad_response', `${what}: ${where}`);
	}
	return parsed.data;
}

/** A count: a whole number, never absent. */
export const count = z.int();
/** A count the server may leave out as null (no data for that figure). */
export const nullableCount = z.nullable(count);
/** A rate or ratio (numeric in SQL, a JSON number). */
export const nullableRate = z.nullable(z.number());
