import type { PageLoad } from './$types';
import { getActivity } from '#lib/data/activity-detail.ts';
import { FirstRead } from '#lib/state/first-read.ts';

export const load: PageLoad = async ({ parent, params }) => {
	const { boot } = await parent();
	return {
		first: boot.ok ? new FirstRead(getActivity(boot.session.client, params.id), params.id) : null
	};
};
