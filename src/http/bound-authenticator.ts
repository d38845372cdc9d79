import type { Authenticator } from "../auth/authenticate.ts";
import type { PluginBound } from "./plugin-bound.ts";
import type { Shutdown } from "./shutdown.ts";
import { whileOpen } from "./while-open.ts";

/**
 * An embedder's authenticator with each of its own calls bound, before the gateway's parts are
 * composed around it: a slow store read of theirs is not reported as the embedder's. The request's
 * client leaving is seen where the composite is awaited (front-door.ts), not here.
 */
export const boundAuthenticator =
  (authenticate: Authenticator, open: Shutdown, bound: PluginBound): Authenticator =>
  (headers) =>
    whileOpen(authenticate(headers), undefined, open, bound);
