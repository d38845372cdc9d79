import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../core/gateway-error.ts";

/** Who presented the worker credential, as the auth layer resolves it. */
export interface WorkerIdentity {
  role: string;
  /** How the caller authenticated; a web UI session is never a worker credential. */
  credential: "key" | "jwt" | "session";
  /** The key's name, or the JWT's subject. */
  name: string;
  /**
   * The credential's tenant. Its workers are routed only that tenant's callers; the default
   * tenant's (a key outside every tenant) serve every caller.
   */
  tenant: string;
  /** The key's model allow-list (globs). */
  models: readonly string[];
  /**
   * The model globs of the credential's tenant, when `tenants:` configures it (as read at the
   * upgrade): they bind the worker's models as they bind every key in the tenant, since only the
   * tenant's callers are routed to it. Absent for a key outside every tenant.
   */
  tenantModels?: readonly string[];
  /** The key's id (null for a JWT): a revoke of it closes the connection. */
  keyId?: string | null;
  /** The key's expiry, if any: the connection closes when it passes. */
  expiresAt?: number;
}

/** The model globs a caller's tenant binds it to, when `tenants:` configures that tenant. */
export function tenantModelsOf(principal: Pick<Principal, "tenantRules">): readonly string[] | undefined {
  return principal.tenantRules?.bound ? principal.tenantRules.models : undefined;
}

/** What the endpoint checks besides the credential, read from the config version current at the upgrade. */
export interface AdmitOptions {
  /** Origins accepted when a client sends one. Workers send none; browsers always do. */
  allowedOrigins?: readonly string[];
}

const refusal = (status: number, code: "forbidden" | "invalid_request", message: string) =>
  new GatewayError({ status, code, message });

/**
 * Checks an upgrade by its request alone, before its credential is read; throws the refusal.
 * Credentials travel only in the Authorization header: the endpoint takes no query parameters, so
 * a token there (which proxies and access logs would record) is refused outright, 400 with what to
 * do — whatever the header says, and never a 401 for the header a worker that put its token in the
 * query string lacks.
 */
export function screenWorkerUpgrade(request: Request): void {
  if (new URL(request.url).search !== "") {
    throw refusal(
      400,
      "invalid_request",
      "the worker endpoint takes no query parameters; send the token in the Authorization header",
    );
  }
}

/** Checks an authenticated upgrade before any socket exists; throws the refusal. */
export function admitWorker(request: Request, identity: WorkerIdentity, options: AdmitOptions): void {
  const origin = request.headers.get("origin");
  if (origin !== null && !(options.allowedOrigins ?? []).includes(origin)) {
    throw refusal(403, "forbidden", "origin not allowed");
  }
  if (identity.credential === "session")
    throw refusal(
      403,
      "forbidden",
      "a web UI session may not connect a worker: send a worker key or token in Authorization",
    );
  if (identity.role !== "worker" && identity.role !== "admin") {
    // Named as what was sent: a key, or a token (JWT) whose role claim maps to another role.
    const sent = identity.credential === "jwt" ? "this token (JWT)" : "this key";
    throw refusal(403, "forbidden", `${sent} may not connect a worker: it needs the worker or admin role`);
  }
}
