/**
 * Confirmation messages a redirect may ask for (`?notice=key`). Only these fixed texts are ever
 * shown, so a crafted link cannot put words on the page.
 */
const NOTICES = {
  'signed-out': 'You are signed out.',
  'session-expired': 'Your session has ended. Please sign in again.',
  'connection-disabled': 'The app connection is disabled: HTTP Basic and OTP are refused for your account until you enable it again.',
  'password-changed': 'Your login password was changed.',
  'app-blocked': 'The application is blocked for your account and its sublogins.',
  'app-revoked-access': 'The application’s access was revoked: its tokens no longer work.',
  'app-unblocked': 'The application is no longer blocked for your account.',
  'sublogin-created': 'The sublogin was created with the password you chose.',
  'sublogin-enabled': 'The sublogin is enabled.',
  'sublogin-disabled': 'The sublogin is disabled: it authenticates nowhere until you enable it.',
  'sublogin-deleted': 'The sublogin and its rules were deleted.',
  'rules-saved': 'The rules were saved. They apply at once.',
  'limits-saved': 'The expiry and allowed addresses were saved. They apply at once, everywhere.',
  'key-limits-saved': 'The key’s expiry and allowed addresses were saved. They apply at once, everywhere.',
  'app-registered': 'Your application is registered and waits for an operator’s review.',
  'app-approved': 'The application is approved. Its developer can now fetch the API key once.',
  'app-rejected': 'The application is rejected.',
  'app-revoked': 'The application is revoked: its keys are refused everywhere.',
  'account-created': 'The account was created.',
  'account-suspended': 'The account is suspended: it and its sublogins authenticate nowhere.',
  'account-unsuspended': 'The account is active again.',
  'quota-saved': 'The storage quota was saved. It applies at once.',
  'app-password-revoked': 'The app password was revoked: it no longer works anywhere.',
  'link-revoked': 'The link was revoked: it no longer works anywhere.',
  'two-factor-off': 'The authenticator app is off: it no longer signs you in.',
} as const;

export type NoticeKey = keyof typeof NOTICES;

export function noticeText(key: unknown): string | null {
  return typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : null;
}
