/** The page frame: one inline stylesheet (allowed by its CSP hash), the nav, flash messages. */
import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DashboardSession } from '../session';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const STYLESHEET = `
*,*::before,*::after{box-sizing:border-box}
:root{--ink:#1c2733;--muted:#5f6b7a;--line:#dfe3e8;--bg:#f5f7f9;--card:#fff;--brand:#1f5fbf;--brand-dark:#174a96;--ok:#1d7a46;--ok-bg:#e3f4ea;--warn:#8a5a00;--warn-bg:#fff3d6;--bad:#b42318;--bad-bg:#fde8e6;--info-bg:#e8f0fc}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
body{margin:0}
a{color:var(--brand)}
header.top{background:#12263f;color:#fff}
header.top .bar{max-width:1180px;margin:0 auto;padding:0 20px;display:flex;align-items:center;gap:24px;height:56px}
header.top .brand{font-weight:700;letter-spacing:.2px;color:#fff;text-decoration:none;white-space:nowrap}
header.top .brand small{font-weight:400;color:#aebbd0;margin-left:8px}
nav.main{display:flex;gap:4px;flex:1}
nav.main a{color:#d5deea;text-decoration:none;padding:8px 12px;border-radius:6px}
nav.main a:hover{background:#1e3a5f;color:#fff}
nav.main a[aria-current=page]{background:#2b4f7e;color:#fff}
.who{display:flex;align-items:center;gap:10px;color:#aebbd0;font-size:13px;white-space:nowrap}
.who button{background:transparent;color:#fff;border:1px solid #4a6283;padding:5px 10px}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px}
.card h2:first-child{margin-top:0}
.sub{color:var(--muted);margin:0 0 20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-bottom:18px}
table{width:100%;border-collapse:collapse;background:var(--card)}
th,td{text-align:left;padding:9px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted);font-weight:600;background:#fafbfc}
tr:last-child td{border-bottom:0}
.table{border:1px solid var(--line);border-radius:10px;overflow-x:auto;margin-bottom:18px}
.nowrap{white-space:nowrap}
.muted{color:var(--muted)}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;font-size:12px;font-weight:600;background:#eef1f4;color:var(--muted);white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.bad{background:var(--bad-bg);color:var(--bad)}.badge.info{background:var(--info-bg);color:var(--brand)}
button,.button{font:inherit;font-size:14px;padding:7px 14px;border-radius:7px;border:1px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button:hover,.button:hover{background:var(--brand-dark)}
button.secondary{background:#fff;color:var(--ink);border-color:var(--line)}
button.secondary:hover{background:#f0f3f6}
button.danger{background:#fff;color:var(--bad);border-color:#f0b8b2}
button.danger:hover{background:var(--bad-bg)}
button.small{font-size:12px;padding:4px 9px}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:6px}
label{display:block;font-weight:600;margin:0 0 6px}
input[type=text],input[type=email],input[type=password],select{font:inherit;width:100%;max-width:380px;padding:8px 10px;border:1px solid #c5ccd5;border-radius:7px;background:#fff}
input:focus,select:focus,button:focus{outline:2px solid #8db3ec;outline-offset:1px}
.field{margin-bottom:16px}
.checks{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:6px 16px;max-width:720px}
.checks label{font-weight:400;display:flex;gap:8px;align-items:center;margin:0}
.flash{padding:10px 14px;border-radius:8px;margin-bottom:18px;border:1px solid}
.flash.ok{background:var(--ok-bg);border-color:#b5e0c6;color:var(--ok)}
.flash.bad{background:var(--bad-bg);border-color:#f3c1bb;color:var(--bad)}
.secret{display:block;padding:12px 14px;background:#0f1d2e;color:#e8f0fb;border-radius:8px;word-break:break-all;font-size:14px;margin:8px 0 12px}
.tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid var(--line);margin-bottom:16px}
.tabs a{padding:8px 12px;text-decoration:none;color:var(--muted);border-bottom:2px solid transparent;margin-bottom:-1px}
.tabs a[aria-current=page]{color:var(--ink);border-bottom-color:var(--brand);font-weight:600}
.tabs .count{font-size:12px;background:#eef1f4;border-radius:999px;padding:1px 7px;margin-left:4px}
.toolbar{display:flex;align-items:center;gap:10px;margin-bottom:16px;flex-wrap:wrap}
.toolbar .spacer{flex:1}
.week{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:10px}
.day{background:var(--card);border:1px solid var(--line);border-radius:10px;min-height:180px;display:flex;flex-direction:column}
.day.today{border-color:var(--brand);box-shadow:0 0 0 1px var(--brand)}
.day h3{margin:0;font-size:14px;padding:10px 10px 2px}
.day .hours{font-size:12px;color:var(--muted);padding:0 10px 8px;border-bottom:1px solid var(--line)}
.day ol{list-style:none;margin:0;padding:8px;display:flex;flex-direction:column;gap:6px}
.item{border-radius:7px;padding:6px 8px;font-size:13px;border-left:4px solid}
.item .t{font-weight:600;font-variant-numeric:tabular-nums}
.item.appt{background:var(--info-bg);border-color:var(--brand)}
.item.appt.cancelled{background:#f3f4f6;border-color:#9aa4b1;color:var(--muted);text-decoration:line-through}
.item.block{background:#fbeee2;border-color:#c8741a}
.item.open{background:var(--ok-bg);border-color:#51a873;color:#205c37}
.empty{color:var(--muted);font-size:13px;padding:10px}
.legend{display:flex;gap:14px;font-size:13px;color:var(--muted)}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.legend .l-appt::before{background:var(--brand)}.legend .l-block::before{background:#c8741a}.legend .l-open::before{background:#51a873}
.login{max-width:400px;margin:72px auto}
.login h1{margin-bottom:16px}
.login input{max-width:none}
.pager{display:flex;gap:10px;align-items:center;margin-top:8px}
.fields{display:grid;grid-template-columns:max-content 1fr;gap:8px 20px;margin:0}
.fields dt{color:var(--muted);font-weight:600}
.fields dd{margin:0;white-space:pre-line}
@media (max-width:900px){.week{grid-template-columns:1fr}header.top .bar{flex-wrap:wrap;height:auto;padding:10px 20px}}
`;

