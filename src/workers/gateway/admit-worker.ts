import { GatewayError } from "../../core/gateway-error.ts";

/** Who presented the worker credential, as the auth layer resolves it. */
export interface WorkerIdentity {
  role: string;
  /** The key's name: it owns the worker names it registers. */
  name: string;
  /** The key's model allow-list (globs). */
  models: readonly string[];
  /** The key's id (null for a JWT): a revoke of it closes the connection. */
  keyId?: string | null;
  /** The key's expiry, if any: the connection closes when it passes. */
  expiresAt?: number;
}

export interface AdmitOptions {
  /** Resolves the Authorization header to a key; throws when it is missing or bad. */
  authenticate: (headers: Headers) => Promise<WorkerIdentity>;
  /** Origins accepted when a client sends one. Workers send none; browsers always do. */
  allowedOrigins?: readonly string[];
}

export type Admission = { ok: true; identity: WorkerIdentity } | { ok: false; error: GatewayError };

const deny = (
  status: number,
  code: "unauthorized" | "forbidden" | "invalid_request",
  message: string,
): Admission => ({
  ok: false,
  error: new GatewayError({ status, code, message }),
});

/**
 * Checks an upgrade request before any socket exists. Credentials travel only in the
 * Authorization header: the endpoint takes no query parameters, so a token there (which
 * proxies and access logs would record) is refused outright.
 */
export async function admitWorker(request: Request, options: AdmitOptions): Promise<Admission> {
  if (new URL(request.url).search !== "") {
    return deny(
      400,
      "invalid_request",
      "the worker endpoint takes no query parameters; send the token in the Authorization header",
    );
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !(options.allowedOrigins ?? []).includes(origin)) {
    return deny(403, "forbidden", "origin not allowed");
  }
  if (!/^Bearer\s+\S+$/i.test(request.headers.get("authorization") ?? "")) {
    return deny(401, "unauthorized", "invalid or missing credentials");
  }
  let identity: WorkerIdentity;
  try {
    identity = await options.authenticate(request.headers);
  } catch {
    return deny(401, "unauthorized", "invalid or missing credentials");
  }
  if (identity.role !== "worker" && identity.role !== "admin") {
    return deny(403, "forbidden", "this key may not connect a worker");
  }
  return { ok: true, identity };
}
