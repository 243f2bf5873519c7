import type { PageLoad } from './$types';
import { locale } from '#lib/i18n/locale.svelte.ts';

// These screens' words are their own part of the dictionary (see MessagePart in translate.ts).
export const load: PageLoad = async () => {
	await locale.want('more');
	return {};
};