/** The CSP source that allows exactly this stylesheet and nothing else inline. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLESHEET, 'utf8').digest('base64')}`;

export type Section = 'calendar' | 'contacts' | 'webhooks' | 'api-keys';

export interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

const NAV: Array<[Section, string, string]> = [
  ['calendar', 'Calendar', '/dashboard/calendar'],
  ['contacts', 'Campaign contacts', '/dashboard/contacts'],
  ['webhooks', 'Webhooks', '/dashboard/webhooks'],
  ['api-keys', 'Setup → API keys', '/dashboard/setup/api-keys'],
];

function document(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · QualifyBase</title>
<style>${raw(STYLESHEET)}</style>
</head>
<body>
${body}
</body>
</html>`;
}

export function csrfField(session: DashboardSession): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
}

/** A signed-in page; `section` is the nav entry it belongs to (none for a lead's page). */
export function page(opts: { title: string; section?: Section; session: DashboardSession; flash?: Flash; body: Html }): Html {
  const { title, section, session, flash, body } = opts;
  return document(
    title,
    html`<header class="top"><div class="bar">
<a class="brand" href="/dashboard">QualifyBase<small>${session.clinicName}</small></a>
<nav class="main" aria-label="Dashboard">${NAV.map(
      ([key, label, href]) => html`<a href="${href}"${key === section ? raw(' aria-current="page"') : ''}>${label}</a>`,
    )}</nav>
<div class="who"><span>${session.email}</span>
<form class="inline" method="post" action="/dashboard/logout">${csrfField(session)}<button type="submit">Sign out</button></form></div>
</div></header>
<main>
${flash ? html`<div class="flash ${flash.kind}" role="status">${flash.text}</div>` : ''}
${body}
</main>`,
  );
}

/** A page outside the signed-in frame: sign-in and errors. */
export function barePage(title: string, body: Html): Html {
  return document(
    title,
    html`<header class="top"><div class="bar"><a class="brand" href="/dashboard">QualifyBase</a></div></header><main>${body}</main>`,
  );
}

export function errorPage(status: number, message: string): Html {
  return barePage(
    `Error ${status}`,
    html`<div class="login card"><h1>${status === 404 ? 'Not found' : status === 403 ? 'Refused' : 'Something went wrong'}</h1>
<p>${message}</p><p><a href="/dashboard">Back to the dashboard</a></p></div>`,
  );
}

// ---- formatting in the clinic's time zone ----

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, kind: 'datetime' | 'time' | 'day' | 'stamp'): Intl.DateTimeFormat {
  const key = `${timeZone}|${kind}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'time'
        ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : kind === 'day'
          ? { weekday: 'short', day: 'numeric', month: 'short' }
          : kind === 'stamp'
            ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
            : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    f = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

export const formatDateTime = (value: string | Date | null, timeZone: string) =>
  value === null ? '—' : formatter(timeZone, 'datetime').format(new Date(value));
/** Short, to the second: for delivery logs. */
export const formatStamp = (value: string | Date, timeZone: string) => formatter(timeZone, 'stamp').format(new Date(value));
export const formatTime = (value: string | Date | number, timeZone: string) => formatter(timeZone, 'time').format(new Date(value));
export const formatDay = (value: number, timeZone: string) => formatter(timeZone, 'day').format(new Date(value));

export function statusBadge(status: string): Html {
  const tone: Record<string, string> = {
    succeeded: 'ok',
    qualified: 'ok',
    active: 'ok',
    confirmed: 'info',
    pending: 'warn',
    callback_requested: 'info',
    failed: 'bad',
    disabled: 'bad',
    revoked: 'bad',
    not_interested: 'bad',
    exhausted: '',
  };
  return html`<span class="badge ${tone[status] ?? ''}">${status.replace(/_/g, ' ')}</span>`;
}
