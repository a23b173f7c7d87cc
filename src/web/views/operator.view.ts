import type { Account } from '../../accounts/account.entity.js';
import type { LegacyConnection } from '../../accounts/app-connection.service.js';
import type { ApiKey } from '../../api-keys/api-key.entity.js';
import type { Application } from '../../api-keys/application.entity.js';
import type { AuditEvent } from '../../audit/audit-event.entity.js';
import { type Html, html } from '../core/html.js';
import type { QuotaSetting } from '../../storage/storage-quota.service.js';
import { formatBytes, quotaInputValue } from '../core/quota-input.js';
import { statusBadge } from './developer.view.js';
import { csrfField, layout, postButton, type Viewer, when } from './layout.js';

function pager(base: string, params: Record<string, string | undefined>, offset: number, shown: number, total: number, limit: number): Html {
  const link = (o: number, label: string) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    q.set('offset', String(o));
    return html`<a href="${base}?${q.toString()}">${label}</a>`;
  };
  return html`<p class="actions">${offset > 0 ? link(Math.max(0, offset - limit), 'Previous') : ''} ${offset + shown < total ? link(offset + limit, 'Next') : ''}</p>`;
}

function problems(list: readonly string[] | undefined): Html {
  return list?.length ? html`<div class="error" role="alert"><ul>${list.map((p) => html`<li>${p}</li>`)}</ul></div>` : html``;
}

export const APPLICATION_FILTERS = ['pending', 'approved', 'rejected', 'revoked', 'all'] as const;
export type ApplicationFilter = (typeof APPLICATION_FILTERS)[number];

export interface OperatorApplicationsView {
  viewer: Viewer;
  filter: ApplicationFilter;
  apps: Application[];
  keys: Map<string, ApiKey>;
  owners: Map<string, string>;
  total: number;
  offset: number;
  limit: number;
  notice?: string | null;
}

export function operatorApplicationsPage(v: OperatorApplicationsView): Html {
  const back = html`<input type="hidden" name="view" value="${v.filter}">`;
  const actions = (a: Application): Html[] => {
    const out: Html[] = [];
    if (a.status === 'pending' || a.status === 'rejected') out.push(postButton(v.viewer, `/operator/applications/${a.id}/approve`, 'Approve', { extra: back }));
    if (a.status === 'pending') out.push(postButton(v.viewer, `/operator/applications/${a.id}/reject`, 'Reject', { className: 'secondary', extra: back }));
    if (a.status === 'approved') out.push(postButton(v.viewer, `/operator/applications/${a.id}/revoke`, 'Revoke', { className: 'danger', extra: back }));
    return out;
  };
  const rows = v.apps.map((a) => {
    const key = v.keys.get(a.id);
    return html`<tr>
<th scope="row">${a.name}${a.description ? html`<br><span class="hint">${a.description}</span>` : ''}${a.homepage ? html`<br><a class="hint" href="${a.homepage}" rel="noopener noreferrer">${a.homepage}</a>` : ''}</th>
<td><code>${v.owners.get(a.ownerAccountId) ?? a.ownerAccountId}</code></td>
<td>${statusBadge(a.status)}${a.reviewedBy ? html`<br><span class="hint">by ${a.reviewedBy}, ${when(a.reviewedAt)}</span>` : ''}</td>
<td>${a.redirectUris.length ? a.redirectUris.map((u) => html`<code>${u}</code><br>`) : html`<span class="state-muted">none</span>`}</td>
<td>${key ? html`<code>…${key.last4}</code>` : html`<span class="state-muted">none</span>`}</td>
<td>${when(a.createdAt)}</td>
<td><div class="actions">${actions(a)}</div></td>
</tr>`;
  });
  const filters = APPLICATION_FILTERS.map(
    (f) => html`<li><a href="/operator/applications?status=${f}"${f === v.filter ? html` aria-current="page"` : ''}>${f === 'pending' ? 'Pending review' : f}</a></li>`,
  );
  return layout(
    { title: 'Applications', viewer: v.viewer, active: '/operator/applications', notice: v.notice },
    html`<nav aria-label="Filter by status"><ul class="actions">${filters}</ul></nav>
<section aria-labelledby="apps-h">
<h2 id="apps-h">${v.filter === 'pending' ? 'Waiting for review (oldest first)' : v.filter === 'all' ? 'All applications' : `Status: ${v.filter}`}</h2>
<p>Approving lets the developer fetch the application’s API key (once). Revoking refuses its keys everywhere, for good.</p>
${
  v.apps.length
    ? html`<table><caption>${v.total} application${v.total === 1 ? '' : 's'}</caption><thead><tr><th scope="col">Application</th><th scope="col">Developer</th><th scope="col">Status</th><th scope="col">Redirect URIs</th><th scope="col">Key</th><th scope="col">Registered</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>
${pager('/operator/applications', { status: v.filter }, v.offset, v.apps.length, v.total, v.limit)}`
    : html`<p class="state-muted">${v.filter === 'pending' ? 'Nothing waits for review.' : 'No applications.'}</p>`
}
</section>`,
  );
}

