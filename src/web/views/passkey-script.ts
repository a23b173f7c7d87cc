import { createHash } from 'node:crypto';
import { type Html, trusted } from '../core/html.js';

/**
 * The browser side of the passkey ceremonies, written here rather than loaded from a CDN (and
 * @simplewebauthn/browser is not a dependency): a form marked `data-passkey="create|get"` asks
 * `data-options` (POST, JSON, with the form's CSRF token) for the ceremony's options, runs
 * navigator.credentials with them, puts the answer (base64url JSON, as @simplewebauthn/server
 * reads it) into the form's `response` field and submits the form. Without WebAuthn or without
 * JavaScript the passkey forms stay hidden: every page works without them.
 */
const PASSKEY_JS = `
(function () {
  var forms = document.querySelectorAll('form[data-passkey]');
  if (!forms.length || !window.PublicKeyCredential || !navigator.credentials) return;
  function dec(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function enc(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function ids(list) { (list || []).forEach(function (c) { c.id = dec(c.id); }); }
  function asJSON(cred) {
    var r = cred.response;
    var out = { id: cred.id, rawId: enc(cred.rawId), type: cred.type, clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: enc(r.clientDataJSON) } };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = enc(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = enc(r.authenticatorData);
      out.response.signature = enc(r.signature);
      if (r.userHandle) out.response.userHandle = enc(r.userHandle);
    }
    return out;
  }
  forms.forEach(function (form) {
    var create = form.getAttribute('data-passkey') === 'create';
    var status = form.querySelector('[data-passkey-status]');
    var say = function (text) { if (status) { status.textContent = text; status.hidden = !text; } };
    form.hidden = false;
    var section = form.closest('[data-passkey-section]');
    if (section) section.hidden = false;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      say('');
      var csrf = form.elements._csrf ? form.elements._csrf.value : '';
      fetch(form.getAttribute('data-options'), { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' })
        .then(function (res) { return res.json().then(function (body) { if (!res.ok) throw body; return body; }); })
        .then(function (o) {
          o.challenge = dec(o.challenge);
          if (create) { o.user.id = dec(o.user.id); ids(o.excludeCredentials); return navigator.credentials.create({ publicKey: o }); }
          ids(o.allowCredentials);
          return navigator.credentials.get({ publicKey: o });
        })
        .then(function (cred) {
          if (!cred) throw new Error('No passkey was chosen.');
          form.elements.response.value = JSON.stringify(asJSON(cred));
          form.submit();
        })
        .catch(function (err) {
          if (err && err.code === 'recent_second_factor_required' && form.getAttribute('data-reverify')) { location.href = form.getAttribute('data-reverify'); return; }
          say(err && err.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out.' : (err && err.message) || 'The passkey could not be used.');
        });
    });
  });
})();
`.trim();

/** For the pages' Content-Security-Policy (views/layout.ts): this script, and nothing else, may run. */
export const PASSKEY_SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(PASSKEY_JS).digest('base64')}'`;

/** The script element, for the pages with a passkey form (after the forms). */
export function passkeyScript(): Html {
  return trusted(`<script>${PASSKEY_JS}</script>`);
}
