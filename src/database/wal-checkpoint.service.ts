import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WalCheckpointer } from './wal-checkpointer.js';

/** Runs the WAL checkpointer beside a SQLite database file (not `:memory:`, not PostgreSQL). */
@Injectable()
export class WalCheckpointService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WalCheckpointService.name);
  private checkpointer: WalCheckpointer | undefined;
  private lastError: string | undefined;

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const { type, database } = this.dataSource.options;
    if (type !== 'better-sqlite3' || typeof database !== 'string' || database === ':memory:') return;
    this.checkpointer = WalCheckpointer.start(database, (message) => {
      // The main connection still checkpoints past its fallback threshold: a warning, once per kind.
      if (message !== this.lastError) this.logger.warn({ error: message }, 'background WAL checkpoint failed');
      this.lastError = message;
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.checkpointer?.stop();
  }
}