export interface OperatorAccountsView {
  viewer: Viewer;
  accounts: Account[];
  total: number;
  offset: number;
  limit: number;
  status: 'active' | 'suspended' | undefined;
  legacyCutoff: Date;
  /** Each listed account's own quota setting, and its usage figure where one is kept. */
  quotas: Map<string, QuotaSetting>;
  usage: Map<string, number>;
  /** STORAGE_QUOTA_BYTES; null: unlimited. */
  defaultQuotaBytes: number | null;
  notice?: string | null;
  form?: { values: Record<string, string>; problems: string[] };
  /** A quota field sent back with its problems. */
  quotaForm?: { accountId: string; value: string; problems: string[] };
}

/** The quota cell of one account: what applies, what is used, and a field to change it. */
function quotaCell(v: OperatorAccountsView, a: Account): Html {
  const setting = v.quotas.get(a.id) ?? { kind: 'default' as const };
  const limit = setting.kind === 'bytes' ? setting.bytes : setting.kind === 'unlimited' ? null : v.defaultQuotaBytes;
  const used = v.usage.get(a.id);
  const sent = v.quotaForm?.accountId === a.id ? v.quotaForm : undefined;
  const field = `quota-${a.id}`;
  return html`<td>${limit === null ? 'unlimited' : formatBytes(limit)}${setting.kind === 'default' ? html` <span class="hint">(default)</span>` : ''}${
    used === undefined ? '' : html`<br><span class="hint">${formatBytes(used)} used</span>`
  }
${sent ? problems(sent.problems) : ''}<form method="post" action="/operator/accounts/${a.id}/quota" class="filters">
${csrfField(v.viewer)}<div><label class="hint" for="${field}">Quota of ${a.login}</label>
<input type="text" id="${field}" name="quota" maxlength="32" placeholder="default" spellcheck="false" autocomplete="off" value="${sent ? sent.value : quotaInputValue(setting)}"></div>
<div><button type="submit" class="secondary">Set quota</button></div>
</form></td>`;
}

