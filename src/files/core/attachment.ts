import { encodeExtended } from 'content-disposition';

/**
 * `Content-Disposition: attachment` with the name both as a quoted ASCII fallback and as RFC 8187
 * UTF-8 (content-disposition's encoder), so every browser saves the file under its real name and
 * no header injection is possible. Not the library's `create()`: for an ASCII name it sends the
 * name unquoted and without `filename*`, and clients have these exact bytes (contract §7).
 */
export function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download';
  return `attachment; filename="${fallback}"; filename*=${encodeExtended(name)}`;
}
