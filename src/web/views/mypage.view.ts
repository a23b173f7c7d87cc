import type { Account } from '../../accounts/account.entity.js';
import type { AppConnection } from '../../accounts/app-connection.entity.js';
import type { ConnectedApplication } from '../../api-keys/api-key-blocks.service.js';
import type { AppAuthorization } from '../../api-keys/app-authorization.js';
import type { AuditEvent } from '../../audit/audit-event.entity.js';
import type { StaleClient } from '../../mypage/security-view.js';
import type { Sublogin } from '../../accounts/sublogin.entity.js';
import { type Html, html } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';

/** An application connected to the account: API-key use, the customer's block, OAuth authorizations. */
export type ConnectedApp = ConnectedApplication & { authorizations: AppAuthorization[] };

export interface MyPageView {
  viewer: Viewer;
  account: Account;
  connection: AppConnection;
  apps: ConnectedApp[];
  /** An app password just issued: shown in this answer only. */
  newPassword?: string;
  notice?: string | null;
  error?: string | null;
  passwordProblems?: string[];
}

const STATE: Record<AppConnection['state'], { label: string; css: string; text: string }> = {
  legacy: {
    label: 'Legacy',
    css: 'state-warn',
    text: 'HTTP Basic (WebDAV clients, backup tools, scripts) accepts your login password. Issue an app password to stop that: your login password then no longer works for Basic, and this state cannot be turned back on.',
  },
  disabled: {
    label: 'Disabled',
    css: 'state-muted',
    text: 'HTTP Basic and one-time passwords are refused for your account. Your sublogins keep working with their own passwords.',
  },
  issued: {
    label: 'App password issued',
    css: 'state-ok',
    text: 'HTTP Basic and one-time passwords accept only your app passwords, never your login password.',
  },
};

function appConnection(v: MyPageView): Html {
  const c = v.connection;
  const s = STATE[c.state];
  const buttons: Html[] = [];
  if (c.state === 'disabled') buttons.push(postButton(v.viewer, '/mypage/app-connection/enable', 'Enable and issue an app password'));
  if (c.state === 'legacy') buttons.push(postButton(v.viewer, '/mypage/app-connection/reissue', 'Issue an app password'));
  if (c.state === 'issued') buttons.push(postButton(v.viewer, '/mypage/app-connection/reissue', 'Issue a new app password'));
  if (c.state !== 'disabled') buttons.push(postButton(v.viewer, '/mypage/app-connection/disable', 'Disable', { className: 'secondary' }));
  return html`<section aria-labelledby="conn-h" id="app-connection">
<h2 id="conn-h">App connection (HTTP Basic for your account)</h2>
<dl class="facts">
<dt>State</dt><dd><span class="badge ${s.css}">${s.label}</span></dd>
<dt>Basic user name</dt><dd><code>${v.account.login}</code></dd>
${c.issuedAt ? html`<dt>Issued</dt><dd>${when(c.issuedAt)}</dd>` : ''}
<dt>Last used</dt><dd>${when(c.lastUsedAt)}${c.lastUsedIp ? html` from <code>${c.lastUsedIp}</code>` : ''}</dd>
</dl>
<p>${s.text}</p>
${c.state === 'issued' ? html`<p><a href="/mypage/app-passwords">Manage your app passwords</a>: one per device or program, each with an optional expiry, addresses and rules, revoked one by one.</p>
<p class="hint">“Issue a new app password” revokes all of them at once and issues one new one: clients still using an old one stop working.</p>` : ''}
<div class="actions">${buttons}</div>
</section>`;
}

