import type { Passkey } from '../../two-factor/passkeys/passkey.entity.js';
import { type Html, html } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';
import { passkeyScript } from './passkey-script.js';

export interface PasskeysView {
  viewer: Viewer;
  passkeys: readonly Passkey[];
  /** Whether a TOTP authenticator is confirmed too (the last passkey is then not the last factor). */
  totp: boolean;
  /** A legacy app connection, reissued when the first second factor is added: said before it happens. */
  legacyConnection: boolean;
  /** The policy requires a second factor of this account. */
  required: boolean;
  /** After the first passkey: the new recovery codes and a reissued app password, shown once. */
  added?: { name: string; recoveryCodes?: readonly string[]; appPassword?: string };
  notice?: string | null;
  error?: string | null;
  /** Where a sensitive action goes to give the second factor again. */
  reverify: string;
}

const KIND: Record<Passkey['deviceType'], string> = { singleDevice: 'this device only', multiDevice: 'synced' };

/** `/mypage/passkeys`: register, name and remove passkeys (contract §4.9). */
export function passkeysPage(v: PasskeysView): Html {
  const rows = v.passkeys.map(
    (p) => html`<tr>
<td><strong>${p.name}</strong></td>
<td>${KIND[p.deviceType]}${p.backedUp ? ', backed up' : ''}</td>
<td>${when(p.createdAt)}</td>
<td>${when(p.lastUsedAt)}</td>
<td>
<form class="inline" method="post" action="/mypage/passkeys/${p.id}/rename">${csrfField(v.viewer)}<label class="inline" for="rename-${p.id}">New name</label> <input type="text" id="rename-${p.id}" name="name" required maxlength="64" value="${p.name}" aria-label="New name for ${p.name}"> <button type="submit" class="secondary">Rename</button></form>
${postButton(v.viewer, `/mypage/passkeys/${p.id}/remove`, `Remove ${p.name}`, { className: 'danger' })}
</td>
</tr>`,
  );
  const lastFactor = v.passkeys.length === 1 && !v.totp;
  return layout(
    { title: 'Passkeys', viewer: v.viewer, active: '/mypage', notice: v.notice, error: v.error },
    html`${v.added?.appPassword ? secretPanel('app-password', 'Your new app password', v.added.appPassword, 'Your account had the legacy Basic connection (the login password for WebDAV and Basic): with a second factor it would be a way around it, so it was replaced by this app password. Put it in your WebDAV clients and scripts instead of the login password.') : ''}
${
  v.added?.recoveryCodes
    ? html`<section class="secret" aria-labelledby="codes-h" role="status">
<h2 id="codes-h">Your recovery codes</h2>
<p>Each works once in place of a passkey, if you lose your devices. Keep them somewhere safe (printed, or in a password manager), apart from your devices.</p>
<ul id="recovery-codes">${v.added.recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p class="hint">They are shown only on this page and cannot be displayed again.</p>
</section>`
    : ''
}
<section aria-labelledby="passkeys-h">
<h2 id="passkeys-h">Your passkeys</h2>
${
  v.passkeys.length
    ? html`<table><caption>A passkey is a second factor after your password, and signs you in on its own where the browser offers it.</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody></table>
${lastFactor ? html`<p class="hint">This is your only second factor: removing it turns two-factor sign-in off${v.required ? ', which your operator does not allow' : ''}.</p>` : ''}`
    : html`<p>You have no passkey yet.</p>`
}
</section>
<section aria-labelledby="add-passkey-h">
<h2 id="add-passkey-h">Add a passkey</h2>
<p>A passkey lives on your phone, computer or security key and is unlocked with your fingerprint, face or PIN. Nothing secret is sent to us: we keep only its public key.</p>
${v.legacyConnection && !v.passkeys.length && !v.totp ? html`<p class="notice" role="note">Your account still has the legacy Basic connection (the login password works for WebDAV and Basic). Adding your first passkey replaces it with an app password, shown once on the next page: update your WebDAV clients and scripts then.</p>` : ''}
<form method="post" action="/mypage/passkeys" data-passkey="create" data-options="/mypage/passkeys/options" data-reverify="${v.reverify}" hidden>
${csrfField(v.viewer)}
<input type="hidden" name="response" value="">
<label for="passkey-name">Name <span class="hint">(to tell your passkeys apart, e.g. “Work laptop”)</span></label>
<input type="text" id="passkey-name" name="name" required maxlength="64" autocomplete="off">
<div class="actions"><button type="submit">Add a passkey</button></div>
<p class="error" role="alert" data-passkey-status hidden></p>
</form>
<noscript><p class="hint">Adding a passkey needs JavaScript and a browser that supports passkeys.</p></noscript>
</section>
<p><a href="/mypage/two-factor">Back to two-factor sign-in</a></p>
${passkeyScript()}`,
  );
}

/**
 * "Sign in with a passkey" on `/sign-in`: a discoverable passkey that verifies its user is a whole
 * sign-in. The form carries the sign-in page's own token (login CSRF), like the password form.
 */
export function passkeySignInSection(formToken: string, next: string): Html {
  return html`<section aria-labelledby="passkey-sign-in-h" data-passkey-section hidden>
<h2 id="passkey-sign-in-h">Or sign in with a passkey</h2>
<form method="post" action="/sign-in/passkey" data-passkey="get" data-options="/sign-in/passkey/options" hidden>
<input type="hidden" name="_signin" value="${formToken}">
<input type="hidden" name="next" value="${next}">
<input type="hidden" name="response" value="">
<div class="actions"><button type="submit" class="secondary">Use a passkey</button></div>
<p class="error" role="alert" data-passkey-status hidden></p>
</form>
</section>
${passkeyScript()}`;
}

/**
 * The passkey as the second factor (or to confirm it is you again), for the second-factor page:
 * the session's CSRF token and where to go after.
 */
export function passkeySecondFactorForm(csrf: string, next: string): Html {
  return html`<form method="post" action="/sign-in/passkey/second-factor" data-passkey="get" data-options="/sign-in/passkey/second-factor/options" hidden>
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<input type="hidden" name="response" value="">
<div class="actions"><button type="submit">Use a passkey</button></div>
<p class="error" role="alert" data-passkey-status hidden></p>
</form>
${passkeyScript()}`;
}

/** The passkeys' part of `/mypage/two-factor`: how many, and the way to the passkeys page. */
export function passkeysTwoFactorSection(count: number): Html {
  return html`<section aria-labelledby="passkeys-summary-h">
<h2 id="passkeys-summary-h">Passkeys</h2>
<p>${count === 0 ? 'No passkey yet. A passkey (your phone, computer or security key, unlocked with your fingerprint, face or PIN) is a second factor, and can sign you in on its own.' : `${count} passkey${count === 1 ? '' : 's'}: each is a second factor, and can sign you in on its own.`}</p>
<p><a href="/mypage/passkeys">${count === 0 ? 'Add a passkey' : 'Manage passkeys'}</a></p>
</section>`;
}
