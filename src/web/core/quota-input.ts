import type { QuotaSetting } from '../../storage/storage-quota.service.js';

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/**
 * The operator page's quota field: empty for the default, `unlimited`, or a size — bytes, or a
 * number with a unit (`500 MB`, `10 GiB`, `1.5T`; K/M/G/T alone are binary). Returns the setting,
 * or a sentence saying what is wrong.
 */
export function parseQuotaInput(raw: string | undefined, maxBytes: number): QuotaSetting | string {
  const text = (raw ?? '').trim().toLowerCase();
  if (text === '' || text === 'default') return { kind: 'default' };
  if (text === 'unlimited' || text === 'none') return { kind: 'unlimited' };
  const m = /^(\d{1,16}(?:\.\d{1,6})?)\s*([a-z]{0,3})$/.exec(text);
  const unit = m ? UNITS[m[2] || 'b'] : undefined;
  if (!m || unit === undefined) return 'The quota must be empty (the default), “unlimited”, or a size such as 500 MB, 10 GiB or 1048576.';
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes > maxBytes) return `The quota may be at most ${formatBytes(maxBytes)}.`;
  return { kind: 'bytes', bytes };
}

/** `10 GiB`, `1.5 MiB`, `700 bytes`: binary units, at most two decimals. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number(value.toFixed(2))} ${units[i]}`;
}

/** What the field shows for a setting: parseQuotaInput gives the same setting back. */
export function quotaInputValue(setting: QuotaSetting): string {
  if (setting.kind === 'default') return '';
  if (setting.kind === 'unlimited') return 'unlimited';
  const shown = formatBytes(setting.bytes);
  // Only a rounding-free form: otherwise the exact bytes.
  const back = parseQuotaInput(shown, Number.MAX_SAFE_INTEGER);
  return typeof back !== 'string' && back.kind === 'bytes' && back.bytes === setting.bytes ? shown : String(setting.bytes);
}
