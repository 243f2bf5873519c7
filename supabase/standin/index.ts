// The local Supabase stand-in: PostgREST-style RPC, GoTrue-style auth and a dev mailbox over
// PGlite or PostgreSQL. See server.ts for the options.
export { startStandIn } from './server.ts';
export type { StandIn, StandInOptions } from './server.ts';
export type { Backend, BackendOptions } from './backend.ts';
export { openBackend } from './backend.ts';
export { migrate } from './migrate.ts';
export { DEFAULT_JWT_SECRET, apiKeys, signJwt, verifyJwt } from './keys.ts';
