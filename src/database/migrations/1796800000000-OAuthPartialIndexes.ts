import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * The secondary indexes of `oauth_artifacts` hold only the rows whose column is set (issue 18).
 * Every row went into all seven, most of them over NULL columns: an access or refresh token has
 * no user code, no uid and usually no sublogin, yet each token insert updated those B-trees too
 * (nine in all with the table and its key). Every query that uses one of them compares the column
 * with `=` or `<` (which a NULL never satisfies), so each still finds its index: the provider's
 * look-ups, revocation by grant, the Bearer check's join to its grant, connected apps, the prune
 * job, and the foreign keys' cascades from applications, accounts and sublogins (SQLite and
 * PostgreSQL both prove `col = ?` implies `col IS NOT NULL`). The spec checks the query plans.
 */
export const OAUTH_ARTIFACT_INDEXES: readonly (readonly string[])[] = [['grant_id'], ['model', 'user_code'], ['model', 'uid'], ['account_id', 'model'], ['expires_at'], ['client_id'], ['sublogin_id']];

/** The condition of an index: its first column that may be NULL (`model` never is) is set. */
export function oauthArtifactIndexWhere(columns: readonly string[]): string {
  return `${columns.find((c) => c !== 'model')} IS NOT NULL`;
}

export class OAuthPartialIndexes1796800000000 implements MigrationInterface {
  name = 'OAuthPartialIndexes1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await this.replace(q, () => undefined, (columns) => oauthArtifactIndexWhere(columns));
  }

  async down(q: QueryRunner): Promise<void> {
    await this.replace(q, (columns) => oauthArtifactIndexWhere(columns), () => undefined);
  }

  /**
   * Drops each index (found by the name the naming strategy gave it, as the OAuth migration's
   * unnamed indexes were) and creates it again with the other condition, under the name the
   * entity gives it.
   */
  private async replace(q: QueryRunner, from: (columns: readonly string[]) => string | undefined, to: (columns: readonly string[]) => string | undefined): Promise<void> {
    const table = await q.getTable('oauth_artifacts');
    if (!table) throw new Error('oauth_artifacts is missing');
    for (const columns of OAUTH_ARTIFACT_INDEXES) {
      const name = q.connection.namingStrategy.indexName('oauth_artifacts', [...columns], from(columns));
      if (table.indices.some((i) => i.name === name)) await q.dropIndex(table, name);
      await q.createIndex(table, new TableIndex({ columnNames: [...columns], where: to(columns) }));
    }
  }
}
