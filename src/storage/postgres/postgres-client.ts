import { SQL } from "bun";

/** `storage` settings that shape the PostgreSQL pool (config-schema.ts). Durations in ms. */
export interface PostgresOptions {
  url: string;
  /** Connections per node. */
  pool: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** libpq's `sslmode`; one given in the URL wins. */
  sslmode: "disable" | "prefer" | "require" | "verify-ca" | "verify-full";
}

/**
 * The pool every PostgreSQL store shares. A connection that the server or the network drops is
 * replaced on the next query, so the gateway recovers from a database restart without one of
 * its own; until then queries fail fast (`connect_timeout`) and the stores report 503.
 */
export function connectPostgres(options: PostgresOptions): SQL {
  const fromUrl = new URL(options.url).searchParams.get("sslmode");
  const sslmode = (fromUrl ?? options.sslmode) as PostgresOptions["sslmode"];
  return new SQL({
    url: options.url,
    max: options.pool,
    connectionTimeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
    idleTimeout: 60,
    tls: sslmode === "disable" ? false : sslmode,
    connection: { statement_timeout: options.statementTimeoutMs, application_name: "mindgw" },
  });
}
