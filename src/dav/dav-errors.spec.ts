import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { DavPathError } from './core/dav-path.js';
import { DavHeaderError } from './core/header-syntax.js';
import { DavXmlError } from './core/xml-request.js';
import { toDavDomainError } from './dav-errors.js';

describe('toDavDomainError', () => {
  it('maps the XML parser by status, without the detail that may quote the body', () => {
    const err = toDavDomainError(new DavXmlError('not_well_formed', 'line 1: <secret-name> unexpected')) as DomainError;
    expect(err).toBeInstanceOf(DomainError);
    expect([err.status, err.code]).toEqual([400, 'bad_request']);
    expect(err.message).toBe('invalid WebDAV request body: not well formed');
    expect((toDavDomainError(new DavXmlError('unsupported_encoding', 'EBCDIC')) as DomainError).code).toBe('unsupported_media_type');
    expect((toDavDomainError(new DavXmlError('wrong_root')) as DomainError).status).toBe(422);
  });

  it('maps header and path errors to 400 and leaves everything else alone', () => {
    expect((toDavDomainError(new DavHeaderError('Depth', 'expected 0, 1 or infinity')) as DomainError).code).toBe('bad_request');
    expect((toDavDomainError(new DavPathError('dot_dot')) as DomainError).code).toBe('path_invalid');
    const other = new Error('x');
    expect(toDavDomainError(other)).toBe(other);
  });
});
