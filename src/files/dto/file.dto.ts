import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { fastValidation, onlyKeys, plainLength } from '../../errors/validation.pipe.js';
import { FIELDS_PATTERN, FILE_FIELDS } from '../core/file-view.js';

// Path length is checked in bytes by the storage core (4096); this only bounds the work before it.
const MAX_PATH_CHARS = 8192;

const PATH_DOC =
  'Path inside the account\'s storage, `/` separated; a leading `/` is optional and means the storage root. ' +
  '`..`, NUL and other control characters, and `\\` are refused (400 `path_escape` / `path_invalid`); names are taken literally (no second decoding).';

/** `true`/`false`/`1`/`0` from a query string; anything else stays as sent and fails IsBoolean. */
const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

// Query parameters carry no `example`: Swagger UI's "Try it out" fills a parameter's example in as
// its value (a new user's first listing came back filtered to nothing). Examples are in the
// description instead; test/browser/swagger-ui.browser-spec.ts and src/openapi/query-examples.spec.ts.

export class PathQueryDto {
  @ApiProperty({ description: `${PATH_DOC} Example: \`/docs/report.pdf\`.` })
  @IsString()
  @MaxLength(MAX_PATH_CHARS)
  path: string;
}

export class InfoQueryDto extends PathQueryDto {
  @ApiPropertyOptional({ description: `Comma-separated fields to return: ${FILE_FIELDS.join(', ')}. Default: all. Example: \`name,size\`.` })
  @IsOptional()
  @Matches(FIELDS_PATTERN, { message: `fields must be a comma-separated list of ${FILE_FIELDS.join(', ')}` })
  fields?: string;
}

export class ListQueryDto {
  // Swagger UI's "Try it out" fills in the default: the root, which exists in every account.
  @ApiPropertyOptional({ description: `The folder to list. ${PATH_DOC}`, default: '/' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATH_CHARS)
  path: string = '/';

  @ApiPropertyOptional({ description: 'Also list all sub-folders (depth-first, each folder in name order). At most 10000 entries are examined; `truncated` says when there were more.', default: false })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  recursive: boolean = false;

  @ApiPropertyOptional({ description: `Comma-separated fields to return per entry: ${FILE_FIELDS.join(', ')}. Default: all. Example: \`name,size\`.` })
  @IsOptional()
  @Matches(FIELDS_PATTERN, { message: `fields must be a comma-separated list of ${FILE_FIELDS.join(', ')}` })
  fields?: string;

  @ApiPropertyOptional({
    description: 'Only entries whose full name (extension included) matches this pattern, case-sensitively: `*` is any run of characters, `?` one character, all else literal. Example: `*.pdf`. Default: every entry.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  filter_full_name?: string;
}

export class PathBodyDto {
  @ApiProperty({ description: PATH_DOC, example: '/docs/new-folder' })
  @IsString()
  @MaxLength(MAX_PATH_CHARS)
  path: string;
}

export class TransferBodyDto {
  @ApiProperty({ description: `Source. ${PATH_DOC}`, example: '/docs/a.txt' })
  @IsString()
  @MaxLength(MAX_PATH_CHARS)
  from: string;

  @ApiProperty({ description: 'Target path (the new name, not the folder to put it in). Missing parent folders are created.', example: '/archive/a.txt' })
  @IsString()
  @MaxLength(MAX_PATH_CHARS)
  to: string;

  @ApiPropertyOptional({ description: 'Replace an existing target (a file, or a whole folder). Without it an existing target is 409 `conflict`.', default: false })
  @IsOptional()
  @IsBoolean()
  overwrite: boolean = false;
}

export class FileEntryDto {
  @ApiPropertyOptional({ description: 'Last path segment; empty for the storage root' }) name?: string;
  @ApiPropertyOptional({ example: '/docs/a.txt' }) path?: string;
  @ApiPropertyOptional({ enum: ['file', 'directory'] }) type?: 'file' | 'directory';
  @ApiPropertyOptional({ description: 'Bytes; 0 for folders' }) size?: number;
  @ApiPropertyOptional({ format: 'date-time' }) modified?: string;
  @ApiPropertyOptional({ description: 'Strong entity tag, as in the ETag header of a download', example: '"1a2b-c-3d4e5f"' }) etag?: string;
}

export class FileListDto {
  @ApiProperty({ description: 'The listed folder (canonical)', example: '/docs' }) path: string;
  @ApiProperty({ type: [FileEntryDto], description: 'Entries, with the fields asked for' }) items: FileEntryDto[];
  @ApiProperty({ description: 'True when the listing stopped at its limit' }) truncated: boolean;
}

export class TransferResultDto {
  @ApiProperty({ type: FileEntryDto }) entry: FileEntryDto;
  @ApiProperty({ description: 'True when an existing target was replaced' }) replaced: boolean;
}

// Compiled checks of the query DTOs (AppValidationPipe): what they accept, class-validator would
// too, to the same instance; anything else goes through class-validator (src/errors/validation.pipe.ts).
const PATH_KEYS = ['path'] as const;
const INFO_KEYS = ['path', 'fields'] as const;
const LIST_KEYS = ['path', 'recursive', 'fields', 'filter_full_name'] as const;
const isPath = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_PATH_CHARS;
const isFields = (v: unknown): v is string => typeof v === 'string' && FIELDS_PATTERN.test(v);

fastValidation(PathQueryDto, (q) => {
  if (!onlyKeys(q, PATH_KEYS) || !isPath(q.path)) return undefined;
  const dto = new PathQueryDto();
  dto.path = q.path;
  return dto;
});

fastValidation(InfoQueryDto, (q) => {
  if (!onlyKeys(q, INFO_KEYS) || !isPath(q.path) || (q.fields !== undefined && !isFields(q.fields))) return undefined;
  const dto = new InfoQueryDto();
  dto.path = q.path;
  if (q.fields !== undefined) dto.fields = q.fields;
  return dto;
});

fastValidation(ListQueryDto, (q) => {
  if (!onlyKeys(q, LIST_KEYS)) return undefined;
  const dto = new ListQueryDto();
  if (q.path !== undefined) {
    if (!isPath(q.path)) return undefined;
    dto.path = q.path;
  }
  if (q.recursive !== undefined) {
    const recursive = toBoolean({ value: q.recursive });
    if (typeof recursive !== 'boolean') return undefined;
    dto.recursive = recursive;
  }
  if (q.fields !== undefined) {
    if (!isFields(q.fields)) return undefined;
    dto.fields = q.fields;
  }
  if (q.filter_full_name !== undefined) {
    if (typeof q.filter_full_name !== 'string' || !plainLength(q.filter_full_name, 1, 1024)) return undefined;
    dto.filter_full_name = q.filter_full_name;
  }
  return dto;
});
