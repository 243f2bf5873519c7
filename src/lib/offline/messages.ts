// The offline layer's words, in both languages. Kept beside the code that uses them (the shared
// message files belong to the pages); `ot()` follows the app's chosen language.
import { isRefusalReason } from '#lib/data/errors.ts';
import { locale, t } from '#lib/i18n/locale.svelte.ts';
import type { Locale, MessageParams } from '#lib/i18n/translate.ts';

const zh = {
	'sync.pending': '{count} 项已保存在本机，待上传',
	'sync.syncing': '正在同步 {count} 项…',
	'sync.offline': '离线 · {count} 项已保存在本机',
	'sync.offlineIdle': '离线',
	'sync.allSynced': '已全部同步',
	'sync.allSyncedAt': '已全部同步 · {time}',
	'sync.authRequired': '请登录以上传 {count} 项',
	'sync.attention': '{count} 项需要处理',
	'sync.error': '同步遇到问题，稍后自动重试 · {count} 项待上传',
	'sync.syncNow': '立即同步',
	'sync.signIn': '去登录',
	'sync.details': '详情',
	'sync.savedOnPhone': '已保存在本机',
	'sync.notSaved': '未能保存：本机存储不可用或已满。请重试或联网后再操作。',
	'sync.noStorage':
		'此手机无法离线保存操作（可能是无痕/隐私模式或浏览器限制）。离线时的操作不会被保存，请联网后再操作。',
	'sync.offlineNoStorage': '当前离线，且此手机无法离线保存。请联网后再试。',
	'sync.parked': '本机有 {count} 项操作等待其账号登录后上传',
	'item.pending': '待上传',
	'item.synced': '已同步',
	'item.rejected': '未被接受',
	'item.blocked': '无法上传',
	'item.signInNeeded': '需要登录',
	'kind.signup': '报名',
	'kind.cancel_signup': '取消报名',
	'kind.check_in': '签到',
	'kind.walk_in': '现场报名签到',
	'kind.undo_check_in': '撤销签到',
	'reason.wrong_user': '这项操作属于另一个账号。',
	'reason.id_reuse': '操作编号冲突，未被接受。',
	'reason.malformed': '操作内容无效。',
	'reason.unknown_kind': '服务器不认识这种操作，请更新应用。',
	'reason.unsupported_version': '应用版本过旧，请更新应用。',
	'reason.internal': '服务器处理出错，请稍后重新操作或联系工会办公室。',
	'reason.nothing_to_cancel': '没有可取消的报名。',
	'reason.stale_target': '报名已有更新，这次取消未执行。',
	'reason.schema': '这项操作来自旧版本应用，无法上传。',
	'reason.poison': '服务器多次拒绝这项操作。',
	'reason.unknown': '原因：{code}',
	'update.available': '新版本可用',
	'update.apply': '更新',
	'update.applying': '正在更新…',
	'update.later': '稍后',
	'update.waitSync': '同步完成后更新',
	'update.blocked': '请关闭本应用的其他标签页以完成更新。',
	'age.justNow': '刚刚更新',
	'age.minutes': '{count} 分钟前的数据',
	'age.hours': '{count} 小时前的数据',
	'age.days': '{count} 天前的数据',
	'age.offlineData': '离线 · 显示的是 {age}',
	'diag.title': '诊断信息',
	'diag.device': '设备编号',
	'diag.user': '当前账号',
	'diag.storage': '本机存储',
	'diag.persisted': '持久存储',
	'diag.persistedYes': '已授予（浏览器不会自动清除）',
	'diag.persistedNo': '未授予（存储紧张时可能被清除）',
	'diag.unknown': '未知',
	'diag.usage': '已用 {usage} / 配额 {quota}',
	'diag.capable': '离线保存',
	'diag.capableYes': '可用',
	'diag.capableNo': '不可用',
	'diag.lastSync': '上次同步',
	'diag.never': '从未',
	'diag.state': '同步状态',
	'diag.outbox': '待上传队列',
	'diag.empty': '没有记录',
	'diag.seq': '序号',
	'diag.kind': '操作',
	'diag.status': '状态',
	'diag.attempts': '尝试次数',
	'diag.lastError': '最近错误',
	'diag.created': '创建时间',
	'diag.sw': 'Service Worker',
	'diag.swActive': '已启用',
	'diag.swNone': '未启用（此浏览器不支持或尚未安装）',
	'diag.dismiss': '不再显示',
	'diag.discard': '删除',
	'phase.idle': '空闲',
	'phase.syncing': '同步中',
	'phase.offline': '离线',
	'phase.auth_required': '需要登录',
	'phase.error': '出错，将重试',
	'age.offlineUpdated': '离线 · 数据更新于 {ago}',
	'ago.justNow': '刚刚',
	'ago.minutes': '{count} 分钟前',
	'ago.hours': '{count} 小时前',
	'ago.days': '{count} 天前',
	'reg.savedWaiting': '已保存在本机，等待同步',
	'reg.signupPendingBody': '联网后会自动提交报名，是否报上以服务器的答复为准。',
	'reg.cancelPendingBody': '联网后会自动取消报名。',
	'reg.pendingBadge': '待同步',
	'reg.signupRefused': '报名未成功',
	'reg.cancelRefused': '取消未成功',
	'reg.blocked': '这项操作无法上传，请重新操作。',
	'reg.dismiss': '知道了',
	'reg.offlineNoStorage': '当前离线，且此手机无法离线保存。请联网后再试。',
	'list.pendingSignup': '报名待同步',
	'list.pendingCancel': '取消待同步',
	'my.pendingTitle': '等待同步',
	'my.pendingSignup': '报名已保存在本机，等待同步',
	'my.pendingCancel': '取消报名已保存在本机，等待同步',
	'my.unknownActivity': '活动（离线时未能读取名称）',
	'logout.title': '有 {count} 条操作尚未上传',
	'logout.body':
		'它们保存在这台手机上。退出后仍会保留，只在您再次登录时上传，绝不会以其他账号的身份上传。',
	'logout.offline': '当前离线，暂时无法同步。',
	'logout.syncNow': '立即同步',
	'logout.syncing': '正在同步…',
	'logout.keep': '退出，保留到下次登录时上传',
	'logout.discard': '删除这 {count} 条操作并退出',
	'logout.discardConfirm': '确定删除 {count} 条未上传的操作？删除后无法恢复。',
	'logout.discardYes': '确定删除 {count} 条并退出',
	'logout.stay': '不退出',
	'nudge.title': '添加到主屏幕',
	'nudge.body':
		'在 Safari 中点“分享”按钮，再选“添加到主屏幕”。从主屏幕打开本应用，离线签到的数据不会被系统自动清除。',
	'nudge.dismiss': '知道了'
} as const;

