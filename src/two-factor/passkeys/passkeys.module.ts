import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Passkey } from './passkey.entity.js';
import { PasskeyCeremonies } from './passkey-ceremonies.service.js';
import { PasskeyStore } from './passkey-store.js';
import { WebAuthnChallenges } from './webauthn-challenges.js';

/**
 * Passkeys (WebAuthn, contract §4.9): the credentials and their ceremonies. Below auth, like the
 * rest of src/two-factor: the pages and sign-in routes (src/web) decide who may start a ceremony.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Passkey])],
  providers: [PasskeyStore, WebAuthnChallenges, PasskeyCeremonies],
  exports: [PasskeyStore, PasskeyCeremonies],
})
export class PasskeysModule {}
