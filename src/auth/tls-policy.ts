import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';

/**
 * Credentials travel only over TLS (contract §2): the request came over HTTPS (directly, or through a
 * trusted proxy that says so — Fastify's `protocol` honours TRUST_PROXY), or from loopback, or
 * the operator allowed plain HTTP explicitly.
 */
export function assertSecureTransport(req: FastifyRequest, config: AppConfig): void {
  if (req.protocol === 'https' || config.allowInsecureHttp || isLoopback(req.ip)) return;
  throw new DomainError('tls_required', 'credentials are accepted over HTTPS only');
}

export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}
