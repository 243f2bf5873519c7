import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-static';
import { defineConfig } from 'vite';

// SvelteKit 3 keeps its configuration here; a svelte.config.js would be a build error.
export default defineConfig({
	plugins: [
		sveltekit({
			// A static SPA: any static host or an intranet nginx serves it; 200.html answers unknown paths.
			adapter: adapter({ fallback: '200.html', precompress: true }),
			compilerOptions: { runes: true },
			// The first page's few KB of CSS go into the HTML: no render-blocking stylesheet requests.
			inlineStyleThreshold: 16384,
			// Registered by the app (src/lib/offline/app-update.svelte.ts), which skips WeChat's
			// in-app browser and treats a failed registration as "no offline shell", never an error.
			serviceWorker: { register: false }
		})
	],
	build: {
		rolldownOptions: {
			output: {
				codeSplitting: {
					groups: [
						{
							// What every page runs first (Svelte and the PostgREST client) as one
							// file: on HTTP/1.1 a first visit pays a round trip per file. auth-js is
							// not in it: it loads after the first page (src/lib/data/lazy-auth.ts).
							name: 'framework',
							test: /node_modules[\\/](svelte|esm-env|clsx|@supabase[\\/]postgrest-js|tslib)[\\/]/
						}
					]
				}
			}
		}
	},
	server: { host: '127.0.0.1', port: 5173, strictPort: false },
	preview: { host: '127.0.0.1' }
});
