import { describe, expect, it } from 'vitest';
import type { StorageEntry } from '../storage/storage.types.js';
import { renderListing, STREAM_CHUNK } from './dav-listing.js';

const entry = (path: string, type: StorageEntry['type']): StorageEntry => ({ name: path.split('/').at(-1)!, path, type, size: 0, modified: new Date(0), etag: '"x"' });

async function* members(...entries: StorageEntry[]): AsyncGenerator<StorageEntry> {
  yield* entries;
}

async function text(stream: NodeJS.ReadableStream): Promise<{ page: string; chunks: number }> {
  let page = '';
  let chunks = 0;
  for await (const chunk of stream) {
    page += String(chunk);
    chunks++;
  }
  return { page, chunks };
}

describe('renderListing', () => {
  it('links each member relative to the collection, folders with a slash, names escaped', async () => {
    const { page } = await text(renderListing('/dav/a <b>/', entry('/a <b>', 'directory'), members(entry('/a <b>/sub', 'directory'), entry('/a <b>/x&"y".txt', 'file'))));
    expect(page).toContain('<title>/dav/a &lt;b&gt;/</title>');
    expect(page).toContain('<li><a href="../">../</a></li>');
    expect(page).toContain('<li><a href="sub/">sub/</a></li>');
    expect(page).toContain('<li><a href="x%26%22y%22.txt">x&amp;"y".txt</a></li>');
    expect(page.endsWith('</ul></body></html>\n')).toBe(true);
  });

  it('has no parent link at the mount root, and streams a large folder in chunks', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => entry(`/file-${i}-${'n'.repeat(20)}.txt`, 'file'));
    const { page, chunks } = await text(renderListing('/dav/', entry('/', 'directory'), members(...many)));
    expect(page).not.toContain('../');
    expect(page.match(/<li>/g)).toHaveLength(3000);
    expect(chunks).toBeGreaterThan(page.length / STREAM_CHUNK - 1);
  });
});
