import type { AppConnection } from '../../accounts/app-connection.entity.js';
import type { AppPassword } from '../../accounts/app-password.entity.js';
import { parseStoredRules } from '../../accounts/core/app-password.js';
import { type Html, html } from '../core/html.js';
import { formatRuleLines } from '../core/rule-lines.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';

export interface AppPasswordsView {
  viewer: Viewer;
  connection: AppConnection;
  items: AppPassword[];
  /** Just issued: shown in this answer only. */
  created?: { name: string; password: string };
  notice?: string | null;
  form?: { name?: string; expiresAt?: string; ranges?: string; rules?: string; problems: string[] };
  now?: number;
}

const RULES_HINT = html`Leave empty for everything your account may do. Otherwise one rule per line, as for sublogins:
<code>allow PATH</code> or <code>deny PATH</code> with paths <code>/class/</code>, <code>/class/action</code> or
<code>/class/action/folder…</code> (classes <code>file</code>, <code>stat</code>, <code>sublogin</code>, <code>dav</code>, <code>backup</code>);
the most specific rule decides, no rule denies. Requests outside them are refused with <code>outside_scope</code>.`;

function problemList(problems: readonly string[]): Html {
  return problems.length ? html`<div class="error" role="alert"><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : html``;
}

function scopeOf(p: AppPassword): Html {
  const rules = parseStoredRules(p.rules);
  return rules === null ? html`<span class="state-muted">full rights</span>` : html`<pre>${formatRuleLines(rules) || '(no rule: nothing allowed)'}</pre>`;
}

function expiryOf(p: AppPassword, now: number): Html {
  if (!p.expiresAt) return html`<span class="state-muted">never</span>`;
  return p.expiresAt.getTime() <= now ? html`<span class="badge state-warn">expired</span> ${when(p.expiresAt)}` : when(p.expiresAt);
}

/** `/mypage/app-passwords`: the account's app passwords (contract §4.2), one per device or program. */
export function appPasswordsPage(v: AppPasswordsView): Html {
  const now = v.now ?? Date.now();
  const issued = v.connection.state === 'issued';
  const rows = v.items.map(
    (p) => html`<tr>
<th scope="row">${p.name}</th>
<td>${when(p.createdAt)}</td>
<td>${expiryOf(p, now)}</td>
<td>${p.allowedRanges?.length ? p.allowedRanges.map((r) => html`<code>${r}</code><br>`) : html`<span class="state-muted">any</span>`}</td>
<td>${scopeOf(p)}</td>
<td>${p.lastUsedAt ? html`${when(p.lastUsedAt)}${p.lastUsedIp ? html`<br><code>${p.lastUsedIp}</code>` : ''}` : html`<span class="state-muted">not used</span>`}</td>
<td>${postButton(v.viewer, `/mypage/app-passwords/${p.id}/revoke`, 'Revoke', { className: 'secondary' })}</td>
</tr>`,
  );
  const f = v.form;
  return layout(
    { title: 'App passwords', viewer: v.viewer, active: '/mypage', notice: v.notice },
    html`${v.created ? secretPanel('app-password', `App password “${v.created.name}”`, v.created.password, html`Use it with the user name <code>${v.viewer.login}</code> for HTTP Basic, or as PASSWORD in one-time passwords.`) : ''}
<section aria-labelledby="list-h">
<h2 id="list-h">Your app passwords</h2>
<p>Each device or program gets its own password, which you can limit and revoke alone. HTTP Basic (user name <code>${v.viewer.login}</code>) and one-time passwords accept any of them that has not expired, from the addresses it allows.</p>
${
  v.items.length
    ? html`<table><caption>${v.items.length} app password${v.items.length === 1 ? '' : 's'}</caption><thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Addresses</th><th scope="col">Scope</th><th scope="col">Last used</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="state-muted">You have no app passwords.</p>`
}
</section>
<section aria-labelledby="create-h" id="create">
<h2 id="create-h">Issue an app password</h2>
${
  issued
    ? html`${problemList(f?.problems ?? [])}
<form method="post" action="/mypage/app-passwords">
${csrfField(v.viewer)}
<label for="name">Name <span class="hint">(e.g. the device or program; 1 to 64 characters)</span></label>
<input type="text" id="name" name="name" required maxlength="64" value="${f?.name ?? ''}">
<label for="expiresAt">Expires <span class="hint">(UTC; leave empty for never)</span></label>
<input type="datetime-local" id="expiresAt" name="expiresAt" value="${f?.expiresAt ?? ''}">
<label for="ranges">Addresses <span class="hint">(one address or CIDR range per line, e.g. <code>192.0.2.0/24</code>; leave empty for any)</span></label>
<textarea id="ranges" name="ranges" rows="3">${f?.ranges ?? ''}</textarea>
<label for="rules">Rules</label>
<p class="hint" id="rules-hint">${RULES_HINT}</p>
<textarea id="rules" name="rules" rows="5" aria-describedby="rules-hint" placeholder="allow /dav/read/backup\nallow /dav/write/backup">${f?.rules ?? ''}</textarea>
<div class="actions"><button type="submit">Issue app password</button></div>
</form>`
    : html`<p>App passwords are issued while the app connection is enabled. <a href="/mypage#app-connection">Enable it on MyPage</a> first.</p>`
}
</section>`,
  );
}
