// The development mailbox: the mails the stand-in "sent" (OTP codes), as a phone-friendly page and
// as JSON for tests. Nothing leaves the machine. The codes in it sign anyone in, so only the
// stand-in's own pages and programs that send no Origin (tests, curl) may read it.
import type { Backend } from './backend.ts';
import { header, jsonReply } from './http.ts';
import type { Reply, StandInRequest } from './http.ts';

export type OtpMail = { subject: string; body: string };

export function composeOtpMail(input: {
	code: string;
	kind: 'signup' | 'magiclink';
	validMinutes: number;
}): OtpMail {
	const purpose =
		input.kind === 'signup'
			? '欢迎加入「工会活动」。请输入以下验证码完成注册并登录：\nWelcome to Union Activities. Enter this code to confirm your address and sign in:'
			: '请输入以下验证码登录「工会活动」：\nEnter this code to sign in to Union Activities:';
	return {
		subject: '「工会活动」登录验证码 / Your sign-in code',
		body: [
			purpose,
			'',
			`    ${input.code}`,
			'',
			`验证码 ${input.validMinutes} 分钟内有效，只能使用一次。如果不是您本人操作，请忽略本邮件。`,
			`The code is valid for ${input.validMinutes} minutes and can be used once. If you did not ask for it, ignore this mail.`
		].join('\n')
	};
}

type MailRow = {
	id: string;
	to_email: string;
	subject: string;
	body: string;
	code: string | null;
	created_at: string;
};

async function listMails(
	backend: Backend,
	email: string | null,
	limit: number
): Promise<MailRow[]> {
	return backend.transaction(
		(tx) =>
			tx.query<MailRow>(
				// Ordered by the column, not by the text `id` of the select list ('9' > '10').
				`select m.id::text as id, m.to_email, m.subject, m.body, m.code,
				        to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
				 from auth.standin_mailbox m
				 where $1::text is null or m.to_email = lower($1::text)
				 order by m.id desc limit $2::int`,
				[email, String(limit)]
			),
		{ readOnly: true }
	);
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Codes must not be cached, framed or leak through a Referer. */
const PRIVATE_HEADERS = {
	'Cache-Control': 'no-store',
	'X-Frame-Options': 'DENY',
	'Referrer-Policy': 'no-referrer'
};

/**
 * A 403 unless the request comes from the mailbox's own origin: no Origin or the stand-in's own,
 * no Sec-Fetch-Site or `same-origin`/`none` (typed in the address bar), and a loopback name in
 * Host (a foreign name is DNS rebinding: its pages would count as same-origin). Another port of
 * the same host, the app's included, is another origin and is refused.
 */
export function mailboxRefusal(req: StandInRequest): Reply | undefined {
	const host = (header(req.headers, 'host') ?? '').toLowerCase();
	const origin = header(req.headers, 'origin')?.toLowerCase();
	const site = header(req.headers, 'sec-fetch-site')?.toLowerCase();
	const loopbackHost = LOOPBACK_NAMES.has(host.replace(/:\d+$/, ''));
	const ownOrigin = origin === undefined || origin === `http://${host}`;
	const ownSite = site === undefined || site === 'same-origin' || site === 'none';
	if (loopbackHost && ownOrigin && ownSite) return undefined;
	return jsonReply(
		403,
		{
			message:
				'The development mailbox answers its own pages only: open it from the address the stand-in printed.'
		},
		PRIVATE_HEADERS
	);
}

export async function handleMailbox(req: StandInRequest, backend: Backend): Promise<Reply> {
	if (req.method !== 'GET' && req.method !== 'HEAD') {
		return jsonReply(405, { message: 'Method not allowed' });
	}
	// An empty ?email= lists every mail, like no filter at all.
	const email = req.query.get('email')?.trim().toLowerCase() || null; // eslint-disable-line @typescript-eslint/prefer-nullish-coalescing
	if (req.path === '/api/messages' || req.path === '/api/messages/') {
		const rows = await listMails(backend, email, 200);
		return jsonReply(
			200,
			rows.map((row) => ({
				id: Number(row.id),
				to: row.to_email,
				subject: row.subject,
				text: row.body,
				code: row.code,
				created_at: row.created_at
			})),
			PRIVATE_HEADERS
		);
	}
	if (req.path === '' || req.path === '/') {
		const rows = await listMails(backend, email, 100);
		return {
			status: 200,
			headers: { 'Content-Type': 'text/html; charset=utf-8', ...PRIVATE_HEADERS },
			body: page(rows, email)
		};
	}
	return jsonReply(404, { message: 'Not found' });
}

function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(rows: MailRow[], email: string | null): string {
	const items = rows
		.map(
			(row) => `<li>
	<div class="meta"><span>收件人 To: <b>${escapeHtml(row.to_email)}</b></span><time datetime="${escapeHtml(row.created_at)}">${escapeHtml(row.created_at)}</time></div>
	<div class="subject">${escapeHtml(row.subject)}</div>
	${row.code ? `<div class="code" aria-label="验证码 code">${escapeHtml(row.code)}</div>` : ''}
	<details><summary>正文 Full text</summary><pre>${escapeHtml(row.body)}</pre></details>
</li>`
		)
		.join('\n');
	return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>开发邮箱 Dev mailbox</title>
<style>
body { font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; padding: 1rem; background: #f6f6f6; color: #222; }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
p.note { margin: 0 0 1rem; color: #555; font-size: .9rem; }
form { display: flex; gap: .5rem; margin-bottom: 1rem; }
input { flex: 1; font-size: 1rem; padding: .5rem; min-width: 0; }
button { font-size: 1rem; padding: .5rem 1rem; }
ul { list-style: none; padding: 0; margin: 0; }
li { background: #fff; border-radius: .5rem; padding: .75rem; margin-bottom: .75rem; box-shadow: 0 1px 2px #0002; }
.meta { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .25rem; font-size: .85rem; color: #555; }
.subject { margin: .35rem 0; font-weight: 600; }
.code { font-size: 2rem; letter-spacing: .3rem; font-family: ui-monospace, monospace; }
pre { white-space: pre-wrap; font-size: .85rem; }
</style>
</head>
<body>
<h1>开发邮箱 · Development mailbox</h1>
<p class="note">本地替身服务“发送”的邮件（不会真的发出）。Mails the local stand-in "sent"; nothing leaves this machine. 每 10 秒刷新 / refreshes every 10 s.</p>
<form method="get"><input type="email" name="email" placeholder="按邮箱筛选 Filter by email" value="${escapeHtml(email ?? '')}"><button>筛选 Filter</button></form>
${rows.length ? `<ul>${items}</ul>` : '<p>还没有邮件。No mail yet.</p>'}
</body>
</html>`;
}
