// Vitest: five projects sharing one Vite server built from vite.config.ts (SvelteKit plugin, so
// `.svelte.ts` rune modules compile and `#lib/*` resolves through package.json "imports").
//   unit      src/**/*.test.ts                 pure logic, fast
//   offline   tests/offline/**/*.test.ts       the offline engine on fake-indexeddb (+ a stand-in)
//   standin   tests/standin/**/*.test.ts       the local Supabase stand-in over HTTP
//   database  supabase/tests/**/*.test.ts      migrations and RLS on PGlite, and on PostgreSQL when
//                                              UNION_TEST_PG_URL is set (npm test sets it)
//   security  tests/security/**/*.test.ts      abuse/fault catalogues, function sweep, fuzzing, headers
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';

// Annotated (not asserted): svelte-check infers vite.config.ts's export more widely than tsc does.
const base: ViteUserConfig = viteConfig;

export default mergeConfig(
	base,
	defineConfig({
		test: {
			// Two cores: at most two test files at once (PGlite cold starts are CPU-bound).
			maxWorkers: 2,
			passWithNoTests: true,
			clearMocks: true,
			restoreMocks: true,
			unstubEnvs: true,
			// Stand-ins and PGlite instances close in afterAll hooks.
			teardownTimeout: 30_000,
			projects: [
				{
					extends: true,
					test: {
						name: 'unit',
						environment: 'node',
						include: ['src/**/*.test.ts'],
						testTimeout: 10_000
					}
				},
				{
					extends: true,
					test: {
						name: 'offline',
						environment: 'node',
						include: ['tests/offline/**/*.test.ts'],
						// A fresh in-memory IndexedDB (fake-indexeddb) for the offline engine.
						setupFiles: ['fake-indexeddb/auto'],
						testTimeout: 30_000,
						hookTimeout: 60_000
					}
				},
				{
					extends: true,
					test: {
						name: 'standin',
						environment: 'node',
						include: ['tests/standin/**/*.test.ts'],
						testTimeout: 30_000,
						hookTimeout: 60_000
					}
				},
				{
					extends: true,
					test: {
						name: 'database',
						environment: 'node',
						include: ['supabase/tests/**/*.test.ts'],
						// PGlite starts cold in 3–6 s per instance; PostgreSQL setup is faster but
						// migrations run per file.
						testTimeout: 60_000,
						hookTimeout: 120_000
					}
				},
				{
					extends: true,
					test: {
						// The abuse and fault catalogues over HTTP, the function sweep, fuzzing and
						// headers (tests/security/catalogue.ts lists every case and where it is tested).
						name: 'security',
						environment: 'node',
						include: ['tests/security/**/*.test.ts'],
						testTimeout: 60_000,
						hookTimeout: 120_000
					}
				}
			]
		}
	})
);
