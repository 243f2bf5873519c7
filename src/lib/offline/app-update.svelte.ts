// The "new version available" flow (docs/decisions.md §9). A new service worker waits; applying it
// first takes the outbox flush lock, so no upload is in flight when the page reloads, then asks
// the worker to take over (SKIP_WAITING) and reloads once it controls the page. Without service
// workers (WeChat's in-app browser, plain http) there is simply never an update to offer.
import type { FlushLock } from './lock.ts';
import { isWeChat } from '#lib/domain/user-agent.ts';

const CONTROLLER_WAIT_MS = 10_000;

export class AppUpdate {
	/** A new version is installed and waiting. */
	available = $state(false);
	applying = $state(false);
	/** This browser runs service workers at all. */
	supported = $state(false);
	/** A service worker controls this page (offline reloads work). */
	controlled = $state(false);

	#registration: ServiceWorkerRegistration | null = null;
	#started = false;

	start(): void {
		if (this.#started || typeof navigator === 'undefined') return;
		this.#started = true;
		const container = (navigator as Partial<Navigator>).serviceWorker;
		// WeChat's in-app browser: no service worker (its WebView's support is partial and its
		// caches are cleared at will); the app runs online, with the outbox still on the phone.
		if (container === undefined || isWeChat(navigator.userAgent)) return;
		this.supported = true;
		// Registered here rather than by SvelteKit, so a refusal (insecure origin, a WebView
		// that lists the API but rejects it) only means "no offline shell", never an error.
		void register(container);
		this.controlled = container.controller !== null;
		container.addEventListener('controllerchange', () => {
			this.controlled = container.controller !== null;
		});
		void container.ready.then((registration) => {
			this.#watch(registration);
		});
	}

	/** Applies the waiting version: lock, SKIP_WAITING, reload on controllerchange. */
	async apply(lock: FlushLock | null): Promise<void> {
		const waiting = this.#registration?.waiting;
		if (waiting == null) {
			location.reload();
			return;
		}
		this.applying = true;
		const takeOver = async (): Promise<void> => {
			const container = navigator.serviceWorker;
			const changed = new Promise<void>((resolve) => {
				container.addEventListener(
					'controllerchange',
					() => {
						resolve();
					},
					{ once: true }
				);
				setTimeout(resolve, CONTROLLER_WAIT_MS);
			});
			waiting.postMessage({ type: 'SKIP_WAITING' });
			await changed;
			// Reload while still holding the lock: it is released when this page unloads.
			location.reload();
			await new Promise(() => undefined);
		};
		if (lock === null) await takeOver();
		else await lock.runExclusive(takeOver);
	}

	#watch(registration: ServiceWorkerRegistration): void {
		this.#registration = registration;
		const check = () => {
			this.available = registration.waiting !== null && navigator.serviceWorker.controller !== null;
		};
		check();
		registration.addEventListener('updatefound', () => {
			const installing = registration.installing;
			installing?.addEventListener('statechange', check);
		});
		// Look for a new version whenever the app comes back to the foreground.
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible') {
				void registration.update().catch(() => undefined);
			}
		});
	}
}

async function register(container: ServiceWorkerContainer): Promise<void> {
	try {
		await container.register('/service-worker.js', { type: 'module' });
	} catch (error) {
		console.info('service worker not registered; the app works online only', error);
	}
}

export const appUpdate = new AppUpdate();