export type OfflineMessageKey = keyof typeof zh;

const en: Record<OfflineMessageKey, string> = {
	'sync.pending': '{count} saved on this phone, waiting to upload',
	'sync.syncing': 'Syncing {count}…',
	'sync.offline': 'Offline · {count} saved on this phone',
	'sync.offlineIdle': 'Offline',
	'sync.allSynced': 'All synced',
	'sync.allSyncedAt': 'All synced · {time}',
	'sync.authRequired': 'Sign in to upload {count}',
	'sync.attention': '{count} needs attention',
	'sync.error': 'Sync problem, retrying automatically · {count} waiting',
	'sync.syncNow': 'Sync now',
	'sync.signIn': 'Sign in',
	'sync.details': 'Details',
	'sync.savedOnPhone': 'Saved on this phone',
	'sync.notSaved':
		'Not saved: storage on this phone is unavailable or full. Try again, or when online.',
	'sync.noStorage':
		'This phone cannot keep offline work (private browsing or a browser restriction). Actions taken offline are not saved; please act when online.',
	'sync.offlineNoStorage':
		'You are offline and this phone cannot keep offline work. Try again when online.',
	'sync.parked': '{count} actions on this phone wait for their account to sign in',
	'item.pending': 'Waiting to upload',
	'item.synced': 'Synced',
	'item.rejected': 'Not accepted',
	'item.blocked': 'Cannot upload',
	'item.signInNeeded': 'Sign-in needed',
	'kind.signup': 'Sign-up',
	'kind.cancel_signup': 'Cancel sign-up',
	'kind.check_in': 'Check-in',
	'kind.walk_in': 'Walk-in check-in',
	'kind.undo_check_in': 'Undo check-in',
	'reason.wrong_user': 'This action belongs to another account.',
	'reason.id_reuse': 'The action id clashed; it was not accepted.',
	'reason.malformed': 'The action was not valid.',
	'reason.unknown_kind': 'The server does not know this action; please update the app.',
	'reason.unsupported_version': 'This app version is too old; please update the app.',
	'reason.internal':
		'The server failed to process it. Please try again later or contact the union office.',
	'reason.nothing_to_cancel': 'There was no sign-up to cancel.',
	'reason.stale_target': 'The sign-up changed since; this cancellation was not applied.',
	'reason.schema': 'This action comes from an old app version and cannot be uploaded.',
	'reason.poison': 'The server refused this action several times.',
	'reason.unknown': 'Reason: {code}',
	'update.available': 'New version available',
	'update.apply': 'Update',
	'update.applying': 'Updating…',
	'update.later': 'Later',
	'update.waitSync': 'Updating after sync',
	'update.blocked': 'Close the other tabs of this app to finish the update.',
	'age.justNow': 'Just updated',
	'age.minutes': 'Data from {count} min ago',
	'age.hours': 'Data from {count} h ago',
	'age.days': 'Data from {count} days ago',
	'age.offlineData': 'Offline · showing {age}',
	'diag.title': 'Diagnostics',
	'diag.device': 'Device id',
	'diag.user': 'Account',
	'diag.storage': 'Storage on this phone',
	'diag.persisted': 'Persistent storage',
	'diag.persistedYes': 'Granted (the browser will not clear it on its own)',
	'diag.persistedNo': 'Not granted (may be cleared when space runs low)',
	'diag.unknown': 'Unknown',
	'diag.usage': '{usage} used of {quota}',
	'diag.capable': 'Offline saving',
	'diag.capableYes': 'Available',
	'diag.capableNo': 'Unavailable',
	'diag.lastSync': 'Last sync',
	'diag.never': 'Never',
	'diag.state': 'Sync state',
	'diag.outbox': 'Outbox',
	'diag.empty': 'Nothing here',
	'diag.seq': 'Seq',
	'diag.kind': 'Action',
	'diag.status': 'Status',
	'diag.attempts': 'Attempts',
	'diag.lastError': 'Last error',
	'diag.created': 'Created',
	'diag.sw': 'Service worker',
	'diag.swActive': 'Active',
	'diag.swNone': 'None (not supported here, or not installed yet)',
	'diag.dismiss': 'Hide',
	'diag.discard': 'Delete',
	'phase.idle': 'Idle',
	'phase.syncing': 'Syncing',
	'phase.offline': 'Offline',
	'phase.auth_required': 'Sign-in needed',
	'phase.error': 'Error, will retry',
	'age.offlineUpdated': 'Offline · data from {ago}',
	'ago.justNow': 'just now',
	'ago.minutes': '{count} min ago',
	'ago.hours': '{count} h ago',
	'ago.days': '{count} days ago',
	'reg.savedWaiting': 'Saved on this phone, waiting to sync',
	'reg.signupPendingBody':
		'The sign-up is sent as soon as the phone is online; the server decides whether you get a place.',
	'reg.cancelPendingBody': 'The cancellation is sent as soon as the phone is online.',
	'reg.pendingBadge': 'Waiting to sync',
	'reg.signupRefused': 'Sign-up not accepted',
	'reg.cancelRefused': 'Cancellation not accepted',
	'reg.blocked': 'This action could not be uploaded; please do it again.',
	'reg.dismiss': 'OK',
	'reg.offlineNoStorage':
		'You are offline and this phone cannot keep offline work. Try again when online.',
	'list.pendingSignup': 'Sign-up waiting to sync',
	'list.pendingCancel': 'Cancellation waiting to sync',
	'my.pendingTitle': 'Waiting to sync',
	'my.pendingSignup': 'Sign-up saved on this phone, waiting to sync',
	'my.pendingCancel': 'Cancellation saved on this phone, waiting to sync',
	'my.unknownActivity': 'Activity (name not available offline)',
	'logout.title': '{count} actions not uploaded yet',
	'logout.body':
		'They are saved on this phone. They stay after you log out and are uploaded only when you sign in again, never under another account.',
	'logout.offline': 'You are offline; syncing is not possible right now.',
	'logout.syncNow': 'Sync now',
	'logout.syncing': 'Syncing…',
	'logout.keep': 'Log out and keep them for next sign-in',
	'logout.discard': 'Discard {count} and log out',
	'logout.discardConfirm': 'Discard {count} actions that were not uploaded? This cannot be undone.',
	'logout.discardYes': 'Yes, discard {count} and log out',
	'logout.stay': 'Stay signed in',
	'nudge.title': 'Add to Home Screen',
	'nudge.body':
		'In Safari, tap the Share button, then “Add to Home Screen”. Opened from the Home Screen, the app keeps offline check-ins safe from automatic clean-up.',
	'nudge.dismiss': 'OK'
};

