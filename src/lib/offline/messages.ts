// The offline layer's wording helpers. Its words live in the app's dictionaries (section
// "offline layer"); `t()` is `t()` under the name this layer has always used.
import { isRefusalReason } from '#lib/data/errors.ts';
import { t } from '#lib/i18n/locale.svelte.ts';
import type { MessageKey } from '#lib/i18n/translate.ts';

const OWN_REASONS = new Set<string>([
	'wrong_user',
	'id_reuse',
	'malformed',
	'unknown_kind',
	'unsupported_version',
	'internal',
	'nothing_to_cancel',
	'stale_target'
]);

/** Why the server refused an action, in the current language. */
export function reasonText(code: string | null | undefined): string {
	if (code === 'full' || code === 'event_full') return t('refusal.full');
	if (code != null && isRefusalReason(code)) return t(`refusal.${code}`);
	if (code != null && OWN_REASONS.has(code)) return t(`reason.${code}` as MessageKey);
	return t('reason.unknown', { code: code ?? '?' });
}

/** "10 分钟前" / "10 min ago": how long ago a read was made. */
export function agoText(fetchedAt: number, now: number = Date.now()): string {
	const minutes = Math.floor((now - fetchedAt) / 60_000);
	if (minutes < 1) return t('ago.justNow');
	if (minutes < 60) return t('ago.minutes', { count: minutes });
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return t('ago.hours', { count: hours });
	return t('ago.days', { count: Math.floor(hours / 24) });
}

/** "离线 · 数据更新于 10 分钟前": said over data that came from the phone, not the server. */
export function offlineAgeText(fetchedAt: number, now: number = Date.now()): string {
	return t('age.offlineUpdated', { ago: agoText(fetchedAt, now) });
}
