import type { Principal } from "../auth/principal.ts";
import type { CallerBinding } from "./bind-tenant.ts";

/** What a caller holds open on this node: who opened it, what it needs of the caller's binding, its end. */
interface Held {
  readonly principal: Principal;
  readonly keeps: (bound: Principal) => boolean;
  readonly end: () => void;
  /** Told the caller as each reload that keeps it binds it (a worker's tenant's models). */
  readonly rebound?: ((bound: Principal) => void) | undefined;
}

/**
 * What callers hold open on this node for long (a live event stream, a worker's connection, a
 * Responses WebSocket), each held to the config in force, as a revoke holds it to the caller's key
 * (auth/key-sessions.ts): a reload that refuses the caller (its key's tenant removed from
 * `tenants:`: bind-tenant.ts), or no longer gives it what it opened with (`keeps`: a stream's read
 * scope), ends it. Its reconnect is judged anew.
 */
export class CallerHolds {
  private readonly open = new Set<Held>();
  /** How the config last in force binds callers; undefined before the first reload. */
  private bind: CallerBinding | undefined;

  /** Holds what `principal` opened until the returned release is called (its end, however it came). */
  hold(
    principal: Principal,
    end: () => void,
    keeps: (bound: Principal) => boolean = () => true,
    rebound?: (bound: Principal) => void,
  ): () => void {
    const held: Held = { principal, keeps, end, rebound };
    this.open.add(held);
    return () => this.open.delete(held);
  }

  /**
   * `principal` as the config last in force binds it, for what was admitted under an older one and
   * held only after a reload came (a worker's upgrade, then its socket's open), which no reload
   * told: undefined when that config refuses it; `principal` itself before any reload.
   */
  bound(principal: Principal): Principal | undefined {
    return this.bind ? bindOrRefuse(this.bind, principal) : principal;
  }

  /** Call once a config version is in force, with how it binds callers (`RequestRuntime.bindCaller`). */
  configChanged(bind: CallerBinding): void {
    this.bind = bind;
    for (const held of [...this.open]) {
      const bound = boundNow(held, bind);
      if (bound !== undefined) {
        held.rebound?.(bound);
        continue;
      }
      this.open.delete(held);
      held.end();
    }
  }
}

/** The caller as the config now binds it, while it is still admitted to what it holds. */
function boundNow(held: Held, bind: CallerBinding): Principal | undefined {
  const bound = bindOrRefuse(bind, held.principal);
  if (bound === undefined) return undefined;
  // A keep that throws (a read view the caller is now refused) keeps nothing, as a refused bind.
  try {
    return held.keeps(bound) ? bound : undefined;
  } catch {
    return undefined;
  }
}

/** The caller as `bind` binds it; undefined when it refuses it (its tenant removed). */
function bindOrRefuse(bind: CallerBinding, principal: Principal): Principal | undefined {
  try {
    return bind(principal);
  } catch {
    return undefined;
  }
}

/**
 * Why a connection a caller held open was closed at the reload that removed its tenant, in the words
 * of how it signed in, as a revoke's close says `the API key was revoked` (auth/key-sessions.ts
 * `credentialEnded`).
 */
export const tenantRemoved = (credential: Principal["via"]): string =>
  credential === "jwt" ? "the token's tenant was removed" : "the API key's tenant was removed";
