// ESLint flat config: JS + TypeScript with type information, Svelte 5, Prettier last.
// `npx eslint --max-warnings 0 .` must stay clean; `npm test` runs it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
	{
		ignores: [
			'build/',
			'.svelte-kit/',
			'node_modules/',
			'coverage/',
			'test-results/',
			'playwright-report/',
			'.data/',
			'bench/tmp/',
			'supabase/.temp/',
			'supabase/.branches/',
			'src/lib/data/database.types.ts'
		]
	},
	js.configs.recommended,
	ts.configs.strictTypeChecked,
	ts.configs.stylisticTypeChecked,
	svelte.configs.recommended,
	{
		languageOptions: {
			ecmaVersion: 'latest',
			sourceType: 'module',
			globals: { ...globals.browser, ...globals.node },
			parserOptions: {
				projectService: { allowDefaultProject: ['*.js'] },
				tsconfigRootDir: import.meta.dirname,
				extraFileExtensions: ['.svelte']
			}
		},
		linterOptions: { reportUnusedDisableDirectives: 'error' },
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
			'@typescript-eslint/await-thenable': 'error',
			// `_`-prefixed names are deliberately unused (callback slots, destructuring rest).
			'@typescript-eslint/no-unused-vars': [
				'error',
				{
					argsIgnorePattern: '^_',
					varsIgnorePattern: '^_',
					caughtErrorsIgnorePattern: '^_',
					destructuredArrayIgnorePattern: '^_'
				}
			],
			// Numbers and booleans in template strings are fine; objects and nullish are not.
			'@typescript-eslint/restrict-template-expressions': [
				'error',
				{ allowNumber: true, allowBoolean: true }
			],
			// `void promise` is how a fire-and-forget call is marked for no-floating-promises.
			'@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
			// T[] or Array<T>: whichever reads better for the type at hand.
			'@typescript-eslint/array-type': 'off',
			// An async function without await is fine where an interface wants a Promise (handler
			// tables); unhandled promises are what matters, and no-floating-promises covers them.
			'@typescript-eslint/require-await': 'off',
			// Types and interfaces are both fine; the code chooses.
			'@typescript-eslint/consistent-type-definitions': 'off',
			'@typescript-eslint/consistent-type-imports': [
				'error',
				{ prefer: 'type-imports', fixStyle: 'separate-type-imports' }
			],
			// `x!` after a check the compiler can't follow (Map.get after has) is allowed sparingly.
			'@typescript-eslint/no-non-null-assertion': 'off',
			'no-console': 'off',
			eqeqeq: ['error', 'always', { null: 'ignore' }],
			'prefer-const': 'error'
		}
	},
	{
		// Svelte components and rune modules: the TypeScript parser inside svelte-eslint-parser.
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				parser: ts.parser,
				projectService: true,
				extraFileExtensions: ['.svelte']
			}
		},
		rules: {
			// The rune-aware variant understands `let { x = $bindable() } = $props()`.
			'prefer-const': 'off',
			'svelte/prefer-const': 'error',
			// The SPA is served at the root (no `paths.base`), so plain hrefs and goto('/x') are correct.
			'svelte/no-navigation-without-resolve': 'off',
			// typescript-eslint cannot resolve imports of .svelte components (they are `any` to it),
			// so component instances trip the no-unsafe-* rules; svelte-check type-checks these files
			// for real, with the component types.
			'@typescript-eslint/no-unsafe-assignment': 'off',
			'@typescript-eslint/no-unsafe-call': 'off',
			'@typescript-eslint/no-unsafe-member-access': 'off',
			'@typescript-eslint/no-unsafe-return': 'off',
			'@typescript-eslint/no-unsafe-argument': 'off',
			// `{#if a || b}` in markup is a condition, which the rule does not recognise there.
			'@typescript-eslint/prefer-nullish-coalescing': 'off'
		}
	},
	{
		// The house's boundaries: domain rules are pure TypeScript (no Svelte, Supabase, browser
		// storage or other app folders), so they run and are tested anywhere.
		files: ['src/lib/domain/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '^#lib/(?!domain/)',
							message: 'src/lib/domain imports only from src/lib/domain.'
						},
						{
							group: ['svelte', 'svelte/*', '$app/*', '@supabase/*', 'idb', '@sveltejs/*'],
							message:
								'src/lib/domain is pure TypeScript: no Svelte, SvelteKit, Supabase or IndexedDB.'
						}
					]
				}
			]
		}
	},
	{
		// Pages reach the database through src/lib/data (typed wrappers over the functions), never
		// through supabase-js itself.
		files: ['src/routes/**/*.ts', 'src/routes/**/*.svelte', 'src/lib/components/**/*'],
		ignores: ['src/routes/+layout.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '^(@supabase/|#lib/data/client\\.ts$)',
							message: 'Pages call the database through the wrappers in src/lib/data.'
						}
					]
				}
			],
			'no-restricted-syntax': [
				'error',
				{
					selector: "CallExpression[callee.property.name='rpc']",
					message: 'Pages call the database through the wrappers in src/lib/data.'
				}
			]
		}
	},
	{
		// Plain JS config files: no type information for them.
		files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
		ignores: ['**/*.svelte.js'],
		...ts.configs.disableTypeChecked
	},
	{
		// Tests may use non-null data from fixtures and loose any in mocks.
		files: ['**/*.test.ts', 'tests/**/*.ts', 'supabase/tests/**/*.ts'],
		rules: {
			'@typescript-eslint/no-unsafe-assignment': 'off',
			'@typescript-eslint/no-unsafe-member-access': 'off'
		}
	},
	prettier,
	svelte.configs.prettier
);
