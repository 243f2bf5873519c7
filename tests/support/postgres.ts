// The real-PostgreSQL lane for tests. `npm test` (and CI) start a throwaway PostgreSQL server and
// set UNION_TEST_PG_URL to a superuser URL on it; without it the lane is off, and suites list
// the PostgreSQL lane only when it is on (no skipped tests).
import {
	createFreshDatabase as createOnServer,
	type FreshDatabase
} from '../../scripts/lib/postgres.ts';

export type { FreshDatabase };

/** The admin URL of the PostgreSQL lane's server, or undefined when the lane is off. */
export function postgresLaneUrl(): string | undefined {
	const url = process.env.UNION_TEST_PG_URL?.trim();
	if (!url) return undefined;
	return url;
}

/**
 * A new empty database on the server `adminUrl` points at: `{ url, name, drop() }`. Call drop() in
 * afterAll; it disconnects any session still open (`drop database … with (force)`).
 */
export function createFreshDatabase(
	adminUrl: string,
	prefix = 'union_test'
): Promise<FreshDatabase> {
	return createOnServer(adminUrl, prefix);
}
