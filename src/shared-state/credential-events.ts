import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SharedState } from './shared-state.js';

const CHANNEL = 'credentials-changed';

/**
 * The broadcast behind "revocation is immediate" (SPEC §4.1): whoever changes a password,
 * a connection state, a sublogin or an account status announces the login here, and every
 * instance drops what it cached for that login.
 */
@Injectable()
export class CredentialEvents implements OnModuleInit {
  private readonly listeners = new Set<(login: string) => void>();

  constructor(private readonly state: SharedState) {}

  async onModuleInit(): Promise<void> {
    await this.state.subscribe(CHANNEL, (login) => {
      for (const listener of this.listeners) listener(login);
    });
  }

  /** Announce a change; resolves once the broadcast is sent (the local listeners have run). */
  async changed(login: string): Promise<void> {
    await this.state.publish(CHANNEL, login);
  }

  onChange(listener: (login: string) => void): void {
    this.listeners.add(listener);
  }
}