const dictionaries: Record<Locale, Record<OfflineMessageKey, string>> = { 'zh-CN': zh, en };

export function offlineText(
	language: Locale,
	key: OfflineMessageKey,
	params?: MessageParams
): string {
	const template = dictionaries[language][key];
	if (params === undefined) return template;
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
		const value = params[name];
		return value === undefined ? whole : String(value);
	});
}

/** In the current language; reading `locale.current` re-renders templates on a switch. */
export function ot(key: OfflineMessageKey, params?: MessageParams): string {
	return offlineText(locale.current, key, params);
}

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
	if (code != null && OWN_REASONS.has(code)) return ot(`reason.${code}` as OfflineMessageKey);
	return ot('reason.unknown', { code: code ?? '?' });
}

/** "10 分钟前" / "10 min ago": how long ago a read was made. */
export function agoText(fetchedAt: number, now: number = Date.now()): string {
	const minutes = Math.floor((now - fetchedAt) / 60_000);
	if (minutes < 1) return ot('ago.justNow');
	if (minutes < 60) return ot('ago.minutes', { count: minutes });
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return ot('ago.hours', { count: hours });
	return ot('ago.days', { count: Math.floor(hours / 24) });
}

/** "离线 · 数据更新于 10 分钟前": said over data that came from the phone, not the server. */
export function offlineAgeText(fetchedAt: number, now: number = Date.now()): string {
	return ot('age.offlineUpdated', { ago: agoText(fetchedAt, now) });
}

/** "Data from 3 h ago" for a read's timestamp. */
export function ageText(fetchedAt: number, now: number = Date.now()): string {
	const minutes = Math.floor((now - fetchedAt) / 60_000);
	if (minutes < 1) return ot('age.justNow');
	if (minutes < 60) return ot('age.minutes', { count: minutes });
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return ot('age.hours', { count: hours });
	return ot('age.days', { count: Math.floor(hours / 24) });
}
