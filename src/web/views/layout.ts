import { createHash } from 'node:crypto';
import type { AccountRole } from '../../accounts/account.entity.js';
import { type Html, html, trusted } from '../core/html.js';
import { PASSKEY_SCRIPT_SOURCE } from './passkey-script.js';

/** Who is looking at a page, and the CSRF token its forms carry. */
export interface Viewer {
  login: string;
  role: AccountRole;
  csrf: string;
}

const CSS = `
:root{color-scheme:light;--fg:#1d2433;--muted:#5a6478;--line:#d5dae3;--bg:#f6f7f9;--card:#fff;--accent:#1f5fbf;--ok:#146c2e;--bad:#a11d2b;--warn:#7a4b00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{background:#17223b;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:1rem}
header a{color:#fff}
.brand{font-weight:700;letter-spacing:.02em;margin-right:.5rem}
header nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .9rem}
header nav a{text-decoration:none;padding:.15rem 0}
header nav a[aria-current=page]{border-bottom:2px solid #fff}
header .who{margin-left:auto;display:flex;align-items:center;gap:.5rem}
header button{background:transparent;color:#fff;border:1px solid #8c9ab8}
main{max-width:68rem;margin:1rem auto;padding:0 1rem 2rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:0 0 .6rem}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem 1.2rem;margin:0 0 1rem;overflow-x:auto}
td.detail{min-width:13rem;font-size:.9rem}td.detail code{overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;color:var(--muted);padding:0 0 .3rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#eef1f5}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
label.inline{display:inline}
.hint{font-weight:400;color:var(--muted);font-size:.9rem}
input[type=text],input[type=password],input[type=email],input[type=search],input[type=datetime-local],select,textarea{width:100%;max-width:32rem;padding:.4rem .5rem;border:1px solid #9aa3b5;border-radius:4px;font:inherit}
textarea{font-family:ui-monospace,Menlo,Consolas,monospace;max-width:40rem}
button{font:inherit;padding:.35rem .8rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.8rem;align-items:center}
ul.actions{list-style:none;padding:0;margin:0 0 1rem}
time{white-space:nowrap}
.filters{display:flex;flex-wrap:wrap;gap:.2rem 1rem;align-items:end}
.filters label{margin-top:0}
.filters input,.filters select{width:14rem}
.notice,.error,.secret{border-radius:6px;padding:.7rem 1rem;margin:0 0 1rem}
.notice{background:#e7f4ea;border:1px solid #9fd0ac}
.error{background:#fbe9eb;border:1px solid #e3a3ab}
.secret{background:#fff8e1;border:2px solid #e0b341}
.secret code{font-size:1.15rem;padding:.2rem .4rem;background:#fff;border:1px solid var(--line);border-radius:4px;word-break:break-all}
code,kbd{font-family:ui-monospace,Menlo,Consolas,monospace}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.85rem;border:1px solid currentColor}
.state-ok{color:var(--ok)}.state-bad{color:var(--bad)}.state-warn{color:var(--warn)}.state-muted{color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
footer{max-width:68rem;margin:0 auto;padding:0 1rem 2rem;color:var(--muted);font-size:.9rem}
`.trim();

// Progressive enhancement only: every page works without it. Copy buttons are hidden until this
// runs; without a clipboard (plain http) the secret is selected for Ctrl+C instead.
const JS = `
document.querySelectorAll('[data-copy]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () {
    var t = document.getElementById(b.getAttribute('data-copy'));
    if (!t) return;
    var select = function () { var r = document.createRange(); r.selectNodeContents(t); var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); b.textContent = 'Selected: press Ctrl+C'; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(t.textContent.trim()).then(function () { b.textContent = 'Copied'; }, select);
    else select();
  });
});
`.trim();

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/**
 * No external assets and nothing inline but the one style sheet and one script above, allowed by
 * their hashes: a page that somehow carried injected markup could still run nothing.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(CSS)}`,
  // The passkey forms' script (views/passkey-script.ts), on the pages that carry one.
  `script-src ${sha256(JS)} ${PASSKEY_SCRIPT_SOURCE}`,
  "img-src 'self'",
  // The passkey script asks this service (only) for a ceremony's options.
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface LayoutOptions {
  title: string;
  viewer: Viewer | null;
  /** The nav entry to mark as the current page. */
  active?: string;
  notice?: string | null;
  error?: string | Html | null;
}

const USER_NAV: [string, string][] = [
  ['/mypage', 'MyPage'],
  ['/mypage/sublogins', 'Sublogins'],
  ['/mypage/security', 'Security'],
  ['/developer', 'Developer'],
];
const OPERATOR_NAV: [string, string][] = [
  ['/operator/applications', 'Applications'],
  ['/operator/accounts', 'Accounts'],
  ['/operator/audit', 'Audit log'],
  ['/operator/legacy', 'Legacy Basic'],
];

export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** A one-button form that POSTs to `action` (with the CSRF token). */
export function postButton(viewer: Viewer, action: string, label: string, opts: { className?: string; extra?: Html } = {}): Html {
  return html`<form class="inline" method="post" action="${action}">${csrfField(viewer)}${opts.extra ?? ''}<button type="submit" class="${opts.className ?? ''}">${label}</button></form>`;
}

/** An instant as `2025-01-31 14:05 UTC`, machine-readable in `datetime`; "never" for null. */
export function when(d: Date | null | undefined, never = 'never'): Html {
  if (!d) return html`<span class="state-muted">${never}</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A secret shown exactly once, with a copy button (hidden without JavaScript). */
export function secretPanel(id: string, heading: string, value: string, explanation: Html | string): Html {
  return html`<section class="secret" aria-labelledby="${id}-h" role="status">
<h2 id="${id}-h">${heading}</h2>
<p>${explanation}</p>
<p><code id="${id}">${value}</code> <button type="button" class="secondary" data-copy="${id}" hidden>Copy</button></p>
<p class="hint">It is shown only on this page and cannot be displayed again; leaving or reloading this page loses it.</p>
</section>`;
}

export function layout(o: LayoutOptions, body: Html): Html {
  const nav = (items: [string, string][]) =>
    items.map(([href, label]) => html`<li><a href="${href}"${o.active === href ? trusted(' aria-current="page"') : ''}>${label}</a></li>`);
  const v = o.viewer;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${o.title} · Portcullis</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Portcullis</span>
${
  v
    ? html`<nav aria-label="Main"><ul>${nav(USER_NAV)}${v.role === 'admin' ? nav(OPERATOR_NAV) : ''}<li><a href="/docs">API docs</a></li></ul></nav>
<div class="who"><span>Signed in as <strong>${v.login}</strong>${v.role === 'admin' ? ' (operator)' : ''}</span>${postButton(v, '/sign-out', 'Sign out')}</div>`
    : html`<nav aria-label="Main"><ul><li><a href="/sign-in">Sign in</a></li><li><a href="/docs">API docs</a></li></ul></nav>`
}
</header>
<main id="main">
<h1>${o.title}</h1>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
${o.error ? html`<div class="error" role="alert">${o.error}</div>` : ''}
${body}
</main>
<footer>Portcullis · <a href="/docs">API documentation</a></footer>
<script>${trusted(JS)}</script>
</body>
</html>
`;
}
