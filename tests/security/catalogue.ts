// The single source of the security summary: every case of the abuse catalogue (A1–G4) and of
// the fault catalogue (T01–T46), both described in docs/decisions.md §10, with where it is tested or why it is not. `npm test` prints it
// (scripts/security-summary.ts); tests/security/catalogue.test.ts checks that every `automated`
// id is a test-title prefix somewhere and every `referenced` test exists, so the table cannot lie.

export type CaseStatus = 'automated' | 'referenced' | 'not applicable' | 'not yet';

export interface Where {
	/** Repository-relative test file. */
	file: string;
	/** The test's title (or a unique part of it). */
	test: string;
}

export interface CatalogueCase {
	id: string;
	title: string;
	status: CaseStatus;
	where?: Where[];
	/** Why not applicable / not yet, or a note on how it is covered. */
	why?: string;
}

const ABUSE = 'tests/security/abuse.test.ts';
const SWEEP = 'tests/security/sweep.test.ts';
const HEADERS = 'tests/security/headers.test.ts';
const CHECKIN = 'supabase/tests/05-checkin.test.ts';
const SIGNUP = 'supabase/tests/03-signup.test.ts';
const ACCESS = 'supabase/tests/01-access.test.ts';
const APPLY = 'supabase/tests/04-apply-actions.test.ts';
const OUTBOX = 'tests/offline/outbox.test.ts';
const OFFLINE_STANDIN = 'tests/offline/standin.test.ts';
const E2E_OFFLINE = 'tests/e2e/offline.test.ts';
const E2E_SCANNER = 'tests/e2e/scanner.test.ts';
const OUTBOX_PROPERTY = 'src/lib/domain/outbox.property.test.ts';
const CSV_PROPERTY = 'src/lib/domain/csv.property.test.ts';
const CHECKIN_DOMAIN = 'src/lib/domain/checkin.test.ts';
const LIAISON = 'supabase/tests/10-liaison.test.ts';
const E2E_LIAISON = 'tests/e2e/liaison.test.ts';
const BEHALF_WORDS = 'src/lib/components/office/behalf-result.test.ts';
const STANDIN_AUTH = 'tests/standin/auth.test.ts';
const STANDIN_ROSTER = 'tests/standin/roster.test.ts';
const STANDIN_LIMITS = 'tests/standin/limits.test.ts';
const STANDIN_GATEWAY = 'tests/standin/gateway.test.ts';
const OFFICE_DB = 'supabase/tests/08-office.test.ts';
const E2E_OFFICE = 'tests/e2e/office.test.ts';
const ERRORS_UNIT = 'src/lib/data/errors.test.ts';
const ACTIVITY_FORM_UNIT = 'src/lib/components/office/activity-form.test.ts';
const UPLOAD_STATE_UNIT = 'src/lib/scanner/upload-state.test.ts';
const CLASSIFY = 'src/lib/domain/outbox-classify.test.ts';
const CLIENT = 'src/lib/data/client.test.ts';
const LAZY_AUTH = 'src/lib/data/lazy-auth.test.ts';

const at = (file: string, test: string): Where => ({ file, test });

