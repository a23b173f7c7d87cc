/**
 * Server-rendered HTML without a template engine: a tagged template that escapes every value it
 * is given, unless the value is already `Html` (a fragment built the same way). Nothing a user
 * typed can become markup by accident, which is the whole XSS story of the pages.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text escaped for element content and (quoted) attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup we wrote ourselves (constants), trusted as is. Never pass it user input. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A value as it goes into a template: Html as is, lists joined, nothing for null/undefined/false. */
function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}
