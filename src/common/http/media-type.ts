import { lookup } from 'mime-types';

/**
 * `Content-Type` of a stored file, from its extension, as a plain file server would answer (the
 * client's own type is not stored); unknown: octet-stream. Text types say UTF-8, what a stored
 * text file most likely is; others carry no charset (JSON has none, RFC 8259 §11).
 */
export function mediaTypeOf(name: string): string {
  // A leading dot names a hidden file (`.bashrc`), not an extension.
  const type = name.lastIndexOf('.') > 0 ? lookup(name) : false;
  if (type === false) return 'application/octet-stream';
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}
