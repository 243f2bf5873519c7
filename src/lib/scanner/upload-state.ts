import type { OutboxStatus } from '#lib/domain/outbox.ts';
import type { MessageKey } from '#lib/i18n/translate.ts';

/**
 * The line under a verdict about its action's way to the server. A refusal the server sent back
 * (an unknown ticket, another activity's) is not "uploaded": the organizer must read it as the
 * server's check of a refusal, never as a check-in that went through.
 */
export function uploadStateKey(status: OutboxStatus): MessageKey {
	switch (status) {
		case 'pending':
			return 'checkin.saved';
		case 'acked':
			return 'checkin.synced';
		case 'rejected':
			return 'checkin.serverChecked';
		case 'blocked':
			return 'checkin.notUploaded';
	}
}
