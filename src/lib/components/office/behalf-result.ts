import { isRefusalReason, type ServerMessage } from '#lib/data/errors.ts';
import type { BehalfResult } from '#lib/data/liaison.ts';
import type { MessageKey } from '#lib/i18n/translate.ts';

// The words for one person's result of 代报名: what happened, and for a refusal why. The app's
// refusal messages are reused where they read well about a colleague; those written to the member
// themselves ("您…") or that ask for a choice this page does not offer have their own words here.

/** The reason of a refusal: the app's own message, or the server's words for codes it doesn't know. */
export type ReasonWording = { key: MessageKey } | { server: ServerMessage };

export interface BehalfWording {
	key: MessageKey;
	/** For a refusal: why, to put in the message's {reason}. */
	reason: ReasonWording | null;
}

const ABOUT_A_COLLEAGUE: Partial<Record<string, MessageKey>> = {
	ineligible_gender: 'office.liaison.reason.ineligible_gender',
	ineligible_member_type: 'office.liaison.reason.ineligible_member_type',
	already_registered: 'office.liaison.reason.already_registered',
	registration_rejected: 'office.liaison.reason.registration_rejected',
	registration_not_found: 'office.liaison.reason.registration_not_found',
	member_not_in_scope: 'office.liaison.reason.member_not_in_scope',
	session_required: 'office.liaison.reason.session_required',
	answer_invalid: 'office.liaison.reason.answer_invalid'
};

const DONE: Partial<Record<string, MessageKey>> = {
	registered: 'office.liaison.result.registered',
	waitlisted: 'office.liaison.result.waitlisted',
	pending_approval: 'office.liaison.result.pending',
	cancelled: 'office.liaison.result.cancelled'
};

function reasonWording(result: BehalfResult, eligibleGenders: string[] | null): ReasonWording {
	if (result.code === 'ineligible_gender' && eligibleGenders?.length === 1) {
		if (eligibleGenders[0] === 'female') return { key: 'office.liaison.reason.femaleOnly' };
		if (eligibleGenders[0] === 'male') return { key: 'office.liaison.reason.maleOnly' };
	}
	const own = ABOUT_A_COLLEAGUE[result.code];
	if (own !== undefined) return { key: own };
	if (isRefusalReason(result.code)) return { key: `refusal.${result.code}` };
	if (result.serverMessage !== null) return { server: result.serverMessage };
	return { key: 'office.liaison.reason.other' };
}

/** How to say one person's result of signing up (or cancelling) on their behalf. */
export function behalfWording(
	result: BehalfResult,
	action: 'signUp' | 'cancel',
	eligibleGenders: string[] | null = null
): BehalfWording {
	if (result.status === 'rejected') {
		return {
			key:
				action === 'signUp'
					? 'office.liaison.result.refused'
					: 'office.liaison.result.notCancelled',
			reason: reasonWording(result, eligibleGenders)
		};
	}
	if (result.status === 'noop') {
		return {
			key:
				action === 'signUp' ? 'office.liaison.result.already' : 'office.liaison.result.cancelled',
			reason: null
		};
	}
	return { key: DONE[result.code] ?? 'office.liaison.result.done', reason: null };
}
