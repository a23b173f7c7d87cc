import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { PendingStage } from './factors.js';

export const RECENT_SECOND_FACTOR = 'portcullis:recent-second-factor';
export const PENDING_SESSION_ALLOWED = 'portcullis:pending-session-allowed';

/**
 * A sensitive action (contract §4.9): a session of an account that has (or must have) a second
 * factor needs one given within the last 10 minutes, else `403 recent_second_factor_required`
 * (web pages: the re-verify form, then back). Read by the RouteTable, checked in the pipeline.
 */
export function RecentSecondFactor(): MethodDecorator {
  return applyDecorators(
    SetMetadata(RECENT_SECOND_FACTOR, true),
    ApiForbiddenResponse({ description: 'No second factor in the last 10 minutes (`recent_second_factor_required`)', type: ErrorResponseDto }),
  );
}

/**
 * Routes that also take a pending session (contract §4.9) at the given stages: the ones that
 * complete sign-in with a second factor, and the enrolment routes. Every other route answers
 * such a session `401 second_factor_required` / `second_factor_enrolment_required`.
 */
export function PendingSessionAllowed(...stages: [PendingStage, ...PendingStage[]]): MethodDecorator {
  return SetMetadata(PENDING_SESSION_ALLOWED, stages);
}