export const CATALOGUE: CatalogueCase[] = [
	// ------------------------------------------------------------------ A. QR token and check-in
	{
		id: 'A1',
		title: 'Forged QR',
		status: 'automated',
		where: [at(ABUSE, 'A1 ')],
		why: 'also SQL: 05-checkin A1'
	},
	{
		id: 'A2',
		title: 'Tampered signed token',
		status: 'automated',
		where: [at(ABUSE, 'A2 ')],
		why: 'tickets are random secrets (144 bits), not signed tokens: a changed byte makes an unknown ticket'
	},
	{
		id: 'A3',
		title: 'Token signed with another key, alg:none',
		status: 'not applicable',
		why: 'tickets are random secrets, nothing is signed; (access tokens: tests/standin/keys.test.ts refuses alg none and HS512)'
	},
	{ id: 'A4', title: 'QR for another event', status: 'automated', where: [at(ABUSE, 'A4 ')] },
	{
		id: 'A5',
		title: 'Replayed check-in, new nonce',
		status: 'automated',
		where: [at(ABUSE, 'A5 ')]
	},
	{
		id: 'A6',
		title: 'Same offline scan uploaded twice',
		status: 'automated',
		where: [at(ABUSE, 'A6 ')]
	},
	{
		id: 'A7',
		title: 'Two stations at once (20 parallel)',
		status: 'automated',
		where: [at(ABUSE, 'A7 ')]
	},
	{
		id: 'A8',
		title: 'Revoked token',
		status: 'automated',
		where: [at(ABUSE, 'A8 ')],
		why: 'design: an offline scan is a fact, so a cancelled ticket is recorded flagged for the office to review (docs/decisions.md §6)'
	},
	{
		id: 'A9',
		title: 'Waitlisted/unapproved/cancelled scanned',
		status: 'referenced',
		where: [at(CHECKIN, 'A9 waitlisted, pending and rejected registrations are not admitted')]
	},
	{
		id: 'A10',
		title: 'Check-in by registration id',
		status: 'referenced',
		where: [at(CHECKIN, 'A10 a registration id in place of the secret is not a ticket')]
	},
	{
		id: 'A11',
		title: 'Enumeration / brute force',
		status: 'automated',
		where: [at(ABUSE, 'A11 ')],
		why: 'no rate limit in the stand-in (Supabase/PostgREST deployments rate-limit at the gateway)'
	},
	{
		id: 'A12',
		title: 'Attendee calls check_in',
		status: 'automated',
		where: [at(ABUSE, 'A12 A13 '), at(SWEEP, 'B3 A12 A13 B7 ')]
	},
	{
		id: 'A13',
		title: 'Staff of A checks in at B',
		status: 'automated',
		where: [at(ABUSE, 'A12 A13 '), at(SWEEP, 'B3 A12 A13 B7 ')]
	},
	{
		id: 'A14',
		title: 'force/override by ordinary staff',
		status: 'referenced',
		where: [at(CHECKIN, 'A14 only organizers accept an unknown ticket provisionally')]
	},
	{
		id: 'A15',
		title: 'Special characters in the token',
		status: 'referenced',
		where: [
			at(CHECKIN, 'A15 a ticket URL, spaces and a newline from the scanner are canonicalised once')
		]
	},
	// -------------------------------------------------------------- B. Authorization, RLS, REST
	{
		id: 'B1',
		title: 'Employee reads others’ registrations',
		status: 'automated',
		where: [at(ABUSE, 'B1 ')]
	},
	{ id: 'B2', title: 'Embedding / view / RPC', status: 'automated', where: [at(ABUSE, 'B2 ')] },
	{
		id: 'B3',
		title: 'Anon sweep',
		status: 'automated',
		where: [at(ABUSE, 'B3 '), at(SWEEP, 'B3 A12 A13 B7 ')]
	},
	{ id: 'B4', title: 'PATCH own registration', status: 'automated', where: [at(ABUSE, 'B4 B5 ')] },
	{
		id: 'B5',
		title: 'INSERT with another user_id',
		status: 'automated',
		where: [at(ABUSE, 'B4 B5 '), at(ACCESS, 'no caller writes a table directly')]
	},
	{ id: 'B6', title: 'updateUser role metadata', status: 'automated', where: [at(ABUSE, 'B6 ')] },
	{
		id: 'B7',
		title: 'Organizer of A reads/exports B',
		status: 'automated',
		where: [at(ABUSE, 'B7 '), at(SWEEP, 'B3 A12 A13 B7 ')],
		why: 'exports: the report functions are covered by the sweep as they land'
	},
	{
		id: 'B8',
		title: 'Organizer removed mid-event',
		status: 'automated',
		where: [at(ABUSE, 'B8 ')]
	},
	{
		id: 'B9',
		title: 'Definer drift / search_path',
		status: 'automated',
		where: [at(ABUSE, 'B9 ')],
		why: 'and `supabase db advisors` in CI (.ci/run; findings explained in supabase/README.md)'
	},
	{
		id: 'B10',
		title: 'Secret key in the bundle',
		status: 'automated',
		where: [at(HEADERS, 'B10 ')],
		why: 'src/ and static/ in Vitest; build/ right after `vite build` by scripts/security-summary.ts in npm test'
	},
	{
		id: 'B11',
		title: 'Protected page without server load',
		status: 'not applicable',
		why: 'static SPA: no server load functions or hooks; every read is an RPC checked in the database (B1, B3)'
	},
	{
		id: 'B12',
		title: 'Shared module state on the server',
		status: 'not applicable',
		why: 'no SvelteKit server code; the stand-in’s per-request identity is tested in tests/standin/isolation.test.ts (600 interleaved calls)'
	},
	// ---------------------------------------------------------- C. Input, injection, encoding
	{
		id: 'C1',
		title: 'PostgREST filter injection',
		status: 'automated',
		where: [at(ABUSE, 'C1 C3 ')],
		why: 'tables are not exposed and RPC takes no filters'
	},
	{ id: 'C2', title: 'SQL-ish strings', status: 'automated', where: [at(ABUSE, 'C2 ')] },
	{ id: 'C3', title: 'ILIKE wildcards', status: 'automated', where: [at(ABUSE, 'C1 C3 ')] },
	{
		id: 'C4',
		title: 'Extra keys, __proto__',
		status: 'automated',
		where: [at(ABUSE, 'C4 '), at(SWEEP, 'C5 C6 C7 G3 ')]
	},
	{ id: 'C5', title: 'Type confusion', status: 'automated', where: [at(SWEEP, 'C5 C6 C7 G3 ')] },
	{
		id: 'C6',
		title: 'Oversized payloads',
		status: 'automated',
		where: [at(SWEEP, 'C5 C6 C7 G3 ')],
		why: 'bodies over 1 MiB: 413 (tests/standin/rpc.test.ts)'
	},
	{
		id: 'C7',
		title: 'Malformed UTF-8, lone surrogates, \\u0000',
		status: 'automated',
		where: [at(SWEEP, 'C5 C6 C7 G3 ')]
	},
	{
		id: 'C8',
		title: 'Unicode tricks (RTL, NFC/NFD, homoglyphs)',
		status: 'not yet',
		why: 'emails are folded (src/lib/domain/email.ts) and keys are ASCII (工号), but names are stored verbatim, not NFC-normalised'
	},
	{ id: 'C9', title: 'Stored XSS', status: 'automated', where: [at(HEADERS, 'C9 ')] },
	{
		id: 'C10',
		title: 'Open redirect via auth `next`',
		status: 'not applicable',
		why: 'sign-in is an emailed code typed into the app; there is no confirm route or redirect parameter'
	},
	// ------------------------------------------------------- D. Concurrency and business logic
	{
		id: 'D1',
		title: 'Capacity race for the last seat',
		status: 'automated',
		where: [at(ABUSE, 'D1 '), at(SIGNUP, '50 concurrent sign-ups for the last seat')]
	},
	{ id: 'D2', title: 'Double tap', status: 'automated', where: [at(ABUSE, 'D2 ')] },
	{
		id: 'D3',
		title: 'Cancel and re-signup during promotion',
		status: 'referenced',
		where: [at(SIGNUP, 'concurrent cancels promote each waitlisted person exactly once')]
	},
	{
		id: 'D4',
		title: 'Before opening / after deadline / cancelled',
		status: 'referenced',
		where: [
			at(SIGNUP, 'the signup window is judged on server time'),
			at(SIGNUP, 'cancelled, closed and draft activities refuse sign-up with their own reasons')
		]
	},
	{ id: 'D5', title: 'Step skipping', status: 'automated', where: [at(ABUSE, 'D5 ')] },
	{
		id: 'D6',
		title: 'Capacity lowered below registered',
		status: 'automated',
		where: [at(ABUSE, 'D6 ')]
	},
	// ---------------------------------------------------------------- E. Offline queue and PWA
	{
		id: 'E1',
		title: 'Replay after JWT expiry',
		status: 'automated',
		where: [at(ABUSE, 'E1 ')],
		why: 'client side: T05, T40a, T40b'
	},
	{
		id: 'E2',
		title: 'Replay gets a 4xx business error',
		status: 'referenced',
		where: [at(OUTBOX, 'T08 a rejected action is kept with its code')]
	},
	{
		id: 'E3',
		title: 'Response lost after commit',
		status: 'automated',
		where: [at(ABUSE, 'A6 E3 ')],
		why: 'client side: T34'
	},
	{
		id: 'E4',
		title: 'Out-of-order replay',
		status: 'automated',
		where: [at(ABUSE, 'E4 ')],
		why: 'also T27, T30'
	},
	{
		id: 'E5',
		title: 'Device clock skew',
		status: 'automated',
		where: [at(ABUSE, 'E5 ')],
		why: 'also T28; access tokens tolerate 30 s (tests/standin/keys.test.ts)'
	},
	{
		id: 'E6',
		title: 'Two tabs refreshing tokens',
		status: 'not yet',
		why: 'refresh-token reuse detection is tested (tests/standin/auth.test.ts); a two-tab browser test (T32) is not written'
	},
	{
		id: 'E7',
		title: 'Logout on a shared device',
		status: 'automated',
		where: [at(HEADERS, 'E7 ')],
		why: 'the outbox stays parked for its owner and is never sent for another user (I4)'
	},
	{
		id: 'E8',
		title: '503 / timeout at doors-open',
		status: 'referenced',
		where: [
			at(OUTBOX, 'Retry-After on 503/429 is honoured as the least delay'),
			at(OFFLINE_STANDIN, 'a request that hangs times out')
		],
		why: 'never failing open for an unknown ticket: A14 (only organizers accept provisionally, flagged)'
	},
	{
		id: 'E9',
		title: 'Revoked signed token offline',
		status: 'referenced',
		where: [at(CHECKIN, 'A8 a ticket cancelled after the phone downloaded the roster is recorded')],
		why: 'no signed tokens: the roster carries hashed secrets and the server flags late cancellations'
	},
	{
		id: 'E10',
		title: 'Quota exceeded / IndexedDB blocked',
		status: 'referenced',
		where: [at(OUTBOX, 'T18 QuotaExceededError'), at(OUTBOX, 'T17 without IndexedDB')]
	},
	// -------------------------------------------------------------------------- F. Exports
	{
		id: 'F1',
		title: 'CSV formula injection',
		status: 'automated',
		where: [at(CSV_PROPERTY, 'F1 ')],
		why: 'OWASP set (= + - @ tab CR); a full-width ＝ or a leading NUL is not prefixed'
	},
	{
		id: 'F2',
		title: 'RFC 4180 quoting, BOM',
		status: 'automated',
		where: [at(CSV_PROPERTY, 'F2 ')]
	},
	{
		id: 'F3',
		title: 'Large export',
		status: 'not yet',
		why: 'no streamed export test yet; to be measured by `npm run bench`'
	},
	{
		id: 'F4',
		title: 'Export in Supabase Storage',
		status: 'not applicable',
		why: 'exports are made in the browser; no Storage bucket is used'
	},
	{
		id: 'F5',
		title: 'Hidden fields in exports',
		status: 'not yet',
		why: 'the report functions are in the sweep (who may call them) but their columns are not checked per role'
	},
	// ---------------------------------------------------------------- G. CSRF, headers, errors
	{
		id: 'G1',
		title: 'Cross-origin form / JSON POST',
		status: 'automated',
		where: [at(ABUSE, 'G1 ')],
		why: 'no SvelteKit form actions or +server endpoints (static build); the API authenticates by bearer header, never cookies'
	},
	{ id: 'G2', title: 'Security headers', status: 'automated', where: [at(HEADERS, 'G2 ')] },
	{
		id: 'G3',
		title: 'Raw Postgres errors',
		status: 'automated',
		where: [
			at(SWEEP, 'C5 C6 C7 G3 '),
			at('src/lib/data/errors.test.ts', 'never keeps text from SQL errors')
		]
	},
	{
		id: 'G4',
		title: 'Failed authorization logged',
		status: 'not yet',
		why: 'refused actions are kept in the idempotency ledger (who, what, when: A12 test), reviews and grants in audit_log; RPC-level 401/403 are not logged in the database (the gateway logs them on Supabase)'
	},
	// ------------------------------------------------------------ T. Fault injection (offline)
	{ id: 'T01', title: 'Enqueue durability', status: 'referenced', where: [at(OUTBOX, 'T01 ')] },
	{
		id: 'T02',
		title: 'Crash after commit, before ack',
		status: 'referenced',
		where: [at(OUTBOX, 'T02 ')]
	},
	{
		id: 'T03',
		title: 'Network error and backoff',
		status: 'referenced',
		where: [at(OUTBOX, 'T03 ')]
	},
	{ id: 'T04', title: 'Trigger resets backoff', status: 'referenced', where: [at(OUTBOX, 'T04 ')] },
	{
		id: 'T05',
		title: '401 → refresh → success',
		status: 'referenced',
		where: [at(OUTBOX, 'T05 '), at(OFFLINE_STANDIN, 'T05 ')]
	},
	{
		id: 'T06',
		title: 'Refresh definitively fails',
		status: 'referenced',
		where: [at(OUTBOX, 'T06 ')]
	},
	{ id: 'T07', title: 'Refresh network error', status: 'referenced', where: [at(OUTBOX, 'T07 ')] },
	{ id: 'T08', title: 'Per-action rejection', status: 'referenced', where: [at(OUTBOX, 'T08 ')] },
	{ id: 'T09', title: 'Bisect poison', status: 'referenced', where: [at(OUTBOX, 'T09 ')] },
	{
		id: 'T10',
		title: 'Captive portal',
		status: 'referenced',
		where: [at(OUTBOX, 'T10 '), at(OFFLINE_STANDIN, 'T10 ')]
	},
	{
		id: 'T11',
		title: 'Partial/missing results',
		status: 'referenced',
		where: [at(OUTBOX, 'T11 '), at(OUTBOX_PROPERTY, 'I1 I2 I4 ')]
	},
	{ id: 'T12', title: 'Halt semantics', status: 'referenced', where: [at(OUTBOX, 'T12 ')] },
	{
		id: 'T13',
		title: 'Batch too large / timeout',
		status: 'referenced',
		where: [at(OUTBOX, 'T13 '), at(OFFLINE_STANDIN, 'T13 ')]
	},
	{
		id: 'T14',
		title: 'Single flusher',
		status: 'not yet',
		why: 'covered end to end by T43 (two tabs); no unit test with two outbox instances'
	},
	{ id: 'T15', title: 'Clock goes backwards', status: 'referenced', where: [at(OUTBOX, 'T15 ')] },
	{ id: 'T16', title: 'Schema upcast', status: 'referenced', where: [at(OUTBOX, 'T16 ')] },
	{ id: 'T17', title: 'IDB unavailable', status: 'referenced', where: [at(OUTBOX, 'T17 ')] },
	{ id: 'T18', title: 'QuotaExceededError', status: 'referenced', where: [at(OUTBOX, 'T18 ')] },
	{
		id: 'T19',
		title: 'Connection force-closed mid-flush',
		status: 'referenced',
		where: [at(OUTBOX, 'T19 ')]
	},
	{ id: 'T20', title: 'Overlay retirement', status: 'referenced', where: [at(OUTBOX, 'T20 ')] },
	{ id: 'T21', title: 'Replay', status: 'referenced', where: [at(APPLY, 'T21 ')] },
	{ id: 'T22', title: 'Concurrent duplicates', status: 'referenced', where: [at(APPLY, 'T22 ')] },
	{
		id: 'T23',
		title: 'Id reuse with another payload',
		status: 'referenced',
		where: [at(APPLY, 'T23 ')]
	},
	{ id: 'T24', title: 'Authz', status: 'referenced', where: [at(APPLY, 'T24 ')] },
	{
		id: 'T25',
		title: 'Two phones, same attendee',
		status: 'referenced',
		where: [at(CHECKIN, 'A5 T25 ')]
	},
	{ id: 'T26', title: 'Add-wins undo', status: 'referenced', where: [at(CHECKIN, 'T26 ')] },
	{ id: 'T27', title: 'Undo before check-in', status: 'referenced', where: [at(CHECKIN, 'T27 ')] },
	{ id: 'T28', title: 'Clock skew', status: 'referenced', where: [at(APPLY, 'T28 ')] },
	{ id: 'T29', title: 'Capacity race', status: 'referenced', where: [at(APPLY, 'T29 ')] },
	{ id: 'T30', title: 'Stale cancel', status: 'referenced', where: [at(APPLY, 'T30 ')] },
	{
		id: 'T31',
		title: 'Poison mid-batch, transient halt',
		status: 'referenced',
		where: [at(APPLY, 'T31 ')]
	},
	{
		id: 'T32',
		title: 'Multi-tab token refresh',
		status: 'not yet',
		why: 'needs two browser tabs with a shortened JWT expiry (see E6)'
	},
	{
		id: 'T33',
		title: 'Offline scans survive reload',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T33 ')],
		why: 'with sign-ups; offline scans are in the scanner e2e (T37)'
	},
	{
		id: 'T34',
		title: 'Response lost after commit',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T34 '), at(OFFLINE_STANDIN, 'T34 ')]
	},
	{
		id: 'T35',
		title: 'Page killed mid-request',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T35 ')]
	},
	{
		id: 'T36',
		title: 'Late duplicate after client retry',
		status: 'automated',
		where: [at(ABUSE, 'T36 ')]
	},
	{
		id: 'T37',
		title: 'Two organizer phones offline',
		status: 'referenced',
		where: [at(E2E_SCANNER, 'T37 ')]
	},
	{
		id: 'T38',
		title: 'Skewed phone clock (browser)',
		status: 'not yet',
		why: 'the server outcome is E5/T28; no browser test with page.clock yet'
	},
	{
		id: 'T39',
		title: 'SW update with a pending queue',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T39 ')]
	},
	{
		id: 'T40',
		title: 'Token expired while offline',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T40a '), at(E2E_OFFLINE, 'T40b ')]
	},
	{
		id: 'T41',
		title: 'Logout with pending, then another user',
		status: 'referenced',
		where: [
			at(E2E_OFFLINE, 'T41 '),
			at(OUTBOX, 'I4 actions of another user are never sent'),
			at(OUTBOX_PROPERTY, 'I1 I2 I4 ')
		]
	},
	{
		id: 'T42',
		title: 'Captive portal / 503 (browser)',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T42 '), at(OUTBOX, 'T10 '), at(OUTBOX, 'Retry-After on 503/429')]
	},
	{ id: 'T43', title: 'Multi-tab flush', status: 'referenced', where: [at(E2E_OFFLINE, 'T43 ')] },
	{
		id: 'T44',
		title: 'Private mode / no IndexedDB',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T44 ')]
	},
	{
		id: 'T45',
		title: 'Offline signup+cancel while event fills',
		status: 'automated',
		where: [at(ABUSE, 'T45 ')]
	},
	{
		id: 'T46',
		title: 'Storage persistence request',
		status: 'referenced',
		where: [at(E2E_OFFLINE, 'T46 ')]
	},
	// ------------------------------------------- R. Found by the reviews of 2026-12-02 (issue 14)
	{
		id: 'R1',
		title: 'A session ticket admitted on another day',
		status: 'automated',
		where: [at(CHECKIN, 'R1 '), at(CHECKIN_DOMAIN, 'R1 '), at(E2E_SCANNER, 'R1 ')],
		why: "server (one by one and set-based) and the offline verdict refuse wrong_day naming the session; organizers may override, flagged other_day; the counter expects only the day's people"
	},
	{
		id: 'R2',
		title: 'Walk-in overturns rejection, eligibility, series limit, capacity or waitlist order',
		status: 'automated',
		where: [at(CHECKIN, 'R2 ')],
		why: "walk-ins share private.sign_up's rules (check_eligible, check_series_limit, seat_free); approval and lottery activities take no walk-ins"
	},
	{
		id: 'R3',
		title: 'Walk-in member search lists the whole union',
		status: 'automated',
		where: [at(CHECKIN, 'R3 ')],
		why: 'only where walk-ins are allowed, only the eligible population, 2 characters or 4 digits, 10 answers, 30 searches a minute per caller (429 rate_limited)'
	},
	{
		id: 'R4',
		title: 'Series limit bypassed by concurrent sign-ups',
		status: 'automated',
		where: [at(SIGNUP, 'R4 ')],
		why: 'a (member, series) advisory lock before the count, before any activity row lock; asserted with real concurrency on the PostgreSQL lane'
	},
	{
		id: 'R5',
		title: 'Liaison-only account cannot use the liaison page',
		status: 'automated',
		where: [at(LIAISON, 'R5 '), at(E2E_LIAISON, 'R5 ')],
		why: 'list_signup_members / list_signup_activities / list_signup_registrations, scoped per role'
	},
	{
		id: 'R6',
		title: '代报名 reports success for refusals',
		status: 'automated',
		where: [at(LIAISON, 'R6 '), at(E2E_LIAISON, 'R6 '), at(BEHALF_WORDS, 'R6 ')]
	},
	{
		id: 'R7',
		title: 'Office 代报名 member list stops silently at 5,000',
		status: 'automated',
		where: [at(LIAISON, 'R7 '), at(E2E_LIAISON, 'R5 ')],
		why: 'paged with a total (显示 N / 共 M 人 · 加载更多); the e2e R5 test pages past the first 50'
	},
	{
		id: 'R8',
		title: 'Transient proxy 4xx dead-letters saved actions',
		status: 'automated',
		where: [at(CLASSIFY, 'R8 '), at(OFFLINE_STANDIN, 'R8 '), at(E2E_OFFLINE, 'R8 ')]
	},
	{
		id: 'R9',
		title: '401 JWT expired on a read signs the member out',
		status: 'automated',
		where: [at(CLIENT, 'R9 '), at(E2E_OFFLINE, 'R9 ')]
	},
	{
		id: 'R10',
		title: 'Switching user in a second tab signs the new user out',
		status: 'automated',
		where: [at(CLIENT, 'R10 '), at(E2E_OFFLINE, 'R10 ')]
	},
	{
		id: 'R11',
		title: 'Refresh cooldown, Retry-After, cleared storage, global logout',
		status: 'automated',
		where: [at(LAZY_AUTH, 'R11 '), at(OFFLINE_STANDIN, 'R11 '), at(E2E_OFFLINE, 'R11 ')]
	},
	{
		id: 'R12',
		title: 'Stand-in password sign-up takes over a roster address',
		status: 'automated',
		where: [at(STANDIN_AUTH, 'R12 '), at(STANDIN_ROSTER, 'R12 ')],
		why: '"Confirm email" on: no session until the mailed code; an OTP confirmation clears a password set before it'
	},
	{
		id: 'R13',
		title: 'Parallel OTP guesses and unlimited code sends',
		status: 'automated',
		where: [at(STANDIN_LIMITS, 'R13 ')],
		why: 'counted before checking; per (address, client), per address, per client; sends per address, client and new address'
	},
	{
		id: 'R14',
		title: 'Mailbox readable from any origin',
		status: 'automated',
		where: [at(STANDIN_GATEWAY, 'R14 ')]
	},
	{
		id: 'R15',
		title: 'Refresh reuse interval, deep JSON, unsized large body, v as a string',
		status: 'automated',
		where: [at(APPLY, 'R15 '), at(STANDIN_AUTH, 'R15 '), at(STANDIN_GATEWAY, 'R15 ')],
		why: 'v as a string: both apply_actions paths refuse it; the refresh reuse interval, deep JSON and an unsized large body: the stand-in answers as Supabase does'
	},
	{
		id: 'R16',
		title: 'Unit import cannot rename or move; unexpected errors misread',
		status: 'automated',
		where: [at(OFFICE_DB, 'R16 '), at(ERRORS_UNIT, 'R16 '), at(E2E_OFFICE, 'R16 ')]
	},
	{
		id: 'R17',
		title: 'Sign-up deadline after the start saved then ignored',
		status: 'automated',
		where: [at(OFFICE_DB, 'R17 '), at(ACTIVITY_FORM_UNIT, 'R17 ')]
	},
	{
		id: 'R18',
		title: 'Unknown ticket typed online shown as uploaded; percent-encoded URL refused',
		status: 'automated',
		where: [at(E2E_SCANNER, 'R18 '), at(CHECKIN_DOMAIN, 'R18 '), at(UPLOAD_STATE_UNIT, 'R18 ')],
		why: 'the server matches the secret as sent (apply_checkin_scoped does not percent-decode): the client always sends the canonical secret'
	}
];
