import { type Html, html } from '../core/html.js';
import { layout } from './layout.js';
import { passkeySignInSection } from './passkeys.view.js';

export interface SignInView {
  formToken: string;
  next: string;
  login?: string;
  notice?: string | null;
  error?: string | null;
}

export function signInPage(v: SignInView): Html {
  return layout(
    { title: 'Sign in', viewer: null, notice: v.notice, error: v.error },
    html`<section aria-labelledby="sign-in-h">
<h2 id="sign-in-h">Sign in with your login password</h2>
<form method="post" action="/sign-in">
<input type="hidden" name="_signin" value="${v.formToken}">
<input type="hidden" name="next" value="${v.next}">
<label for="login">Login</label>
<input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100" value="${v.login ?? ''}"${v.login ? '' : html` autofocus`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${v.login ? html` autofocus` : ''}>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
<p class="hint">Use the password of your account, not an app password or a sublogin’s password: those are for WebDAV clients and scripts (HTTP Basic).</p>
</section>
${passkeySignInSection(v.formToken, v.next)}`,
  );
}
