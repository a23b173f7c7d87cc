import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger.js';

describe('redactUrl', () => {
  it.each([
    ['/api/file/list?otp=alice:1:salt:abcd&path=/', '/api/file/list?otp=[redacted]&path=/'],
    ['/api;api_key=0123456789ABCDEF0123456789ABCDEF/file/list', '/api;api_key=[redacted]/file/list'],
    ['/api/file/list;api_key=ABC?path=/&API_KEY=x', '/api/file/list;api_key=[redacted]?path=/&API_KEY=[redacted]'],
    ['/api/whoami', '/api/whoami'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
