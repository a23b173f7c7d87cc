import { Readable } from 'node:stream';
import type { StorageEntry } from '../storage/storage.types.js';
import { encodeHref } from './core/multistatus.js';
import { escapeXmlText } from './core/xml-common.js';

/** Streamed answers are written to the socket in chunks about this size. */
export const STREAM_CHUNK = 64 * 1024;

/**
 * A collection as a small HTML page (GET on a collection): one link per member, relative to the
 * collection's own URL (which ends with `/`). Streamed: a folder of any size costs a bounded
 * buffer. `title` is the collection's decoded URL path; the caller leaves out what the principal
 * may not read.
 */
export function renderListing(title: string, folder: StorageEntry, children: AsyncIterable<StorageEntry>): Readable {
  const heading = escapeXmlText(title);
  async function* page(): AsyncGenerator<string> {
    let chunk = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${heading}</title></head><body><h1>${heading}</h1><ul>`;
    if (folder.path !== '/') chunk += '<li><a href="../">../</a></li>';
    for await (const child of children) {
      const name = child.type === 'directory' ? `${child.name}/` : child.name;
      chunk += `<li><a href="${escapeXmlText(encodeHref(`/${name}`).slice(1))}">${escapeXmlText(name)}</a></li>`;
      if (chunk.length >= STREAM_CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}</ul></body></html>\n`;
  }
  return Readable.from(page(), { objectMode: false });
}
