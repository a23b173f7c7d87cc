import { setTimeout as sleep } from 'node:timers/promises';
import { generateSync } from 'otplib';

const PERIOD = 30;

/**
 * TOTP codes computed in the test, as an authenticator app would (otplib, RFC 6238). The service
 * accepts a code once per time step and one step either side, so each secret gets the current
 * step's code and then the next one's; when both are used, it waits for the next step.
 */
export class TotpCodes {
  private readonly lastStep = new Map<string, number>();

  /** A code the service has not seen yet for this secret. */
  async fresh(secret: string): Promise<string> {
    for (;;) {
      const now = Math.floor(Date.now() / 1000);
      const current = Math.floor(now / PERIOD);
      const step = Math.max(current, (this.lastStep.get(secret) ?? -1) + 1);
      if (step <= current + 1) {
        this.lastStep.set(secret, step);
        return generateSync({ secret, epoch: step * PERIOD });
      }
      await sleep(((current + 1) * PERIOD - now) * 1000 + 200);
    }
  }

  /** The code of the step `offset` steps from now (for the window's edges), not recorded. */
  static at(secret: string, offsetSteps: number): string {
    return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * PERIOD });
  }
}
