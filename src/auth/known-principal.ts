import type { Principal } from "./principal.ts";

/**
 * A caller the key cache already knows, as the settled promise an authenticator answers with,
 * carrying its value beside it. The front door reads the value and goes on in the same turn,
 * where an `await` of even a settled promise suspends the request, queues a microtask and resumes
 * it (every request with a cached key); anyone else awaits the promise as before.
 */
export type KnownPrincipal = Promise<Principal> & { readonly known: Principal };

/** Made once per cached key (the cache entry keeps it), not once per request. */
export const knownPrincipal = (principal: Principal): KnownPrincipal =>
  Object.assign(Promise.resolve(principal), { known: principal });

/** The caller an authenticator answered with: in hand when its promise is a `KnownPrincipal`. */
export const principalNowOr = (answer: Promise<Principal>): Principal | Promise<Principal> =>
  (answer as Partial<KnownPrincipal>).known ?? answer;
