import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import type { Application } from '../api-keys/application.entity.js';
import { ApplicationsService } from '../api-keys/applications.service.js';
import { APPLICATION_STATUSES, type ApplicationStatus, type ReviewAction } from '../api-keys/core/application-lifecycle.js';
import { AdminApplicationDto } from '../api-keys/dto/application.dto.js';
import { type CliBase, group, runOf } from './cli-command.js';
import { cliActor, emit, withPaging, isUuid, table, usageError, warnIfNotBroadcast, withServices } from './cli-context.js';

const REVIEWS: readonly { action: ReviewAction; description: string }[] = [
  { action: 'approve', description: 'pending or rejected → approved: the developer may then fetch the API key once (as POST /api/admin/apps/{id}/approve)' },
  { action: 'reject', description: 'pending → rejected (as POST /api/admin/apps/{id}/reject)' },
  { action: 'revoke', description: 'approved → revoked, final: its keys are refused for everyone (as POST /api/admin/apps/{id}/revoke)' },
];

export function appsCommand(base: CliBase): Command {
  const apps = group('apps', 'Developer applications and their review: list, approve, reject, revoke');

  withPaging(
    apps
      .command('list')
      .description('Applications, oldest first (as GET /api/admin/apps); --status pending is the review queue')
      .option('--status <status>', APPLICATION_STATUSES.join(', '))
  )
    .action(async (o: { status?: string; limit: number; offset: number }, command: Command) => {
      const run = runOf(base, command);
      if (o.status !== undefined && !(APPLICATION_STATUSES as readonly string[]).includes(o.status)) throw usageError(`--status must be one of ${APPLICATION_STATUSES.join(', ')} (got "${o.status}")`);
      await withServices(run, async (app) => {
        const { items, total } = await app.get(ApplicationsService).list(o.offset, o.limit, o.status as ApplicationStatus | undefined);
        const page = { items: await views(app, items), total, offset: o.offset, limit: o.limit };
        emit(run, page, () => [appTable(page.items), `${page.items.length} of ${total} application${total === 1 ? '' : 's'}`].join('\n'));
      });
    });

  for (const { action, description } of REVIEWS) {
    apps
      .command(action)
      .description(description)
      .argument('<id>', 'the application’s id')
      .action(async (id: string, _o: unknown, command: Command) => {
        const run = runOf(base, command);
        if (!isUuid(id)) throw usageError(`<id> must be an application id (a UUID), got "${id}"`);
        await withServices(run, async (app, config) => {
          // The service method the admin controller calls: same transition rules, same audit record.
          const reviewed = await app.get(ApplicationsService).review({ account: { login: cliActor(run.io, run.env) } }, id, action);
          if (action === 'revoke') warnIfNotBroadcast(run, config, 'the application’s API keys');
          const [view] = await views(app, [reviewed]);
          emit(run, view, () => appTable([view!]));
        });
      });
  }
  return apps;
}

async function views(app: INestApplicationContext, items: Application[]): Promise<AdminApplicationDto[]> {
  const service = app.get(ApplicationsService);
  const [keys, owners] = await Promise.all([service.activeKeys(items.map((a) => a.id)), service.owners(items.map((a) => a.ownerAccountId))]);
  return items.map((a) => AdminApplicationDto.ofAdmin(a, keys.get(a.id), owners.get(a.ownerAccountId)));
}

function appTable(items: readonly AdminApplicationDto[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'OWNER', 'KEY', 'REVIEWED BY', 'CREATED'],
    items.map((a) => [a.id, a.name, a.status, a.owner.login ?? a.owner.id, a.key ? `…${a.key.last4}` : '-', a.reviewedBy ?? '-', a.createdAt]),
  );
}
