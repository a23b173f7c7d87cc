import { type Html, html } from '../core/html.js';
import { when } from './layout.js';

/** A credential's limits in a table cell or a fact: its expiry (or that it passed) and its address ranges. */
export function limitsSummary(expiresAt: Date | null, ranges: readonly string[] | null): Html {
  const expiry = expiresAt
    ? expiresAt.getTime() <= Date.now()
      ? html`<span class="badge state-bad">expired</span> ${when(expiresAt)}`
      : html`until ${when(expiresAt)}`
    : html``;
  const where = ranges?.length ? html`from ${ranges.map((r, i) => html`${i ? ', ' : ''}<code>${r}</code>`)}` : html``;
  if (!expiresAt && !ranges?.length) return html`<span class="state-muted">none</span>`;
  return html`${expiry}${expiresAt && ranges?.length ? html`<br>` : ''}${where}`;
}

/** The expiry as a `datetime-local` value, in UTC (what the form says it is). */
export function localValue(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 16) : '';
}

/** The expiry and address-range fields of a form (contract §4.7), with what they hold. */
export function limitsFields(prefix: string, v: { expiresAt?: string; allowedRanges?: string }, what: string): Html {
  return html`<label for="${prefix}expires">Expires <span class="hint">(UTC; empty: never. From then on ${what} is refused)</span></label>
<input type="datetime-local" id="${prefix}expires" name="expiresAt" value="${v.expiresAt ?? ''}">
<label for="${prefix}ranges">Allowed addresses <span class="hint">(addresses or CIDR ranges such as <code>192.0.2.0/24</code> or <code>2001:db8::/32</code>, one per line or separated by commas; empty: any address)</span></label>
<textarea id="${prefix}ranges" name="allowedRanges" rows="3" autocapitalize="none" spellcheck="false">${v.allowedRanges ?? ''}</textarea>`;
}
