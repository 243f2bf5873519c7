import type { PageLoad } from './$types';
import { listActivities } from '#lib/data/activities.ts';
import { FirstRead } from '#lib/state/first-read.ts';

export const load: PageLoad = async ({ parent }) => {
	const { boot } = await parent();
	return { first: boot.ok ? new FirstRead(listActivities(boot.session.client)) : null };
};
