import { BoundAuthenticator } from "../http/bound-authenticator.ts";
import type { FrontDoorDeps } from "../http/front-door.ts";
import { pluginBound, pluginTimeoutMs } from "../http/plugin-bound.ts";
import type { Logger } from "../log/logger.ts";
import type { CredentialIssuer } from "../tenants/bind-tenant.ts";
import type { GatewayOptions } from "./gateway-options.ts";

/** An embedder's per-request plug-ins (its authenticator, its policy's admit), each bound by `pluginTimeoutMs`. */
export interface EmbedderPlugins {
  /** Who issues callers' credentials: the embedder's authenticator, or the gateway's keys and JWTs. */
  credentialIssuer: CredentialIssuer;
  /** The embedder's authenticator, bound on its own: the gateway's parts composed around it (key chains, web sessions) are not. */
  authenticator: BoundAuthenticator | undefined;
  /** What the front door times of each request's plug-in calls. */
  bounds: FrontDoorDeps["pluginBounds"];
}

/**
 * The embedder's plug-ins, bound (the built-in ones are never timed): a pluginTimeoutMs of 0, below
 * or not a finite number is refused here, before anything is opened.
 */
export function embedderPlugins(options: GatewayOptions, logger: Logger): EmbedderPlugins {
  const pluginMs = pluginTimeoutMs(options.pluginTimeoutMs);
  const embedderAuth = options.auth ?? options.authenticate;
  const authenticator =
    embedderAuth &&
    new BoundAuthenticator(embedderAuth, pluginBound("the embedder's authenticator", pluginMs, logger));
  return {
    credentialIssuer: embedderAuth ? "embedder" : "gateway",
    authenticator,
    bounds: {
      ...(options.policy ? { admit: pluginBound("the embedder's policy (admit)", pluginMs, logger) } : {}),
      ...(authenticator ? { authenticate: authenticator } : {}),
    },
  };
}
