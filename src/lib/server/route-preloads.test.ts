import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { routePreloadScript, routePreloadTable } from './route-preloads.ts';

const nodes = [
	{ imports: ['_app/nodes/0.js', '_app/chunks/framework.js'], stylesheets: ['_app/assets/0.css'] },
	{ imports: ['_app/nodes/1.js', '_app/chunks/framework.js'], stylesheets: [] },
	{ imports: ['_app/nodes/2.js', '_app/chunks/card.js'], stylesheets: ['_app/assets/card.css'] },
	{ imports: ['_app/nodes/3.js', '_app/chunks/card.js'], stylesheets: [] },
	{ imports: ['_app/nodes/4.js'], stylesheets: [] }
];
const routes = [
	{ pattern: /^\/$/, page: { layouts: [0], errors: [1], leaf: 2 } },
	{ pattern: /^\/api\/?$/, page: null },
	{ pattern: /^\/office\/([^/]+?)\/?$/, page: { layouts: [0, 4], errors: [1, undefined], leaf: 3 } }
];
const initial = ['_app/chunks/framework.js', ...nodes[0]!.imports, ...nodes[0]!.stylesheets];

describe('routePreloadTable', () => {
	const table = routePreloadTable(routes, nodes, initial);
	const filesOf = (source: string) =>
		table.routes.find(([pattern]) => pattern === source)?.[1].map((index) => table.files[index]);

	it('lists each page route with its layouts, its own node and the error page, in order', () => {
		expect(table.routes.map(([pattern]) => pattern)).toEqual([
			routes[0]!.pattern.source,
			routes[2]!.pattern.source
		]);
		expect(filesOf(routes[0]!.pattern.source)).toEqual([
			'_app/nodes/1.js',
			'_app/nodes/2.js',
			'_app/chunks/card.js',
			'_app/assets/card.css'
		]);
		expect(filesOf(routes[2]!.pattern.source)).toEqual([
			'_app/nodes/1.js',
			'_app/nodes/4.js',
			'_app/nodes/3.js',
			'_app/chunks/card.js'
		]);
	});

	it('leaves out what the shell already loads and names every file once', () => {
		for (const file of initial) expect(table.files).not.toContain(file);
		expect(new Set(table.files).size).toBe(table.files.length);
	});

	it('writes a script whose table survives the trip through HTML', () => {
		const script = routePreloadScript({ files: ['</script><b>'], routes: [['^\\/$', [0]]] });
		expect(script).not.toContain('</script><b>');
		const body = /<script>([\s\S]*)<\/script>/.exec(script)?.[1] ?? '';
		// Valid JavaScript (compiled, not run).
		expect(() => new vm.Script(body)).not.toThrow();
		expect(body).toContain('"\\u003c/script>\\u003cb>"');
	});
});
