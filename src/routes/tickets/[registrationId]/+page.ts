import type { PageLoad } from './$types';
import { listMyRegistrations } from '#lib/data/registrations.ts';
import { FirstRead } from '#lib/state/first-read.ts';

export const load: PageLoad = async ({ parent }) => {
	const { boot } = await parent();
	return { first: boot.ok ? new FirstRead(listMyRegistrations(boot.session.client)) : null };
};
