// The write path's wire: postgrest-js `rpc('apply_actions')` on a client of its own, so that
//  - the access token is the one the flusher just got from the app's session (no token is ever
//    stored with an action, and this client never refreshes or stores sessions itself);
//  - every call has an AbortController timeout, and the raw status, Content-Type and
//    Retry-After reach the classifier;
//  - nothing retries behind the outbox's back: postgrest-js retries only GET/HEAD/OPTIONS (an
//    rpc is a POST), and `retry: false` turns even that off on this client.
import { isAuthRetryableFetchError } from '#lib/data/lazy-auth.ts';
import { fetchWithToken, restClient, type UnionClient } from '#lib/data/client.ts';
import type { Json } from '#lib/data/database.types.ts';
import type { TransportOutcome } from '#lib/domain/outbox-classify.ts';
import type { WireAction } from '#lib/domain/outbox.ts';

export const DEFAULT_TIMEOUT_MS = 15_000;

export interface SendRequest {
	deviceId: string;
	sentAt: string;
	actions: WireAction[];
	accessToken: string;
}

export interface Transport {
	send(request: SendRequest): Promise<TransportOutcome>;
}

interface CallContext {
	controller: AbortController;
	contentType: string | null;
	retryAfter: string | null;
	timedOut: boolean;
	token: string;
}

export interface SupabaseTransportOptions {
	timeoutMs?: number;
	fetch?: typeof fetch;
}

export function supabaseTransport(
	url: string,
	key: string,
	options: SupabaseTransportOptions = {}
): Transport {
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
	// Calls never overlap (one flusher under a lock), so one slot for the current call suffices.
	let current: CallContext | null = null;

	const timedFetch: typeof fetch = async (input, init) => {
		const call = current;
		if (call === null) return baseFetch(input, init);
		const signal =
			init?.signal == null
				? call.controller.signal
				: AbortSignal.any([init.signal, call.controller.signal]);
		const response = await baseFetch(input, { ...init, signal });
		call.contentType = response.headers.get('content-type');
		call.retryAfter = response.headers.get('retry-after');
		return response;
	};

	const client = restClient(
		url,
		key,
		fetchWithToken(key, async () => current?.token ?? null, timedFetch),
		{ retry: false }
	);

	return {
		async send(request) {
			const call: CallContext = {
				controller: new AbortController(),
				contentType: null,
				retryAfter: null,
				timedOut: false,
				token: request.accessToken
			};
			current = call;
			// The timer covers the whole exchange, body included: a stalled body is a timeout too.
			const timer = setTimeout(() => {
				call.timedOut = true;
				call.controller.abort();
			}, timeoutMs);
			try {
				const { data, error, status } = await client.rpc('apply_actions', {
					device_id: request.deviceId,
					sent_at: request.sentAt,
					actions: request.actions as unknown as Json
				});
				if (call.timedOut) return { type: 'timeout' };
				if (status === 0) return { type: 'network', message: error?.message ?? 'fetch failed' };
				return {
					type: 'response',
					status,
					data: data as unknown,
					error:
						error === null
							? null
							: { code: typeof error.code === 'string' ? error.code : '', message: error.message },
					contentType: call.contentType,
					retryAfter: call.retryAfter
				};
			} catch (error) {
				if (call.timedOut) return { type: 'timeout' };
				return { type: 'network', message: error instanceof Error ? error.message : String(error) };
			} finally {
				clearTimeout(timer);
				current = null;
			}
		}
	};
}

export type AuthState =
	| { status: 'ok'; userId: string; accessToken: string }
	| { status: 'signed_out' }
	/** The session is stored but could not be refreshed for lack of network. */
	| { status: 'unreachable' };

export interface AuthPort {
	current(): Promise<AuthState>;
	/** After a 401: one forced refresh. */
	refresh(): Promise<'ok' | 'network' | 'refused'>;
}

/** The app's own GoTrue session: the only place tokens live (in auth-js's storage). */
export function supabaseAuthPort(client: Pick<UnionClient, 'auth'>): AuthPort {
	return {
		async current() {
			const { data, error } = await client.auth.getSession();
			if (data.session !== null) {
				return {
					status: 'ok',
					userId: data.session.user.id,
					accessToken: data.session.access_token
				};
			}
			if (error !== null && isAuthRetryableFetchError(error)) return { status: 'unreachable' };
			return { status: 'signed_out' };
		},
		async refresh() {
			try {
				const { data, error } = await client.auth.refreshSession();
				if (error === null && data.session !== null) return 'ok';
				if (error !== null && isAuthRetryableFetchError(error)) return 'network';
				return 'refused';
			} catch (error) {
				return error instanceof TypeError ? 'network' : 'refused';
			}
		}
	};
}