function passwordForm(v: MyPageView): Html {
  const problems = v.passwordProblems ?? [];
  return html`<section aria-labelledby="pw-h" id="password">
<h2 id="pw-h">Change your login password</h2>
${problems.length ? html`<div class="error" role="alert"><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="post" action="/mypage/password">
${csrfField(v.viewer)}
<input type="text" name="username" value="${v.account.login}" autocomplete="username" hidden>
<label for="current">Current password</label>
<input type="password" id="current" name="current" autocomplete="current-password" required maxlength="1024">
<label for="next">New password <span class="hint">(at least 8 characters)</span></label>
<input type="password" id="next" name="next" autocomplete="new-password" required minlength="8" maxlength="1024">
<label for="confirm">New password again</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required minlength="8" maxlength="1024">
<div class="actions"><button type="submit">Change password</button></div>
</form>
</section>`;
}

function authorizationsCell(list: AppAuthorization[]): Html {
  if (!list.length) return html`<span class="state-muted">none</span>`;
  return html`${list.map(
    (a) => html`<div><code>${a.login}</code>: ${a.scopes.map((sc) => html`<code>${sc}</code> `)}<br><span class="hint">since ${when(a.authorizedAt)}, last used ${when(a.lastUsedAt)}</span></div>`,
  )}`;
}

export function connectedApps(viewer: Viewer, apps: ConnectedApp[]): Html {
  const rows = apps.map(
    ({ application: a, block, use, authorizations }) => html`<tr>
<th scope="row">${a.name}${a.homepage ? html`<br><a class="hint" href="${a.homepage}" rel="noopener noreferrer">${a.homepage}</a>` : ''}</th>
<td>${a.status}</td>
<td>${use ? html`${when(use.lastUsedAt)}${use.lastUsedIp ? html`<br><code>${use.lastUsedIp}</code>` : ''}` : html`<span class="state-muted">not used</span>`}</td>
<td>${authorizationsCell(authorizations)}</td>
<td>${block ? html`<span class="badge state-bad">Blocked</span> since ${when(block.createdAt)}` : html`<span class="badge state-ok">Allowed</span>`}</td>
<td><div class="actions">${authorizations.length ? postButton(viewer, `/mypage/apps/${a.id}/revoke`, 'Revoke access', { className: 'secondary' }) : ''}${
      block ? postButton(viewer, `/mypage/apps/${a.id}/unblock`, 'Unblock', { className: 'secondary' }) : postButton(viewer, `/mypage/apps/${a.id}/block`, 'Block', { className: 'danger' })
    }</div></td>
</tr>`,
  );
  return html`<section aria-labelledby="apps-h" id="apps">
<h2 id="apps-h">Connected applications</h2>
<p>Applications you or your sublogins authorized (OAuth), and those whose API key was used with your account. <em>Revoke access</em> ends the OAuth authorizations: their tokens stop working at once.
<em>Block</em> refuses the application for you and your sublogins altogether (<code>api_key_blocked</code>); other customers are not affected.</p>
${
  apps.length
    ? html`<table><caption>Applications, authorizations and blocks</caption><thead><tr><th scope="col">Application</th><th scope="col">Status</th><th scope="col">API key last used</th><th scope="col">Authorized (OAuth)</th><th scope="col">Your block</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="state-muted">No application is connected to your account.</p>`
}
</section>`;
}

export function myPage(v: MyPageView): Html {
  const a = v.account;
  return layout(
    { title: 'MyPage', viewer: v.viewer, active: '/mypage', notice: v.notice, error: v.error },
    html`${
      v.newPassword
        ? secretPanel(
            'app-password',
            'Your new app password',
            v.newPassword,
            html`Use it with the user name <code>${a.login}</code> in WebDAV clients, backup tools and scripts (HTTP Basic), and to compute one-time passwords.`,
          )
        : ''
    }
<section aria-labelledby="profile-h">
<h2 id="profile-h">Your account</h2>
<dl class="facts">
<dt>Login</dt><dd><code>${a.login}</code></dd>
<dt>Email</dt><dd>${a.email}</dd>
<dt>Registered</dt><dd>${when(a.registeredAt)}</dd>
<dt>Role</dt><dd>${a.role === 'admin' ? 'Operator' : 'Customer'}</dd>
</dl>
<p><a href="/mypage/sublogins">Sublogins</a> give other people or devices limited access. <a href="/mypage/links">Signed links</a> let someone download a file or upload to you without any password, until a time you choose. <a href="/mypage/security">Security</a> shows failed sign-ins and where each credential was last used. <a href="/mypage/two-factor">Two-factor sign-in</a> adds a code from your phone (or a passkey) to your password.</p>
</section>
${appConnection(v)}
${connectedApps(v.viewer, v.apps)}
${passwordForm(v)}`,
  );
}

export interface SecurityView {
  viewer: Viewer;
  account: Account;
  connection: AppConnection;
  failures: AuditEvent[];
  stale: StaleClient[];
  sublogins: Sublogin[];
  apps: ConnectedApp[];
}

export function securityPage(v: SecurityView): Html {
  const lastUse = [
    html`<tr><th scope="row">App connection (<code>${v.account.login}</code>)</th><td>${v.connection.state}</td><td>${when(v.connection.lastUsedAt)}</td><td>${v.connection.lastUsedIp ?? ''}</td></tr>`,
    ...v.sublogins.map(
      (s) => html`<tr><th scope="row">Sublogin <a href="/mypage/sublogins/${s.name}"><code>${s.login}</code></a></th><td>${s.enabled ? 'enabled' : 'disabled'}</td><td>${when(s.lastUsedAt)}</td><td>${s.lastUsedIp ?? ''}</td></tr>`,
    ),
    ...v.apps.flatMap(({ application: a, use, block, authorizations }) => [
      ...(use || block
        ? [html`<tr><th scope="row">API key of <em>${a.name}</em></th><td>${block ? 'blocked by you' : a.status}</td><td>${when(use?.lastUsedAt)}</td><td>${use?.lastUsedIp ?? ''}</td></tr>`]
        : []),
      ...authorizations.map(
        (g) => html`<tr><th scope="row">OAuth grant to <em>${a.name}</em> by <code>${g.login}</code></th><td>${g.scopes.join(' ')}</td><td>${when(g.lastUsedAt)}</td><td>${g.lastUsedIp ?? ''}</td></tr>`,
      ),
    ]),
  ];
  return layout(
    { title: 'Security', viewer: v.viewer, active: '/mypage/security' },
    html`<section aria-labelledby="stale-h">
<h2 id="stale-h">Stale clients</h2>
<p>Devices that keep sending the same wrong password — usually a client with an old password saved. Update its settings, or disable the credential it uses.</p>
${
  v.stale.length
    ? html`<table><caption>The same wrong password, repeated</caption><thead><tr><th scope="col">Credential id</th><th scope="col">Attempts (at least)</th><th scope="col">Last seen</th><th scope="col">Address</th><th scope="col">Client</th></tr></thead><tbody>${v.stale.map(
        (s) => html`<tr><td><code>${s.credential}</code></td><td>${s.repeats}</td><td>${when(s.lastSeen)}</td><td>${s.ip ?? ''}</td><td>${s.userAgent ?? ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="state-ok">None: no client is repeating a wrong password.</p>`
}
</section>
<section aria-labelledby="last-h">
<h2 id="last-h">Last use of each credential</h2>
<table><caption>When and from where each credential last authenticated</caption><thead><tr><th scope="col">Credential</th><th scope="col">State</th><th scope="col">Last used</th><th scope="col">From</th></tr></thead><tbody>${lastUse}</tbody></table>
</section>
<section aria-labelledby="fail-h">
<h2 id="fail-h">Recent failures</h2>
${
  v.failures.length
    ? html`<table><caption>Failed sign-ins and Basic/OTP attempts on your account and sublogins, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Login</th><th scope="col">Reason</th><th scope="col">Address</th><th scope="col">Client</th></tr></thead><tbody>${v.failures.map(
        (e) => html`<tr><td>${when(e.at)}</td><td>${e.type}</td><td><code>${e.login ?? ''}</code></td><td><code>${e.code ?? ''}</code></td><td>${e.ip ?? ''}</td><td>${e.userAgent ?? ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="state-ok">No failed attempts recorded.</p>`
}
</section>`,
  );
}
