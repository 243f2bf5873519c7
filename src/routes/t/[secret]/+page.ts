import type { PageLoad } from './$types';
import { loadDictionary } from '#lib/i18n/translate.ts';

// This page explains a ticket in both languages at once.
export const load: PageLoad = async () => {
	await loadDictionary('en').catch(() => undefined);
	return {};
};