export function operatorAccountsPage(v: OperatorAccountsView): Html {
  const f = v.form?.values ?? {};
  const rows = v.accounts.map(
    (a) => html`<tr>
<th scope="row"><code>${a.login}</code></th>
<td>${a.email}</td>
<td>${a.role === 'admin' ? 'operator' : 'customer'}</td>
<td>${a.status === 'active' ? html`<span class="badge state-ok">active</span>` : html`<span class="badge state-bad">suspended</span>`}</td>
<td>${when(a.registeredAt)}</td>
${quotaCell(v, a)}
<td>${
      a.login === v.viewer.login
        ? html`<span class="hint">you</span>`
        : a.status === 'active'
          ? postButton(v.viewer, `/operator/accounts/${a.id}/suspend`, 'Suspend', { className: 'danger' })
          : postButton(v.viewer, `/operator/accounts/${a.id}/unsuspend`, 'Reactivate', { className: 'secondary' })
    }</td>
</tr>`,
  );
  const statuses: [string, string][] = [
    ['', 'All'],
    ['active', 'Active'],
    ['suspended', 'Suspended'],
  ];
  return layout(
    { title: 'Accounts', viewer: v.viewer, active: '/operator/accounts', notice: v.notice },
    html`<section aria-labelledby="accounts-h">
<h2 id="accounts-h">Accounts</h2>
<nav aria-label="Filter by status"><ul class="actions">${statuses.map(
      ([s, label]) => html`<li><a href="/operator/accounts${s ? `?status=${s}` : ''}"${(v.status ?? '') === s ? html` aria-current="page"` : ''}>${label}</a></li>`,
    )}</ul></nav>
<p>A suspended account and all its sublogins authenticate nowhere, at once.</p>
<p>The storage quota covers an account’s main and backup areas together; uploads and copies beyond it are refused (507). In its field: empty for the default (${v.defaultQuotaBytes === null ? 'unlimited' : formatBytes(v.defaultQuotaBytes)}, <code>STORAGE_QUOTA_BYTES</code>), <code>unlimited</code>, or a size such as <code>500 MB</code>, <code>10 GiB</code> or bytes.</p>
<table><caption>${v.total} account${v.total === 1 ? '' : 's'}, by login</caption><thead><tr><th scope="col">Login</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Registered</th><th scope="col">Storage quota</th><th scope="col">Action</th></tr></thead><tbody>${rows}</tbody></table>
${pager('/operator/accounts', { status: v.status }, v.offset, v.accounts.length, v.total, v.limit)}
</section>
<section aria-labelledby="create-h" id="create">
<h2 id="create-h">Create or import an account</h2>
${problems(v.form?.problems)}
<form method="post" action="/operator/accounts">
${csrfField(v.viewer)}
<label for="acc-login">Login <span class="hint">(3–32 of a–z, 0–9, <code>_</code>, <code>.</code>)</span></label>
<input type="text" id="acc-login" name="login" required maxlength="32" pattern="[a-z0-9][a-z0-9_.]{2,31}" autocapitalize="none" spellcheck="false" autocomplete="off" value="${f.login ?? ''}">
<label for="acc-email">Email</label>
<input type="email" id="acc-email" name="email" required maxlength="254" autocomplete="off" value="${f.email ?? ''}">
<label for="acc-password">Initial password <span class="hint">(at least 8 characters; the customer signs in with it)</span></label>
<input type="password" id="acc-password" name="password" required minlength="8" maxlength="1024" autocomplete="new-password">
<label for="acc-role">Role</label>
<select id="acc-role" name="role"><option value="user"${f.role !== 'admin' ? html` selected` : ''}>Customer</option><option value="admin"${f.role === 'admin' ? html` selected` : ''}>Operator</option></select>
<label for="acc-registered">Registered at <span class="hint">(for imports: the original registration time, ISO 8601 such as <code>2020-01-01T00:00:00Z</code>; empty means now. Before the legacy cutoff, ${v.legacyCutoff.toISOString()}, the account keeps HTTP Basic with its login password.)</span></label>
<input type="text" id="acc-registered" name="registeredAt" maxlength="40" placeholder="2020-01-01T00:00:00Z" spellcheck="false" value="${f.registeredAt ?? ''}">
<div class="actions"><button type="submit">Create account</button></div>
</form>
</section>`,
  );
}

