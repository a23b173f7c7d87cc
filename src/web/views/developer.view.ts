import type { ApiKey } from '../../api-keys/api-key.entity.js';
import type { Application } from '../../api-keys/application.entity.js';
import { type Html, html } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';
import { limitsFields, limitsSummary, localValue } from './limits.view.js';

export function statusBadge(status: Application['status']): Html {
  const css = status === 'approved' ? 'state-ok' : status === 'pending' ? 'state-warn' : 'state-bad';
  return html`<span class="badge ${css}">${status}</span>`;
}

export interface DeveloperListView {
  viewer: Viewer;
  apps: Application[];
  keys: Map<string, ApiKey>;
  notice?: string | null;
  form?: { values: Record<string, string>; problems: string[] };
}

export function developerListPage(v: DeveloperListView): Html {
  const f = v.form;
  const rows = v.apps.map((a) => {
    const key = v.keys.get(a.id);
    return html`<tr>
<th scope="row"><a href="/developer/apps/${a.id}">${a.name}</a></th>
<td>${statusBadge(a.status)}</td>
<td>${key ? html`<code>…${key.last4}</code>` : html`<span class="state-muted">none</span>`}</td>
<td>${when(a.createdAt)}</td>
<td>${when(a.reviewedAt, 'not yet')}</td>
</tr>`;
  });
  return layout(
    { title: 'Developer', viewer: v.viewer, active: '/developer', notice: v.notice },
    html`<section aria-labelledby="apps-h">
<h2 id="apps-h">Your applications</h2>
<p>An application calls the API on behalf of customers. It needs an API key, issued once an operator approved it; requests send it in the <code>X-API-KEY</code> header.</p>
${
  v.apps.length
    ? html`<table><caption>Registered applications, newest first</caption><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Active key</th><th scope="col">Registered</th><th scope="col">Reviewed</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="state-muted">You have not registered an application yet.</p>`
}
</section>
<section aria-labelledby="register-h" id="register">
<h2 id="register-h">Register an application</h2>
${f?.problems.length ? html`<div class="error" role="alert"><ul>${f.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="post" action="/developer/apps">
${csrfField(v.viewer)}
<label for="app-name">Name</label>
<input type="text" id="app-name" name="name" required maxlength="100" value="${f?.values.name ?? ''}">
<label for="app-description">Description <span class="hint">(what it does, for the operator who reviews it)</span></label>
<textarea id="app-description" name="description" rows="3" maxlength="2000">${f?.values.description ?? ''}</textarea>
<label for="app-homepage">Homepage <span class="hint">(optional, http or https)</span></label>
<input type="text" id="app-homepage" name="homepage" inputmode="url" maxlength="2000" placeholder="https://example.com/my-app" value="${f?.values.homepage ?? ''}">
<label for="app-redirects">OAuth redirect URIs <span class="hint">(optional, one per line)</span></label>
<textarea id="app-redirects" name="redirectUris" rows="2">${f?.values.redirectUris ?? ''}</textarea>
<div class="actions"><button type="submit">Register</button></div>
</form>
</section>`,
  );
}

export interface DeveloperDetailView {
  viewer: Viewer;
  app: Application;
  key: ApiKey | undefined;
  publicUrl: string;
  newKey?: string;
  notice?: string | null;
  /** The key-limits form as sent, when it was refused. */
  limitsForm?: { expiresAt?: string; allowedRanges?: string; problems: string[] };
}

export function developerDetailPage(v: DeveloperDetailView): Html {
  const a = v.app;
  const base = `/developer/apps/${a.id}`;
  let keySection: Html;
  if (a.status === 'pending') keySection = html`<p>Waiting for an operator’s review. Once it is approved, you can fetch the API key here.</p>`;
  else if (a.status === 'rejected') keySection = html`<p>An operator rejected this application${a.reviewedAt ? html` on ${when(a.reviewedAt)}` : ''}. Contact support if you think that was a mistake.</p>`;
  else if (a.status === 'revoked') keySection = html`<p>This application was revoked: its keys are refused everywhere, for good.</p>`;
  else if (!v.key)
    keySection = html`<p>Approved. Fetch the API key: it is shown once, on the next page only, and stored here only as a keyed hash.</p>
<div class="actions">${postButton(v.viewer, `${base}/key`, 'Fetch the API key')}</div>`;
  else
    keySection = html`<dl class="facts">
<dt>Active key</dt><dd><code>…${v.key.last4}</code></dd>
<dt>Issued</dt><dd>${when(v.key.createdAt)}</dd>
<dt>Last used</dt><dd>${when(v.key.lastUsedAt)}${v.key.lastUsedIp ? html` from <code>${v.key.lastUsedIp}</code>` : ''}</dd>
<dt>Limits</dt><dd id="key-limits-summary">${limitsSummary(v.key.expiresAt, v.key.allowedRanges)}</dd>
</dl>
<p>Lost the key, or it leaked? Rotating issues a new one (shown once) with the same limits, and the old one stops working at once, everywhere.</p>
<div class="actions">${postButton(v.viewer, `${base}/key/rotate`, 'Rotate the key', { className: 'danger' })}</div>
<h3 id="key-limits">Expiry and addresses</h3>
<p>Limit when and from where the key is accepted (your servers’ addresses, say). Effective at once, everywhere.</p>
${v.limitsForm?.problems.length ? html`<div class="error" role="alert"><ul>${v.limitsForm.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="post" action="${base}/key/limits">
${csrfField(v.viewer)}
${limitsFields('key-', v.limitsForm ?? { expiresAt: localValue(v.key.expiresAt), allowedRanges: (v.key.allowedRanges ?? []).join('\n') }, 'the key')}
<div class="actions"><button type="submit">Save limits</button></div>
</form>`;
  return layout(
    { title: a.name, viewer: v.viewer, active: '/developer', notice: v.notice },
    html`${
      v.newKey
        ? secretPanel(
            'api-key',
            'Your API key',
            v.newKey,
            html`Send it with every request to <code>/api/file</code>, <code>/api/stat</code> and <code>/api/sublogin</code>, e.g. <code>curl -u LOGIN:APP-PASSWORD -H "X-API-KEY: ${v.newKey}" ${v.publicUrl}/api/whoami</code>.`,
          )
        : ''
    }
<p><a href="/developer">← All applications</a></p>
<section aria-labelledby="app-h">
<h2 id="app-h">Application</h2>
<dl class="facts">
<dt>Status</dt><dd>${statusBadge(a.status)}</dd>
<dt>Id</dt><dd><code>${a.id}</code></dd>
<dt>Description</dt><dd>${a.description || html`<span class="state-muted">none</span>`}</dd>
<dt>Homepage</dt><dd>${a.homepage ? html`<a href="${a.homepage}" rel="noopener noreferrer">${a.homepage}</a>` : html`<span class="state-muted">none</span>`}</dd>
<dt>Redirect URIs</dt><dd>${a.redirectUris.length ? a.redirectUris.map((u) => html`<code>${u}</code><br>`) : html`<span class="state-muted">none</span>`}</dd>
<dt>Registered</dt><dd>${when(a.createdAt)}</dd>
<dt>Reviewed</dt><dd>${when(a.reviewedAt, 'not yet')}</dd>
</dl>
</section>
<section aria-labelledby="key-h">
<h2 id="key-h">API key</h2>
${keySection}
</section>`,
  );
}
