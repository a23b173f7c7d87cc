import type { AclDecision } from '../../acl/core/acl-resolver.js';
import type { SubloginWithRuleCount } from '../../sublogins/sublogins.service.js';
import type { Sublogin } from '../../accounts/sublogin.entity.js';
import { type Html, html } from '../core/html.js';
import { csrfField, layout, postButton, secretPanel, type Viewer, when } from './layout.js';
import { limitsFields, limitsSummary, localValue } from './limits.view.js';

const RULES_HINT = html`One rule per line: <code>allow PATH</code> or <code>deny PATH</code>; lines starting with <code>#</code> are comments.
Paths are <code>/class/</code>, <code>/class/action</code> or <code>/class/action/folder…</code> with the classes
<code>file</code>, <code>stat</code>, <code>sublogin</code>, <code>dav</code>, <code>backup</code>.
The most specific rule covering a request decides; at equal depth <em>deny</em> wins; no rule means denied.`;

const RULES_EXAMPLE = '# read and upload everything, delete only under /tmp\nallow /file/\ndeny /file/delete\nallow /file/delete/tmp\nallow /dav/read/';

function problemList(problems: readonly string[]): Html {
  return problems.length ? html`<div class="error" role="alert"><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : html``;
}

export interface SubloginListView {
  viewer: Viewer;
  customerLogin: string;
  items: SubloginWithRuleCount[];
  total: number;
  offset: number;
  limit: number;
  notice?: string | null;
  form?: { name?: string; rules?: string; expiresAt?: string; allowedRanges?: string; problems: string[] };
}

export function subloginListPage(v: SubloginListView): Html {
  const rows = v.items.map(
    ({ sublogin: s, ruleCount }) => html`<tr>
<th scope="row"><a href="/mypage/sublogins/${s.name}"><code>${s.login}</code></a></th>
<td>${s.enabled ? html`<span class="badge state-ok">enabled</span>` : html`<span class="badge state-muted">disabled</span>`}</td>
<td>${ruleCount}</td>
<td>${limitsSummary(s.expiresAt, s.allowedRanges)}</td>
<td>${when(s.lastUsedAt)}${s.lastUsedIp ? html`<br><code>${s.lastUsedIp}</code>` : ''}</td>
<td>${when(s.createdAt)}</td>
</tr>`,
  );
  const prev = v.offset > 0 ? html`<a href="/mypage/sublogins?offset=${Math.max(0, v.offset - v.limit)}">Previous</a>` : '';
  const next = v.offset + v.items.length < v.total ? html`<a href="/mypage/sublogins?offset=${v.offset + v.limit}">Next</a>` : '';
  const f = v.form;
  return layout(
    { title: 'Sublogins', viewer: v.viewer, active: '/mypage/sublogins', notice: v.notice },
    html`<section aria-labelledby="list-h">
<h2 id="list-h">Your sublogins</h2>
<p>A sublogin signs in as <code>${v.customerLogin}-NAME</code> with its own password (HTTP Basic, OTP) and may do only what its rules allow.</p>
${
  v.items.length
    ? html`<table><caption>${v.total} sublogin${v.total === 1 ? '' : 's'}</caption><thead><tr><th scope="col">Login</th><th scope="col">State</th><th scope="col">Rules</th><th scope="col">Limits</th><th scope="col">Last used</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table>
<p class="actions">${prev} ${next}</p>`
    : html`<p class="state-muted">You have no sublogins yet.</p>`
}
</section>
<section aria-labelledby="create-h" id="create">
<h2 id="create-h">Create a sublogin</h2>
${problemList(f?.problems ?? [])}
<form method="post" action="/mypage/sublogins">
${csrfField(v.viewer)}
<label for="name">Name <span class="hint">(lower-case letters, digits, <code>_</code> and <code>.</code>; the login becomes <code>${v.customerLogin}-name</code>)</span></label>
<input type="text" id="name" name="name" required maxlength="32" pattern="[a-z0-9][a-z0-9_.]{0,31}" autocapitalize="none" spellcheck="false" value="${f?.name ?? ''}">
<label for="password">Password <span class="hint">(leave empty to have a strong one generated and shown once)</span></label>
<input type="password" id="password" name="password" minlength="8" maxlength="1024" autocomplete="new-password">
<label for="rules">Rules</label>
<p class="hint" id="rules-hint">${RULES_HINT}</p>
<textarea id="rules" name="rules" rows="6" aria-describedby="rules-hint" placeholder="${RULES_EXAMPLE}">${f?.rules ?? ''}</textarea>
${limitsFields('new-', { expiresAt: f?.expiresAt, allowedRanges: f?.allowedRanges }, 'the sublogin')}
<div class="actions"><button type="submit">Create sublogin</button></div>
</form>
</section>`,
  );
}

export interface SubloginDetailView {
  viewer: Viewer;
  sublogin: Sublogin;
  rulesText: string;
  ruleCount: number;
  newPassword?: string;
  notice?: string | null;
  ruleProblems?: string[];
  /** The limits form as sent, when it was refused. */
  limitsForm?: { expiresAt?: string; allowedRanges?: string; problems: string[] };
  explain?: { path: string; decision?: AclDecision; problem?: string };
}

function explainResult(e: NonNullable<SubloginDetailView['explain']>): Html {
  if (e.problem) return html`<p class="error" role="alert">${e.problem}</p>`;
  const d = e.decision!;
  return html`<div class="${d.allowed ? 'notice' : 'error'}" role="status" id="explain-result">
<p><strong>${d.allowed ? 'Allowed' : 'Denied'}</strong>: <code>${d.path}</code></p>
<p>${d.rule ? html`Decided by the rule <code>${d.rule.effect} ${d.rule.path}</code>.` : 'No rule covers this path, so it is denied by default.'}</p>
</div>`;
}

export function subloginDetailPage(v: SubloginDetailView): Html {
  const s = v.sublogin;
  const base = `/mypage/sublogins/${s.name}`;
  return layout(
    { title: `Sublogin ${s.login}`, viewer: v.viewer, active: '/mypage/sublogins', notice: v.notice },
    html`${
      v.newPassword
        ? secretPanel('sublogin-password', 'The sublogin’s password', v.newPassword, html`Give it to whoever uses <code>${s.login}</code>.`)
        : ''
    }
<p><a href="/mypage/sublogins">← All sublogins</a></p>
<section aria-labelledby="state-h">
<h2 id="state-h">State</h2>
<dl class="facts">
<dt>Login</dt><dd><code>${s.login}</code></dd>
<dt>State</dt><dd>${s.enabled ? html`<span class="badge state-ok">enabled</span>` : html`<span class="badge state-muted">disabled: authenticates nowhere</span>`}</dd>
<dt>Limits</dt><dd id="limits-summary">${limitsSummary(s.expiresAt, s.allowedRanges)}</dd>
<dt>Last used</dt><dd>${when(s.lastUsedAt)}${s.lastUsedIp ? html` from <code>${s.lastUsedIp}</code>` : ''}</dd>
<dt>Created</dt><dd>${when(s.createdAt)}</dd>
</dl>
<div class="actions">
${s.enabled ? postButton(v.viewer, `${base}/disable`, 'Disable', { className: 'secondary' }) : postButton(v.viewer, `${base}/enable`, 'Enable')}
${postButton(v.viewer, `${base}/password`, 'Generate a new password', { className: 'secondary' })}
</div>
</section>
<section aria-labelledby="limits-h" id="limits">
<h2 id="limits-h">Expiry and addresses</h2>
<p>Limit when and from where <code>${s.login}</code> works, with every method (Basic, OTP, and the tokens of apps it authorised). Effective at once.</p>
${problemList(v.limitsForm?.problems ?? [])}
<form method="post" action="${base}/limits">
${csrfField(v.viewer)}
${limitsFields('', v.limitsForm ?? { expiresAt: localValue(s.expiresAt), allowedRanges: (s.allowedRanges ?? []).join('\n') }, 'the sublogin')}
<div class="actions"><button type="submit">Save limits</button></div>
</form>
</section>
<section aria-labelledby="rules-h" id="rules">
<h2 id="rules-h">Rules</h2>
${problemList(v.ruleProblems ?? [])}
<form method="post" action="${base}/rules">
${csrfField(v.viewer)}
<label for="rules-text">Rules of <code>${s.login}</code> <span class="hint">(${v.ruleCount} now)</span></label>
<p class="hint" id="rules-text-hint">${RULES_HINT}</p>
<textarea id="rules-text" name="rules" rows="${Math.min(20, Math.max(6, v.rulesText.split('\n').length + 2))}" aria-describedby="rules-text-hint" placeholder="${RULES_EXAMPLE}">${v.rulesText}</textarea>
<div class="actions"><button type="submit">Save rules</button></div>
</form>
</section>
<section aria-labelledby="explain-h" id="explain">
<h2 id="explain-h">Explain a path</h2>
<p>Would <code>${s.login}</code> be allowed a request? Enter its ACL path: file actions are <code>/file/ACTION/path</code> (e.g. <code>/file/delete/tmp/a.txt</code>), statistics <code>/stat/REPORT</code>, WebDAV <code>/dav/read|write|delete/path</code>.</p>
<form method="get" action="${base}#explain">
<label for="explain-path">Path</label>
<input type="search" id="explain-path" name="path" required maxlength="4096" autocapitalize="none" spellcheck="false" value="${v.explain?.path ?? ''}">
<div class="actions"><button type="submit">Explain</button></div>
</form>
${v.explain ? explainResult(v.explain) : ''}
</section>
<section aria-labelledby="delete-h">
<h2 id="delete-h">Delete</h2>
<form method="post" action="${base}/delete">
${csrfField(v.viewer)}
<p><input type="checkbox" id="confirm-delete" name="confirm" value="yes" required> <label for="confirm-delete" class="inline">Yes, delete <code>${s.login}</code> and its rules</label></p>
<div class="actions"><button type="submit" class="danger">Delete sublogin</button></div>
</form>
</section>`,
  );
}
