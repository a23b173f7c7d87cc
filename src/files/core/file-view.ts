import { isoDate } from '../../common/date-text.js';
import type { StorageEntry } from '../../storage/storage.types.js';

/** The fields a file API entry has, in the order they are returned. */
export const FILE_FIELDS = ['name', 'path', 'type', 'size', 'modified', 'etag'] as const;
export type FileField = (typeof FILE_FIELDS)[number];

/** `fields=` syntax: known names separated by commas (spaces around them allowed). */
export const FIELDS_PATTERN = new RegExp(`^\\s*(${FILE_FIELDS.join('|')})\\s*(,\\s*(${FILE_FIELDS.join('|')})\\s*)*$`);

export interface FileView {
  name?: string;
  path?: string;
  type?: 'file' | 'directory';
  size?: number;
  modified?: string;
  etag?: string;
}

/**
 * The fields `fields=` asks for, in FILE_FIELDS order, each once; all of them when absent.
 * Throws on a name it does not know (the DTO refuses those first, with a 400).
 */
export function parseFields(raw: string | undefined): readonly FileField[] {
  if (raw === undefined || raw.trim() === '') return FILE_FIELDS;
  const asked = new Set(raw.split(',').map((f) => f.trim()));
  for (const f of asked) if (!(FILE_FIELDS as readonly string[]).includes(f)) throw new Error(`unknown field ${JSON.stringify(f)}`);
  return FILE_FIELDS.filter((f) => asked.has(f));
}

/**
 * An entry as the file API shows it, limited to `fields`. All of them (the default) is one object
 * literal in FILE_FIELDS order: the same keys in the same order as the loop below, so the same JSON.
 */
export function viewOf(entry: StorageEntry, fields: readonly FileField[]): FileView {
  if (fields === FILE_FIELDS) {
    return { name: entry.name, path: entry.path, type: entry.type, size: entry.size, modified: isoDate(entry.modified), etag: entry.etag };
  }
  const view: FileView = {};
  for (const f of fields) {
    switch (f) {
      case 'name':
        view.name = entry.name;
        break;
      case 'path':
        view.path = entry.path;
        break;
      case 'type':
        view.type = entry.type;
        break;
      case 'size':
        view.size = entry.size;
        break;
      case 'modified':
        view.modified = isoDate(entry.modified);
        break;
      case 'etag':
        view.etag = entry.etag;
        break;
    }
  }
  return view;
}

/**
 * `filter_full_name=`: a pattern for an entry's full name (extension included), matched against
 * the whole name, case-sensitively. `*` stands for any run of characters, `?` for exactly one;
 * everything else is literal, so a pattern without wildcards is an exact name.
 */
export function fullNameMatcher(pattern: string): (name: string) => boolean {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  // 's': '*' and '?' also match line breaks; 'u': '?' is one character, not one UTF-16 unit.
  const re = new RegExp(`^${source}$`, 'su');
  return (name) => re.test(name);
}
