import type { Type } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Strategy } from 'passport-strategy';
import type { AuthMethod, Principal } from '../principal.js';
import type { Verification } from '../verification.js';

/** What a strategy's validate() answers: the principal with what to record of it, or null for "not mine". */
export type Validated = [Principal, Verification] | Principal | null;

/** The verify callback's `done`, as Passport's strategies call it. */
export type Done = (err: unknown, principal?: Principal | false | null, info?: Verification) => void;

/** Passport's process-wide instance is never told about our strategies (see CredentialStrategy). */
const NOT_REGISTERED = { use: () => NOT_REGISTERED };

/**
 * @nestjs/passport's PassportStrategy (the subclass's validate() becomes the strategy's verify
 * callback), minus its registration in Passport's process-wide instance: the access pipeline
 * registers its declared strategies in a Passport instance of its own app, so two apps in one
 * process (as in the tests) never run each other's strategies.
 */
export function CredentialStrategy(Base: Type<Strategy>, method: AuthMethod) {
  abstract class Unregistered extends (PassportStrategy(Base, method) as Type<Strategy>) {
    /** Called by Passport with the credential it read: the principal, null for "not mine", or a throw (CredentialRefused). */
    abstract validate(...args: unknown[]): Validated | Promise<Validated>;

    getPassportInstance(): typeof NOT_REGISTERED {
      return NOT_REGISTERED;
    }
  }
  return Unregistered;
}
