import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

/** The error body of every non-2xx JSON answer (contract §8), for the OpenAPI document. */
export class ErrorResponseDto {
  @ApiProperty({ example: 401 })
  statusCode: number;

  @ApiProperty({ example: 'Unauthorized' })
  error: string;

  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'invalid_credentials' })
  code: ErrorCode;

  @ApiProperty({ example: 'invalid credentials' })
  message: string;

  @ApiPropertyOptional({ description: 'Field errors of a `validation_failed` answer' })
  details?: unknown;
}
