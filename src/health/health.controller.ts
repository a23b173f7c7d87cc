import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { SharedState } from '../shared-state/shared-state.js';
import { StorageService } from '../storage/storage.service.js';

export interface Readiness {
  status: 'ready' | 'not_ready';
  database: boolean;
  storage: boolean;
  sharedState: boolean;
}

/**
 * How long /ready waits for Redis's answer. A hung connection (a partition) must not hang the
 * probe itself, which would take the instance out of rotation after all (Kubernetes' default
 * probe timeout is 1 s); a refused one fails at once (no offline queue).
 */
const SHARED_STATE_WAIT_MS = 500;

const READINESS_SCHEMA = {
  type: 'object',
  required: ['status', 'database', 'storage', 'sharedState'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    database: { type: 'boolean', description: 'The database answers `SELECT 1`.' },
    storage: { type: 'boolean', description: '`STORAGE_DIR` is a directory this process may write to.' },
    sharedState: { type: 'boolean', description: 'Redis answers (always `true` without `REDIS_URL`). Reported only: `false` does not make the instance unready.' },
  },
};

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sharedState: SharedState,
    private readonly storage: StorageService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Not ready (503) only for what this instance cannot serve without: its database and its
   * storage. Redis is shared by every instance: were it to make each one unready, a Redis outage
   * would take the whole fleet out of rotation, although Basic, sessions and API keys keep
   * working without it (their caches off, OTPs refused, throttling per instance).
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the database answers and the storage is writable',
    description:
      '`503` only for what this instance cannot serve without: its database and its storage (`STORAGE_DIR`). ' +
      'Redis (`sharedState`) is reported but never makes an instance unready: it is shared, so every instance would leave the rotation at once, ' +
      'while Basic, sessions and API keys keep working without it (caches off, OTPs refused with `503`, throttling counted per instance). ' +
      'A Redis that does not answer is waited for 500 ms at most.',
  })
  @ApiOkResponse({
    description: 'Ready: the database answers and the storage is writable (Redis may be down: `sharedState`)',
    schema: READINESS_SCHEMA,
    examples: {
      ready: { summary: 'Everything answers', value: { status: 'ready', database: true, storage: true, sharedState: true } },
      redisDown: { summary: 'Redis unreachable: still ready', value: { status: 'ready', database: true, storage: true, sharedState: false } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'Not ready: the database does not answer, or the storage is missing or not writable',
    schema: READINESS_SCHEMA,
    examples: {
      databaseDown: { summary: 'The database unreachable', value: { status: 'not_ready', database: false, storage: true, sharedState: true } },
      storageGone: { summary: 'STORAGE_DIR missing or not writable', value: { status: 'not_ready', database: true, storage: false, sharedState: true } },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const [database, storage, sharedState] = await Promise.all([
      this.dataSource.query('SELECT 1').then(() => true, () => false),
      this.storageWritable(),
      this.sharedStateAnswers(),
    ]);
    const ok = database && storage;
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not_ready', database, storage, sharedState };
  }

  private async sharedStateAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, SHARED_STATE_WAIT_MS, false)));
    try {
      return await Promise.race([this.sharedState.ping(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** STORAGE_DIR is a directory we may create files in (a lost or read-only volume is not). */
  private async storageWritable(): Promise<boolean> {
    try {
      if (!(await stat(this.storage.root)).isDirectory()) return false;
      await access(this.storage.root, constants.W_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
}
