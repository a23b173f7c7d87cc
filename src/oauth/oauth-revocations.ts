import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type BroadcastHealth, SharedState } from '../shared-state/shared-state.js';

const CHANNEL = 'oauth-revocations';

export type Revocation = { kind: 'grant'; grantId: string } | { kind: 'token'; idHash: string };

/**
 * The broadcast behind "a revoked token fails at once, everywhere" (contract §4.1, §4.4): whoever
 * deletes a grant or an access token announces it here after the delete is committed, and every
 * instance's Bearer cache drops what it remembered of it — this one before the call returns,
 * the others when the message arrives (milliseconds on Redis).
 */
@Injectable()
export class OAuthRevocations implements OnModuleInit {
  private readonly listeners = new Set<(r: Revocation) => void>();

  constructor(private readonly state: SharedState) {}

  async onModuleInit(): Promise<void> {
    await this.state.subscribe(CHANNEL, (message) => {
      const r = decode(message);
      if (r) this.notifyLocal(r);
    });
  }

  onRevoked(listener: (r: Revocation) => void): void {
    this.listeners.add(listener);
  }

  async grantRevoked(grantId: string): Promise<void> {
    await this.announce({ kind: 'grant', grantId });
  }

  /**
   * A grant was written (a consent adds to it): the same announcement as a revocation, since
   * what any instance remembers of the grant (GrantCache, the Bearer cache) must go either way.
   */
  async grantChanged(grantId: string): Promise<void> {
    await this.announce({ kind: 'grant', grantId });
  }

  /** Whether announcements are heard (caches that rely on them fail closed when not). */
  get broadcast(): BroadcastHealth {
    return this.state;
  }

  async tokenRevoked(idHash: string): Promise<void> {
    await this.announce({ kind: 'token', idHash });
  }

  private async announce(r: Revocation): Promise<void> {
    this.notifyLocal(r);
    await this.state.publish(CHANNEL, r.kind === 'grant' ? `g:${r.grantId}` : `t:${r.idHash}`);
  }

  private notifyLocal(r: Revocation): void {
    for (const listener of this.listeners) listener(r);
  }
}

function decode(message: string): Revocation | null {
  if (message.startsWith('g:')) return { kind: 'grant', grantId: message.slice(2) };
  if (message.startsWith('t:')) return { kind: 'token', idHash: message.slice(2) };
  return null;
}
