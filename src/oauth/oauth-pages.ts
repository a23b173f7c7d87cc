import { createHash } from 'node:crypto';
import { describeScope } from './core/scopes.js';

/**
 * The authorization server's HTML pages (contract §4.4): sign-in, consent, the device flow's code
 * pages and errors. Small, server-rendered, no script and no external asset; every value is
 * escaped. The one inline stylesheet is allowed by its hash in the Content-Security-Policy.
 */
const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5}
body{margin:0;padding:2rem 1rem;background:Canvas;color:CanvasText}
main{max-width:26rem;margin:0 auto}
h1{font-size:1.4rem;margin:0 0 1rem}
p,ul{margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.55rem;font-size:1rem;border:1px solid GrayText;border-radius:4px}
.actions{display:flex;gap:.75rem;margin-top:1.25rem;flex-wrap:wrap}
button{font-size:1rem;padding:.55rem 1.1rem;border-radius:4px;border:1px solid GrayText;cursor:pointer}
button.primary{background:#1a56db;color:#fff;border-color:#1a56db}
button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error{border-left:4px solid #c81e1e;padding:.5rem .75rem;background:color-mix(in srgb,#c81e1e 10%,Canvas)}
.note{font-size:.9rem;opacity:.85}
code.user-code{font-size:1.6rem;letter-spacing:.15em}
`.trim();

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Headers for every page: no framing, no caching, no referrer (URLs carry interaction ids). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} — Portcullis</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function errorBox(message: string | undefined): string {
  return message ? `<p class="error" role="alert" id="form-error">${escapeHtml(message)}</p>` : '';
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function scopeList(scopes: readonly string[]): string {
  if (scopes.length === 0) return '<p>It asks for no access to your files or settings.</p>';
  return `<ul>${scopes.map((s) => `<li>${escapeHtml(describeScope(s))} <span class="note">(<code>${escapeHtml(s)}</code>)</span></li>`).join('')}</ul>`;
}

export interface LoginPageInput {
  action: string;
  abortAction: string;
  csrf: string;
  clientName: string;
  login?: string;
  error?: string;
}

/** Sign-in with the login password, or a sublogin's own password. */
export function loginPage(p: LoginPageInput): string {
  const described = p.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Sign in',
    `<h1>Sign in to allow ${escapeHtml(p.clientName)}</h1>
${errorBox(p.error)}
<p><strong>${escapeHtml(p.clientName)}</strong> wants to access your storage. Sign in with your login and password, or with a sublogin (<code>customer-name</code>) and its password; you choose what to allow next.</p>
<form method="post" action="${escapeHtml(p.action)}">
${hidden('_csrf', p.csrf)}
<label for="login">Login</label>
<input type="text" id="login" name="login" value="${escapeHtml(p.login ?? '')}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100"${described}${p.login ? '' : ' autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${described}${p.login ? ' autofocus' : ''}>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>
<form method="post" action="${escapeHtml(p.abortAction)}">
${hidden('_csrf', p.csrf)}
<div class="actions"><button type="submit">Cancel and return to the application</button></div>
</form>`,
  );
}

export interface SecondFactorPageInput {
  action: string;
  abortAction: string;
  csrf: string;
  /** Binds the form to the account that gave the right password (see OAuthLoginService). */
  ticket: string;
  clientName: string;
  login: string;
  error?: string;
}

/** The second step of signing in, for an account with a second factor (contract §4.9). */
export function secondFactorPage(p: SecondFactorPageInput): string {
  const described = p.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Second factor',
    `<h1>Sign in to allow ${escapeHtml(p.clientName)}</h1>
${errorBox(p.error)}
<p>Signed in with the password of <strong>${escapeHtml(p.login)}</strong>. Enter the 6-digit code of your authenticator app, or a recovery code.</p>
<form method="post" action="${escapeHtml(p.action)}">
${hidden('_csrf', p.csrf)}
${hidden('ticket', p.ticket)}
<label for="code">Code</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" autocapitalize="none" spellcheck="false" required minlength="6" maxlength="40" autofocus${described}>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>
<form method="post" action="${escapeHtml(p.abortAction)}">
${hidden('_csrf', p.csrf)}
<div class="actions"><button type="submit">Cancel and return to the application</button></div>
</form>`,
  );
}

export interface ConsentPageInput {
  action: string;
  csrf: string;
  clientName: string;
  clientUri?: string;
  login: string;
  sublogin: boolean;
  scopes: readonly string[];
}

/** What the application asks for, in plain words; allow or deny. */
export function consentPage(p: ConsentPageInput): string {
  const homepage = p.clientUri ? ` <span class="note">(${escapeHtml(p.clientUri)})</span>` : '';
  const limit = p.sublogin
    ? `<p class="note">You signed in as the sublogin <strong>${escapeHtml(p.login)}</strong>: the application can never do more than this sublogin's access rules allow.</p>`
    : `<p class="note">Signed in as <strong>${escapeHtml(p.login)}</strong>.</p>`;
  return layout(
    'Allow access',
    `<h1>Allow ${escapeHtml(p.clientName)} to access your storage?</h1>
<p><strong>${escapeHtml(p.clientName)}</strong>${homepage} asks to:</p>
${scopeList(p.scopes)}
${limit}
<p class="note">You can revoke this access at any time under “Connected applications” in MyPage.</p>
<form method="post" action="${escapeHtml(p.action)}">
${hidden('_csrf', p.csrf)}
<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

export interface DeviceInputPageInput {
  action: string;
  xsrf: string;
  error?: string;
}

/** RFC 8628 §3.3: the page where a user types the code their device shows. */
export function deviceInputPage(p: DeviceInputPageInput): string {
  const described = p.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>
${errorBox(p.error)}
<p>Enter the code shown on your device or in the application.</p>
<form method="post" action="${escapeHtml(p.action)}">
${hidden('xsrf', p.xsrf)}
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="32" autofocus${described}>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>`,
  );
}

export interface DeviceConfirmPageInput {
  action: string;
  xsrf: string;
  userCode: string;
  displayCode: string;
  clientName: string;
}

export function deviceConfirmPage(p: DeviceConfirmPageInput): string {
  return layout(
    'Confirm the device',
    `<h1>Connect ${escapeHtml(p.clientName)}?</h1>
<p>Check that your device shows this code:</p>
<p><code class="user-code">${escapeHtml(p.displayCode)}</code></p>
<p class="note">If you did not start this, or the code differs, choose “Abort”.</p>
<form method="post" action="${escapeHtml(p.action)}">
${hidden('xsrf', p.xsrf)}
${hidden('user_code', p.userCode)}
<div class="actions">
<button type="submit" name="confirm" value="yes" class="primary">Continue</button>
<button type="submit" name="abort" value="yes">Abort</button>
</div>
</form>`,
  );
}

export function deviceSuccessPage(clientName: string): string {
  return layout('Device connected', `<h1>Done</h1><p><strong>${escapeHtml(clientName)}</strong> is connected. You can close this page and return to your device.</p>`);
}

/** An error for a person (not a client's redirect): what happened and what to do. */
export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p class="note">Return to the application and start again.</p>`);
}
