import { type Authenticator, cachedCaller, createAuthenticator } from "../auth/authenticate.ts";
import { ensureBootstrapAdmin } from "../auth/bootstrap-admin.ts";
import { jwtVerifiers } from "../auth/jwt-verifier.ts";
import { createKeyAdmin, type KeyAdmin } from "../auth/key-admin.ts";
import { KeyCache } from "../auth/key-cache.ts";
import { withKeyChains } from "../auth/key-chains.ts";
import { KeySessions } from "../auth/key-sessions.ts";
import { KeyStandings } from "../auth/key-standings.ts";
import { failuresRetryable } from "../auth/key-store-failures.ts";
import type { Principal } from "../auth/principal.ts";
import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";

export interface GatewayAuth {
  /** Key administration (`/admin/api/keys`); changes reach the cache at once. */
  readonly keyAdmin: KeyAdmin;
  /** What is open under each key: a revoke or expiry ends it (worker connections, streams). */
  readonly sessions: KeySessions;
  /**
   * The authenticator of one config version (its `auth.jwt`: issuer, keys, claims…, and the
   * tenants a token may name) over the one key cache; the embedder's, if given, serves every
   * version. Built into each runtime snapshot.
   */
  authenticatorFor(config: Config): Authenticator;
  /**
   * Whether a key id stands in the store, as the key cache learns its changes
   * (auth/key-standings.ts): under an embedder's authenticator, for its web UI sessions.
   */
  keyStands: (keyId: string) => Promise<boolean>;
  /** Who a request's API key names when the key cache holds it now; never a store read (auth/authenticate.ts). */
  knownCaller(headers: Headers): Principal | undefined;
  /**
   * Whether the issuer's key set in hand (`auth.jwt.jwks_url`) still publishes the key with this
   * thumbprint (`Principal.jwtKey`): a web UI session signed in with a JWT ends once it does not.
   */
  jwtKeyHeld(thumbprint: string): Promise<boolean>;
  /** Re-reads key changes from the store now (another node announced one); a failure is logged. */
  refreshKeys(): Promise<void>;
  /**
   * With `auth.bootstrap_admin` and an empty key store, creates the one-time admin key and hands
   * it to `onBootstrapKey`; otherwise does nothing (so calling it again is harmless).
   */
  bootstrapAdmin(): Promise<void>;
  close(): Promise<void>;
}

export interface BuildAuthOptions {
  /** Told of every key change made here (create, revoke, rotate), to announce to other nodes. */
  onKeyChange?: (id: string) => void;
  /**
   * Replaces the built-in API-key/JWT authenticator; key administration stays. A principal it
   * returns naming a key and no chain is given its key's (auth/key-chains.ts).
   */
  authenticate?: Authenticator;
  onBootstrapKey?: (plainKey: string) => unknown;
  /** The configured tenants' names now: a new or rotated key must belong to one of them. */
  tenants?: () => readonly string[];
}

/** API keys (cached in front of the key store) and JWTs, or the embedder's authenticator. */
export async function buildAuth(
  config: Config,
  store: KeyStore,
  logger: Logger,
  options: BuildAuthOptions,
): Promise<GatewayAuth> {
  const sessions = new KeySessions();
  // Read by an embedder's web UI sessions only; nothing read until then (an empty map otherwise).
  const standings = new KeyStandings(store);
  // Every 2 s while the key store is down: once at first, then once in 30 s, with the cause.
  const refreshFailed = repeatedFailure(logger, "key cache refresh (key changes, last-used times)");
  const keys = new KeyCache({
    store,
    onError: refreshFailed,
    onChange: (record) => {
      sessions.keyChanged(record);
      standings.keyChanged(record);
    },
  });
  await keys.start();
  const verifierFor = jwtVerifiers({
    onFetchFailed: (reason) =>
      logger.warn(`fetching auth.jwt.jwks_url failed (the keys in hand, if any, still serve): ${reason}`),
    onKeyDropped: ({ kid, reason }) =>
      logger.warn(`auth.jwt.jwks_url published a key that cannot verify tokens, left out: ${kid}: ${reason}`),
  });
  /** What the authenticator is built from: the JWT config, and the tenants a token may name. */
  const jwtInputs = (next: Config) =>
    next.auth.jwt ? { jwt: next.auth.jwt, tenants: next.tenants.map((tenant) => tenant.name) } : undefined;
  const build = (inputs: ReturnType<typeof jwtInputs>) =>
    createAuthenticator({ keys, ...(inputs ? { jwt: verifierFor(inputs.jwt, inputs.tenants) } : {}) });
  let built = JSON.stringify(jwtInputs(config) ?? null);
  const embedderAuth = options.authenticate && withKeyChains(options.authenticate, store);
  let current = embedderAuth ?? build(jwtInputs(config));
  const keyChanged = (record: KeyRecord) => {
    keys.onKeyChanged(record);
    options.onKeyChange?.(record.id);
  };
  let warnedNoReceiver = false;
  return {
    authenticatorFor(next) {
      // Rebuilt only when it changed; a JWKS whose URL stays keeps its keys even then (jwt-verifier.ts).
      const inputs = jwtInputs(next);
      const text = JSON.stringify(inputs ?? null);
      if (embedderAuth || text === built) return current;
      const rebuilt = build(inputs);
      built = text;
      current = rebuilt;
      return rebuilt;
    },
    keyAdmin: createKeyAdmin({
      // An embedder's store that fails is a 503 to retry on the admin key routes, not a 500.
      store: failuresRetryable(store),
      ...(options.tenants ? { tenants: options.tenants } : {}),
      onChange: keyChanged,
    }),
    keyStands: (keyId: string) => standings.stands(keyId),
    knownCaller: cachedCaller(keys),
    jwtKeyHeld: verifierFor.keyHeld,
    refreshKeys: () => keys.refresh().catch(refreshFailed),
    async bootstrapAdmin() {
      if (!config.auth.bootstrap_admin) return;
      const receive = options.onBootstrapKey;
      // A key shown to nobody would leave the store no longer empty, so no later start would make
      // one either: with no receiver, none is made and the embedder is told why.
      if (!receive) {
        // Under an embedder's authenticator the gateway's keys admit nobody by themselves: no key
        // is missed, and a warning at every start (bootstrap_admin is on by default) told nothing.
        if (!warnedNoReceiver && !options.authenticate)
          logger.warn(
            "auth.bootstrap_admin is on but no onBootstrapKey was given to hand the one-time admin key to: none was created",
          );
        warnedNoReceiver = true;
        return;
      }
      await ensureBootstrapAdmin(store, (issued) => receive(issued.key), { onChange: keyChanged, logger });
    },
    sessions,
    close: () => {
      sessions.close();
      return keys.close();
    },
  };
}
