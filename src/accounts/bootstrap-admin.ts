import type { AppConfig } from '../config/config.js';
import { randomToken } from '../crypto/secrets.js';
import type { AccountsService } from './accounts.service.js';

/**
 * Creates the first operator once. Returns the generated password when one was made (the caller
 * prints it, once); undefined when the operator existed or the password came from the environment.
 */
export async function ensureBootstrapAdmin(accounts: AccountsService, config: AppConfig): Promise<{ login: string; generatedPassword?: string; created: boolean }> {
  const login = config.bootstrapAdminLogin;
  if (await accounts.findByLogin(login)) return { login, created: false };
  const generatedPassword = config.bootstrapAdminPassword ? undefined : randomToken(18);
  try {
    await accounts.create({ login, password: config.bootstrapAdminPassword ?? generatedPassword!, email: `${login}@localhost`, role: 'admin' });
  } catch (err) {
    // Another instance created it at the same moment: theirs stands.
    if (await accounts.findByLogin(login)) return { login, created: false };
    throw err;
  }
  return { login, generatedPassword, created: true };
}
