import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal, principalLogin } from '../auth/principal.js';

class WhoamiDto {
  @ApiProperty({ description: 'The login that authenticated', example: 'alice-backup' }) login: string;
  @ApiProperty({ description: 'The customer account acted for', example: 'alice' }) account: string;
  @ApiProperty({ nullable: true, type: String, description: 'The sublogin name, when a sublogin authenticated', example: 'backup' }) sublogin: string | null;
  @ApiProperty({ enum: ['basic', 'bearer', 'otp', 'session'] }) method: string;
  @ApiPropertyOptional({ nullable: true, type: Object, description: 'The application (API key or OAuth client)' }) application: { id: string; name: string } | null;
  @ApiPropertyOptional({ nullable: true, type: [String], description: 'OAuth scopes of a token' }) scopes: string[] | null;
}

@ApiTags('whoami')
@Controller('api/whoami')
export class WhoamiController {
  @Get()
  @Auth('basic', 'bearer', 'otp', 'session')
  @ApiKeyPolicy('optional')
  @ApiOperation({ summary: 'Who these credentials are: use it to test a client\'s settings' })
  @ApiOkResponse({ type: WhoamiDto })
  whoami(@CurrentPrincipal() p: Principal): WhoamiDto {
    return { login: principalLogin(p), account: p.account.login, sublogin: p.sublogin?.name ?? null, method: p.method, application: p.application, scopes: p.scopes };
  }
}
