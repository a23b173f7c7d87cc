import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AclModule } from '../acl/acl.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { LinksModule } from '../links/links.module.js';
import { OAuthServerModule } from '../oauth/oauth-server.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { SubloginsModule } from '../sublogins/sublogins.module.js';
import { PasskeysModule } from '../two-factor/passkeys/passkeys.module.js';
import { TwoFactorModule } from '../two-factor/two-factor.module.js';
import { AppPasswordPagesController } from './app-password-pages.controller.js';
import { DeveloperPagesController } from './developer-pages.controller.js';
import { LinkPagesController } from './link-pages.controller.js';
import { MyPagePagesController } from './mypage-pages.controller.js';
import { OperatorPagesController } from './operator-pages.controller.js';
import { PasskeyOptionsController } from './passkey-options.controller.js';
import { PasskeyPagesController } from './passkey-pages.controller.js';
import { SessionPagesController } from './session-pages.controller.js';
import { SubloginPagesController } from './sublogin-pages.controller.js';
import { TwoFactorPagesController } from './two-factor-pages.controller.js';

/**
 * Server-rendered pages (contract §7 "a small server-rendered MyPage"): sign-in, MyPage, sublogins,
 * developer and operator pages. They call the services the API calls, never the API over HTTP.
 */
@Module({
  imports: [AccountsModule, AuthModule, ApiKeysModule, AclModule, StorageModule, SubloginsModule, OAuthServerModule, TwoFactorModule, PasskeysModule, LinksModule],
  controllers: [SessionPagesController, MyPagePagesController, AppPasswordPagesController, SubloginPagesController, LinkPagesController, TwoFactorPagesController, DeveloperPagesController, OperatorPagesController, PasskeyOptionsController, PasskeyPagesController],
})
export class WebModule {}
