import { STATUS_CODES } from 'node:http';
import type { ErrorCode } from './error-codes.js';

/** The JSON body of every error answer (contract §8). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export function errorBody(status: number, code: ErrorCode, message: string, details?: unknown): ErrorBody {
  const body: ErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message };
  if (details !== undefined) body.details = details;
  return body;
}
