import type { AppConnectionState } from '../../accounts/core/app-connection.js';
import type { TotpSetup, TwoFactorStatus } from '../../two-factor/two-factor.service.js';
import { type Html, html, trusted } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';

export interface SecondFactorFormView {
  /** The session is complete already and only re-verifies (a sensitive action asked for it). */
  reverify: boolean;
  next: string;
  csrf: string;
  login: string;
  methods: readonly string[];
  error?: string | null;
  /** Markup another part adds (the passkey button). */
  extra?: Html;
}

/** The code form after the password (and for re-verifying before a sensitive action). */
export function secondFactorPage(v: SecondFactorFormView): Html {
  const totp = v.methods.includes('totp');
  return layout(
    { title: v.reverify ? 'Confirm it is you' : 'Second factor', viewer: null, error: v.error },
    html`<section aria-labelledby="sf-h">
<h2 id="sf-h">${v.reverify ? 'Confirm it is you' : 'Enter your second factor'}</h2>
<p>${v.reverify ? html`This action needs your second factor from the last 10 minutes, <strong>${v.login}</strong>.` : html`Signed in with the password of <strong>${v.login}</strong>. One more step.`}</p>
<form method="post" action="/sign-in/second-factor">
<input type="hidden" name="_csrf" value="${v.csrf}">
<input type="hidden" name="next" value="${v.next}">
<label for="code">${totp ? 'The 6-digit code of your authenticator app, or a recovery code' : 'A recovery code'}</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="${totp ? 'numeric' : 'text'}" autocapitalize="none" spellcheck="false" required minlength="6" maxlength="40" autofocus>
<div class="actions"><button type="submit">${v.reverify ? 'Confirm' : 'Sign in'}</button></div>
</form>
${v.extra ?? ''}
<p class="hint">Lost your phone? A recovery code works once in place of the 6-digit code.</p>
${v.reverify ? '' : html`<form class="inline" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${v.csrf}"><button type="submit" class="secondary">Cancel and sign out</button></form>`}
</section>`,
  );
}

export interface TwoFactorPageView {
  viewer: Viewer;
  status: TwoFactorStatus;
  connectionState: AppConnectionState | null;
  /** Set up in progress: the QR code and the secret. */
  setup?: TotpSetup | null;
  /** Shown once, in the answer that made them. */
  recoveryCodes?: string[];
  /** A legacy account's new app password, shown once after confirming. */
  appPassword?: string;
  /** The account must enrol before anything else (REQUIRE_2FA, REQUIRE_ADMIN_2FA). */
  mustEnrol: boolean;
  notice?: string | null;
  error?: string | null;
  /** Markup another part adds (the passkeys). */
  extra?: Html;
}

function qr(svg: string): Html {
  // Drawn on the server (qrcode): no outside service ever sees the secret.
  return trusted(svg.replace('<svg ', '<svg width="200" height="200" role="img" aria-label="QR code of the authenticator set-up" '));
}

function setupSection(v: TwoFactorPageView, s: TotpSetup): Html {
  return html`<section aria-labelledby="setup-h" id="setup">
<h2 id="setup-h">Set up your authenticator app</h2>
<ol>
<li>Scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator, 1Password, …).</li>
<li>Or type the key by hand: <code id="totp-secret">${s.secret.match(/.{1,4}/g)!.join(' ')}</code></li>
<li>Enter the 6-digit code the app shows to confirm.</li>
</ol>
<div class="qr">${qr(s.qrSvg)}</div>
${
  v.connectionState === 'legacy'
    ? html`<p class="error" role="note"><strong>Your login password still works for WebDAV clients and scripts (HTTP Basic, one-time passwords).</strong> Confirming turns that off: your app connection is reissued, and its new app password is shown once on the next page. Put it into your WebDAV clients and scripts instead of your login password.</p>`
    : ''
}
<form method="post" action="/mypage/two-factor/totp/confirm">
${csrfField(v.viewer)}
<label for="code">Code from the app</label>
<input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]{6,7}" required maxlength="7">
<div class="actions"><button type="submit">Confirm and turn on</button></div>
</form>
</section>`;
}

/** /mypage/two-factor: the authenticator app, recovery codes, and (from the passkeys part) passkeys. */
export function twoFactorPage(v: TwoFactorPageView): Html {
  const s = v.status;
  const codes = v.recoveryCodes?.length
    ? html`<section class="secret" aria-labelledby="codes-h" role="status">
<h2 id="codes-h">Your recovery codes</h2>
<p>Each works once in place of a code from your app, if you lose it. Keep them somewhere safe (printed, or in a password manager). Older recovery codes no longer work.</p>
<ul id="recovery-codes">${v.recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p class="hint">They are shown only on this page and cannot be displayed again.</p>
</section>`
    : '';
  const appPassword = v.appPassword
    ? secretPanel('new-app-password', 'Your new app password', v.appPassword, 'Your app connection was reissued: HTTP Basic and one-time passwords no longer accept your login password. Use this app password in your WebDAV clients and scripts.')
    : '';
  const totp =
    s.totp === 'confirmed'
      ? html`<p><span class="badge state-ok">On</span> since ${when(s.totpConfirmedAt)}.</p>
<div class="actions">${postButton(v.viewer, '/mypage/two-factor/recovery-codes', 'Make new recovery codes', { className: 'secondary' })}${postButton(v.viewer, '/mypage/two-factor/totp/disable', 'Turn the authenticator app off', { className: 'secondary' })}</div>`
      : v.setup
        ? html`<p><span class="badge state-muted">Off</span> until you confirm the set-up below.</p>`
        : html`<p><span class="badge state-muted">Off</span></p><div class="actions">${postButton(v.viewer, '/mypage/two-factor/totp', 'Set up an authenticator app')}</div>`;
  return layout(
    { title: 'Two-factor sign-in', viewer: v.viewer, notice: v.notice, error: v.error, active: '/mypage/security' },
    html`${appPassword}${codes}
${v.mustEnrol ? html`<p class="error" role="alert">Your account must have a second factor. Set one up to continue.</p>` : ''}
<section aria-labelledby="tf-h">
<h2 id="tf-h">Two-factor sign-in</h2>
<p>With a second factor, signing in to these pages needs your password and a code from your phone (or a passkey). WebDAV clients and scripts keep working with app passwords and sublogins; your login password no longer works for them.</p>
<dl class="facts">
<dt>Second factor</dt><dd>${s.enabled ? html`<span class="badge state-ok">On</span>` : html`<span class="badge state-muted">Off</span>`}${s.required ? ' (required for your account)' : ''}</dd>
<dt>Recovery codes left</dt><dd>${s.recoveryCodesLeft}</dd>
<dt>Passkeys</dt><dd>${s.passkeys}</dd>
</dl>
<h3>Authenticator app</h3>
${totp}
</section>
${v.setup ? setupSection(v, v.setup) : ''}
${v.extra ?? ''}`,
  );
}
