import type { AccountRole } from '../../accounts/account.entity.js';

export interface TwoFactorRequirement {
  requireAdmin2fa: boolean;
  require2fa: boolean;
}

/** Whether an account of `role` must have a second factor (REQUIRE_2FA, REQUIRE_ADMIN_2FA). */
export function mustHaveSecondFactor(role: AccountRole, config: TwoFactorRequirement): boolean {
  return config.require2fa || (config.requireAdmin2fa && role === 'admin');
}
