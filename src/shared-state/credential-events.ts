import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type BroadcastHealth, SharedState } from './shared-state.js';

const CHANNEL = 'credentials-changed';

/**
 * The broadcast behind "revocation is immediate" (contract §4.1): whoever changes a password,
 * a connection state, a sublogin or an account status announces the login here, and every
 * instance drops what it cached for that login.
 */
@Injectable()
export class CredentialEvents implements OnModuleInit, BroadcastHealth {
  private readonly listeners = new Set<(login: string) => void>();

  constructor(private readonly state: SharedState) {}

  async onModuleInit(): Promise<void> {
    await this.state.subscribe(CHANNEL, (login) => this.notifyLocal(login));
  }

  /**
   * Announce a change. This instance's caches are dropped before it returns (a request right
   * after the change must not meet the old credential here); the other instances drop theirs
   * when the broadcast arrives. Our own echo drops them again, which is harmless.
   */
  async changed(login: string): Promise<void> {
    this.notifyLocal(login);
    await this.state.publish(CHANNEL, login);
  }

  private notifyLocal(login: string): void {
    for (const listener of this.listeners) listener(login);
  }

  onChange(listener: (login: string) => void): void {
    this.listeners.add(listener);
  }

  /** Whether this instance hears other instances' announcements now (see BroadcastHealth). */
  broadcastLive(): boolean {
    return this.state.broadcastLive();
  }

  onBroadcastRestored(handler: () => void): void {
    this.state.onBroadcastRestored(handler);
  }
}
