import type { SignedLink } from '../../links/signed-link.entity.js';
import { type Html, html } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';

export interface LinksView {
  viewer: Viewer;
  items: SignedLink[];
  /** Just created: its URL, shown in this answer only. */
  created?: { url: string; what: string };
  notice?: string | null;
  form?: { fields: Record<string, string | undefined>; problems: string[] };
  maxTtlSeconds: number;
  now?: number;
}

/** Durations offered for a new link (seconds), those within OTP_MAX_TTL. */
const DURATIONS: [number, string][] = [
  [600, '10 minutes'],
  [3600, '1 hour'],
  [6 * 3600, '6 hours'],
  [86_400, '1 day'],
  [7 * 86_400, '7 days'],
  [31 * 86_400, '31 days'],
];

export function scopeText(l: Pick<SignedLink, 'method' | 'target' | 'path'>): string {
  const path = l.path || '/';
  if (l.method === 'GET') return `download ${path}`;
  return l.target === 'file' ? `upload to ${path}` : `upload below ${path}/`;
}

function stateOf(l: SignedLink, now: number): Html {
  if (l.revokedAt) return html`<span class="badge state-muted">revoked</span> ${when(l.revokedAt)}`;
  if (l.expiresAt.getTime() <= now) return html`<span class="badge state-warn">expired</span> ${when(l.expiresAt)}`;
  if (l.maxUses !== null && l.uses >= l.maxUses) return html`<span class="badge state-warn">used up</span>`;
  return html`until ${when(l.expiresAt)}`;
}

/** `/mypage/links`: signed links (contract §4.8): create (the URL shown once), list, revoke. */
export function linksPage(v: LinksView): Html {
  const now = v.now ?? Date.now();
  const f = v.form;
  const field = (name: string) => f?.fields[name];
  const rows = v.items.map(
    (l) => html`<tr>
<th scope="row"><code>${scopeText(l)}</code></th>
<td>${l.sublogin?.login ?? v.viewer.login}</td>
<td>${when(l.createdAt)}</td>
<td>${stateOf(l, now)}</td>
<td>${l.allowedRanges?.length ? l.allowedRanges.map((r) => html`<code>${r}</code><br>`) : html`<span class="state-muted">any</span>`}</td>
<td>${l.uses}${l.maxUses === null ? '' : html` of ${l.maxUses}`}${l.maxUploadBytes === null ? '' : html`<br><span class="hint">≤ ${l.maxUploadBytes} bytes each</span>`}</td>
<td>${l.lastUsedAt ? html`${when(l.lastUsedAt)}${l.lastUsedIp ? html`<br><code>${l.lastUsedIp}</code>` : ''}` : html`<span class="state-muted">not used</span>`}</td>
<td>${l.revokedAt ? '' : postButton(v.viewer, `/mypage/links/${l.id}/revoke`, 'Revoke', { className: 'secondary' })}</td>
</tr>`,
  );
  const durations = DURATIONS.filter(([s]) => s <= v.maxTtlSeconds);
  const chosen = field('expiresIn') ?? String(durations.find(([s]) => s === 86_400)?.[0] ?? durations.at(-1)?.[0] ?? v.maxTtlSeconds);
  const selected = (name: string, value: string, dflt: string) => ((field(name) ?? dflt) === value ? html` selected` : html``);
  return layout(
    { title: 'Signed links', viewer: v.viewer, active: '/mypage', notice: v.notice },
    html`${v.created ? secretPanel('link-url', 'Your new link', v.created.url, html`Whoever holds this link can ${v.created.what} — no password or key needed — until it expires, is used up or you revoke it.`) : ''}
<section aria-labelledby="list-h">
<h2 id="list-h">Your signed links</h2>
<p>A signed link lets someone download one file, or upload into your storage, without any password, until the time you choose. It works only as far as its creator may still do this.</p>
${
  v.items.length
    ? html`<table><caption>${v.items.length} link${v.items.length === 1 ? '' : 's'}</caption><thead><tr><th scope="col">Scope</th><th scope="col">Created by</th><th scope="col">Created</th><th scope="col">Valid</th><th scope="col">Addresses</th><th scope="col">Uses</th><th scope="col">Last used</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="state-muted">You have no signed links.</p>`
}
</section>
<section aria-labelledby="create-h" id="create">
<h2 id="create-h">Create a link</h2>
${f?.problems.length ? html`<div class="error" role="alert"><ul>${f.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="post" action="/mypage/links">
${csrfField(v.viewer)}
<label for="kind">What the link allows</label>
<select id="kind" name="kind">
<option value="download"${selected('kind', 'download', 'download')}>Download one file</option>
<option value="upload"${selected('kind', 'upload', 'download')}>Upload one file to this path</option>
<option value="upload-below"${selected('kind', 'upload-below', 'download')}>Upload files into this folder</option>
</select>
<label for="path">Path <span class="hint">(e.g. <code>/docs/report.pdf</code>, or a folder for uploads into it)</span></label>
<input type="text" id="path" name="path" required maxlength="4096" value="${field('path') ?? ''}">
<label for="expiresIn">Valid for</label>
<select id="expiresIn" name="expiresIn">${durations.map(([s, label]) => html`<option value="${String(s)}"${String(s) === chosen ? html` selected` : html``}>${label}</option>`)}</select>
<label for="maxUses">Uses <span class="hint">(how many times it may be used; leave empty for any number; 1 for a single use)</span></label>
<input type="number" id="maxUses" name="maxUses" min="1" max="1000000" value="${field('maxUses') ?? ''}">
<label for="maxUploadBytes">Largest upload, in bytes <span class="hint">(uploads only; leave empty for the service's limit)</span></label>
<input type="number" id="maxUploadBytes" name="maxUploadBytes" min="1" value="${field('maxUploadBytes') ?? ''}">
<label for="ranges">Addresses <span class="hint">(one address or CIDR range per line; leave empty for any)</span></label>
<textarea id="ranges" name="ranges" rows="2">${field('ranges') ?? ''}</textarea>
<div class="actions"><button type="submit">Create link</button></div>
</form>
</section>`,
  );
}
