/**
 * The part of oidc-provider 9's API that Portcullis uses. The package ships JavaScript only
 * (and no @types package matches version 9), so these declarations are ours: kept narrow, and
 * checked against the library by the e2e tests that drive every path through it.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AdapterPayload = Record<string, unknown> & {
    jti?: string;
    kind?: string;
    grantId?: string;
    userCode?: string;
    uid?: string;
    accountId?: string;
    clientId?: string;
    consumed?: number;
    exp?: number;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface OidcClient {
    clientId: string;
    clientName?: string;
    clientSecret?: string;
    clientAuthMethod: string;
    applicationType: string;
    redirectUris?: string[];
    grantTypeAllowed(type: string): boolean;
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  }

  export interface OidcSession {
    accountId?: string;
    state?: { secret?: string } & Record<string, unknown>;
  }

  /** Koa's context with oidc-provider's `ctx.oidc`, as far as our callbacks read it. */
  export interface KoaContextWithOIDC {
    oidc: {
      route?: string;
      client?: OidcClient;
      params: Record<string, unknown>;
      session?: OidcSession;
      entities: Record<string, unknown>;
      urlFor(name: string, opts?: Record<string, unknown>): string;
    };
    body: unknown;
    type: string;
    status: number;
    ip: string;
    set(field: string, value: string): void;
    get(field: string): string;
  }

  export interface InteractionDetails {
    uid: string;
    jti: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id?: string; scope?: string };
    session?: { accountId: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
    exp: number;
  }

  export interface InteractionResults {
    login?: { accountId: string; remember?: boolean; amr?: string[] };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    getResourceScope(resource: string): string;
    save(ttl?: number): Promise<string>;
    static find(id: string): Promise<Grant | undefined>;
  }

  export interface ClientStatic {
    find(id: string): Promise<OidcClient | undefined>;
    prototype: OidcClient;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    readonly Grant: typeof Grant;
    readonly Client: ClientStatic;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResults, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): this;
  }

  export namespace errors {
    class OIDCProviderError extends Error {
      constructor(status: number, message: string);
      status: number;
      statusCode: number;
      error: string;
      error_description?: string;
      expose: boolean;
    }
    class InvalidGrant extends OIDCProviderError {
      constructor(detail?: string);
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string, detail?: string);
    }
    class SessionNotFound extends OIDCProviderError {
      constructor(detail?: string);
    }
  }

  export default Provider;
}
