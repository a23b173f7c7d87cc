/**
 * Every error code the API can answer, with its HTTP status. The codes are part of the
 * public contract (contract §8): clients branch on them. Adding a code means adding it here,
 * and the compiler then insists on a status for it.
 */
export const ERROR_STATUS = {
  // 400
  malformed_authorization: 400,
  malformed_json: 400,
  validation_failed: 400,
  bad_request: 400,
  api_key_malformed: 400,
  path_invalid: 400,
  path_escape: 400,
  path_too_long: 400,
  acl_rule_invalid: 400,
  // WebDAV PUT with OC-Checksum: the bytes received do not match it (nothing was stored).
  checksum_mismatch: 400,
  // A passkey registration the server could not verify (challenge, origin, RP id, attestation); nothing stored.
  passkey_refused: 400,
  // 401
  authentication_required: 401,
  invalid_credentials: 401,
  basic_disabled: 401,
  session_expired: 401,
  api_key_required: 401,
  otp_malformed: 401,
  otp_expired: 401,
  otp_too_long: 401,
  otp_replayed: 401,
  invalid_token: 401,
  // A scoped credential (app password, sublogin, API key, signed link) past its expiry.
  credential_expired: 401,
  // A session that has its password but not yet its second factor (contract §4.9): only the
  // second-factor routes take it; one that must enrol first takes only the enrolment routes.
  second_factor_required: 401,
  second_factor_enrolment_required: 401,
  // 403
  forbidden: 403,
  csrf_failed: 403,
  tls_required: 403,
  account_suspended: 403,
  admin_required: 403,
  api_key_invalid: 403,
  api_key_blocked: 403,
  acl_denied: 403,
  insufficient_scope: 403,
  // Sublogin management by a limited principal (a sublogin, a scoped token): the rules would
  // grant, or the target sublogin holds, a right the actor lacks; or a sublogin acting on itself.
  sublogin_escalation: 403,
  sublogin_self: 403,
  // A credential's own limits (contract §4.7): the client's address is outside its ranges; the
  // request is outside its rules or its link's method and path; the link was revoked or used up.
  address_not_allowed: 403,
  outside_scope: 403,
  link_revoked: 403,
  link_used: 403,
  // A sensitive action (contract §4.9) from a session whose last second factor is older than 10 minutes.
  recent_second_factor_required: 403,
  // 404, 405, 409, 411, 412, 413, 415, 416, 429
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  login_taken: 409,
  app_connection_conflict: 409,
  length_required: 411,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  too_many_requests: 429,
  // WebDAV (RFC 4918): a lock blocks the change (423), a well-formed body that is not a valid
  // request (422), a Destination on another server or mount (502, RFC 4918 §9.8.5)
  locked: 423,
  unprocessable_entity: 422,
  bad_gateway: 502,
  // 5xx: only for what is truly ours to fix or temporarily unavailable
  internal_error: 500,
  service_unavailable: 503,
  insufficient_storage: 507,
  // The account's storage quota (main and backup together) would be exceeded; nothing was stored.
  quota_exceeded: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}
