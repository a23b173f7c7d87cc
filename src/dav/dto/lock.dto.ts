import { ApiProperty } from '@nestjs/swagger';
import { describeLock } from '../core/locks.js';
import type { AreaLock } from '../dav-lock.store.js';

/** One live WebDAV lock on the account's resources, as `GET /api/me/locks` lists it. */
export class LockDto {
  @ApiProperty({ description: 'The lock token (`urn:uuid:…`), as lockdiscovery shows it; remove the lock with `DELETE /api/me/locks/{token}`' })
  token: string;

  @ApiProperty({ enum: ['main', 'backup'], description: 'Storage area: `main` is `/dav/`, `/v2/dav/` and the file API; `backup` is `/backup/`' })
  area: string;

  @ApiProperty({ description: 'The locked resource, a path inside the area (`/proj`)' })
  root: string;

  @ApiProperty({ enum: ['0', 'infinity'], description: '`infinity`: the resource and everything below it' })
  depth: '0' | 'infinity';

  @ApiProperty({ enum: ['exclusive', 'shared'] })
  scope: string;

  @ApiProperty({ description: 'Login that took the lock: the account itself or one of its sublogins (`customer-name`)' })
  principal: string;

  @ApiProperty({ nullable: true, type: String, description: "The client's `<D:owner>` (XML), as lockdiscovery shows it" })
  owner: string | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ description: 'Seconds left, rounded up' })
  timeoutSeconds: number;

  static of(lock: AreaLock, now: number = Date.now()): LockDto {
    const left = describeLock(lock, now).timeoutSeconds;
    return {
      token: lock.token,
      area: lock.area,
      root: lock.root,
      depth: lock.depth === 0 ? '0' : 'infinity',
      scope: lock.scope,
      principal: lock.principal,
      owner: lock.owner,
      expiresAt: new Date(lock.expiresAt).toISOString(),
      timeoutSeconds: typeof left === 'number' ? left : 0,
    };
  }
}
