import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { AppPasswordsController } from './app-passwords.controller.js';
import { MeController } from './me.controller.js';
import { TwoFactorController } from './two-factor.controller.js';

@Module({ imports: [AccountsModule, AuthModule], controllers: [MeController, AppPasswordsController, TwoFactorController] })
export class MyPageModule {}