export interface AuditFilter {
  login?: string;
  type?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

export interface OperatorAuditView {
  viewer: Viewer;
  filter: AuditFilter;
  events: AuditEvent[];
  limit: number;
  problems?: string[];
}

export function operatorAuditPage(v: OperatorAuditView): Html {
  const f = v.filter;
  const rows = v.events.map(
    (e) => html`<tr>
<td>${e.id}</td><td>${when(e.at)}</td><td><code>${e.type}</code></td>
<td class="${e.outcome === 'failure' ? 'state-bad' : e.outcome === 'success' ? 'state-ok' : ''}">${e.outcome}</td>
<td><code>${e.login ?? ''}</code></td><td>${e.actor ?? ''}</td><td><code>${e.code ?? ''}</code></td><td>${e.ip ?? ''}</td>
<td class="detail">${e.detail ? Object.entries(e.detail).map(([k, val]) => html`<span>${k}: <code>${typeof val === 'string' ? val : JSON.stringify(val)}</code></span><br>`) : ''}</td>
</tr>`,
  );
  const older = new URLSearchParams();
  for (const [k, val] of Object.entries(f)) if (val) older.set(k, val);
  const last = v.events.at(-1);
  if (last) older.set('beforeId', String(last.id));
  return layout(
    { title: 'Audit log', viewer: v.viewer, active: '/operator/audit' },
    html`<section aria-labelledby="filter-h">
<h2 id="filter-h">Filter</h2>
${problems(v.problems)}
<form method="get" action="/operator/audit" class="filters">
<div><label for="f-login">Login</label><input type="text" id="f-login" name="login" maxlength="100" value="${f.login ?? ''}" spellcheck="false"></div>
<div><label for="f-type">Type</label><input type="text" id="f-type" name="type" maxlength="64" list="audit-types" placeholder="auth.login" value="${f.type ?? ''}" spellcheck="false">
<datalist id="audit-types">${['auth.login', 'auth.basic', 'auth.otp', 'me.password', 'me.app-connection.enable', 'me.app-connection.reissue', 'me.app-connection.disable', 'sublogin.create', 'sublogin.update', 'sublogin.delete', 'sublogin.rules', 'apps.register', 'apps.key.issue', 'apps.key.rotate', 'admin.apps.approve', 'admin.apps.reject', 'admin.apps.revoke', 'admin.account.create', 'admin.account.suspend', 'admin.account.unsuspend', 'admin.account.quota', 'me.apps.block', 'me.apps.unblock'].map((t) => html`<option value="${t}">`)}</datalist></div>
<div><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">${['', 'success', 'failure', 'info'].map((o) => html`<option value="${o}"${(f.outcome ?? '') === o ? html` selected` : ''}>${o || 'any'}</option>`)}</select></div>
<div><label for="f-from">From <span class="hint">(UTC)</span></label><input type="datetime-local" id="f-from" name="from" value="${f.from ?? ''}"></div>
<div><label for="f-to">To <span class="hint">(UTC)</span></label><input type="datetime-local" id="f-to" name="to" value="${f.to ?? ''}"></div>
<div class="actions"><button type="submit">Show</button> <a href="/operator/audit">Clear</a></div>
</form>
</section>
<section aria-labelledby="events-h">
<h2 id="events-h">Events, newest first</h2>
${
  v.events.length
    ? html`<table><caption>${v.events.length} event${v.events.length === 1 ? '' : 's'}${v.events.length === v.limit ? ' (more below)' : ''}</caption><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Type</th><th scope="col">Outcome</th><th scope="col">Login</th><th scope="col">By</th><th scope="col">Code</th><th scope="col">Address</th><th scope="col">Detail</th></tr></thead><tbody>${rows}</tbody></table>
${v.events.length === v.limit ? html`<p><a href="/operator/audit?${older.toString()}">Older events</a></p>` : ''}`
    : html`<p class="state-muted">No events match.</p>`
}
</section>`,
  );
}

export interface OperatorLegacyView {
  viewer: Viewer;
  rows: LegacyConnection[];
  total: number;
  offset: number;
  limit: number;
  legacyCutoff: Date;
}

export function operatorLegacyPage(v: OperatorLegacyView): Html {
  const rows = v.rows.map(
    (c) => html`<tr>
<th scope="row"><code>${c.account.login}</code></th>
<td><a href="mailto:${c.account.email}">${c.account.email}</a></td>
<td>${when(c.account.registeredAt)}</td>
<td>${c.account.status}</td>
<td>${when(c.lastUsedAt)}</td>
<td>${c.lastUsedIp ?? ''}</td>
</tr>`,
  );
  return layout(
    { title: 'Legacy Basic (login password)', viewer: v.viewer, active: '/operator/legacy' },
    html`<section aria-labelledby="legacy-h">
<h2 id="legacy-h">Accounts still using their login password for HTTP Basic</h2>
<p>Accounts registered before the legacy cutoff (${v.legacyCutoff.toISOString()}) start in the <em>legacy</em> app-connection state: WebDAV clients and scripts authenticate with the login password.
Ask these customers to issue an app password in MyPage (“Issue an app password”) and put it into their clients. Those used recently first; never used last.</p>
${
  v.rows.length
    ? html`<table><caption>${v.total} account${v.total === 1 ? '' : 's'} in the legacy state</caption><thead><tr><th scope="col">Login</th><th scope="col">Email</th><th scope="col">Registered</th><th scope="col">Status</th><th scope="col">Last Basic use</th><th scope="col">From</th></tr></thead><tbody>${rows}</tbody></table>
${pager('/operator/legacy', {}, v.offset, v.rows.length, v.total, v.limit)}`
    : html`<p class="state-ok">No account is in the legacy state any more.</p>`
}
</section>`,
  );
}
