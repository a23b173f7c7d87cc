import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from './redirect-uri.js';

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?x=1',
    'http://127.0.0.1:8080/callback',
    'http://[::1]/cb',
    'http://localhost:3000/cb',
    'com.example.app:/oauth2redirect',
    'net.rclone.client:/cb',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['relative', '/callback'],
    ['empty', ''],
    ['fragment', 'https://app.example.com/cb#x'],
    ['user info', 'https://user:pw@app.example.com/cb'],
    ['plain http to a remote host', 'http://app.example.com/cb'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/html,hi'],
    ['file', 'file:///etc/passwd'],
    ['single-word private scheme', 'myapp:/cb'],
    ['space', 'https://app.example.com/a b'],
    ['too long', `https://app.example.com/${'a'.repeat(2000)}`],
  ])('refuses %s', (_label, uri) => {
    expect(redirectUriProblem(uri)).toEqual(expect.any(String));
  });
});
