import { describe, expect, it } from 'vitest';
import { mediaTypeOf } from './media-type.js';

describe('mediaTypeOf', () => {
  it.each([
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['README.MD', 'text/markdown; charset=utf-8'],
    ['page.html', 'text/html; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json'],
    ['feed.xml', 'application/xml'],
    ['logo.svg', 'image/svg+xml'],
    ['photo.JPG', 'image/jpeg'],
    ['favicon.ico', 'image/vnd.microsoft.icon'],
    ['report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['archive.tar.gz', 'application/gzip'],
    ['.bashrc', 'application/octet-stream'],
    ['.hidden.txt', 'text/plain; charset=utf-8'],
    ['Makefile', 'application/octet-stream'],
    ['blob.unknown-extension', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(mediaTypeOf(name)).toBe(type);
  });
});
