import { SQL } from "bun";
import { messageOf } from "../../core/describe-error.ts";
import { SYSTEM_CA_STORE } from "./system-ca-store.ts";

/** `storage` settings that shape the PostgreSQL pool (storage-config.ts). Durations in ms. */
export interface PostgresOptions {
  url: string;
  /** Connections per node. */
  pool: number;
  statementTimeoutMs: number;
  /**
   * `server.idle_timeout` of the node this store serves, when it serves HTTP: a store call ends
   * a second before it (postgres-calls.ts `storeCallBoundMs`), so its client hears the 503.
   */
  idleTimeoutMs?: number | undefined;
  connectTimeoutMs: number;
  /** libpq's `sslmode`; one given in the URL wins. Unset, libpq's default (`defaultSslMode`). */
  sslmode?: "disable" | "prefer" | "require" | "verify-ca" | "verify-full" | undefined;
  /** libpq's `sslrootcert`: a PEM file of the CA(s) the server's certificate must chain to; the URL's wins. */
  sslrootcert?: string | undefined;
}

/**
 * libpq's `sslmode` when none is written: `verify-full` with `sslrootcert=system` (any public CA
 * signs for some host, so only the host name check makes the store a check), `prefer` otherwise.
 */
const defaultSslMode = (sslrootcert: string | null | undefined) =>
  sslrootcert === SYSTEM_CA_STORE ? "verify-full" : "prefer";

/** The URL with the TLS settings libpq-style (`?sslmode=&sslrootcert=`); a setting already in it wins. */
export function postgresUrl(options: PostgresOptions): string {
  const url = new URL(options.url);
  const sslrootcert = url.searchParams.get("sslrootcert") ?? options.sslrootcert;
  if (!url.searchParams.has("sslmode"))
    url.searchParams.set("sslmode", options.sslmode ?? defaultSslMode(sslrootcert));
  if (options.sslrootcert !== undefined && !url.searchParams.has("sslrootcert"))
    url.searchParams.set("sslrootcert", options.sslrootcert);
  return url.toString();
}

/**
 * The pool every PostgreSQL store shares. A connection that the server or the network drops is
 * replaced on the next query, so the gateway recovers from a database restart without one of
 * its own; until then queries fail fast (`connect_timeout`) and the stores report 503.
 */
export function connectPostgres(options: PostgresOptions): SQL {
  return new SQL({
    // Bun's client reads sslmode and sslrootcert from the URL, as libpq does.
    url: postgresUrl(options),
    max: options.pool,
    connectionTimeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
    idleTimeout: 60,
    connection: { statement_timeout: options.statementTimeoutMs, application_name: "mindgw" },
  });
}

/**
 * Why the first connection failed, in the operator's terms: TLS refusals name the setting that
 * fixes them. The URL is shown without its password.
 */
export function describeConnectFailure(error: unknown, options: PostgresOptions): Error {
  const url = new URL(postgresUrl(options));
  const mode = url.searchParams.get("sslmode");
  const ca = url.searchParams.get("sslrootcert");
  const message = messageOf(error);
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : "";
  const hint = /no encryption/.test(message)
    ? `the server accepts only TLS connections; storage.sslmode is ${mode}: use require, verify-ca or verify-full`
    : /CERT|ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) && /ALTNAME|HOSTNAME/.test(code)
      ? `the server's certificate does not name ${url.hostname} (sslmode ${mode} checks the host name)`
      : /ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET/.test(code)
        ? `the server's certificate is not signed by ${caSaid(ca)} (sslmode ${mode})`
        : /does not support SSL|SSL.*not.*(supported|available)/i.test(message)
          ? `the server does not offer TLS; storage.sslmode is ${mode}`
          : // Bun says only "Failed to connect": say what the operator checks (a server stopped, a wrong port).
            code === "ERR_POSTGRES_CONNECTION_REFUSED"
            ? "connection refused: nothing listens there (is PostgreSQL running, and are storage.url's host and port its own?)"
            : null;
  const where = `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  return new Error(`cannot connect to PostgreSQL at ${where}: ${hint ? `${hint} (${message})` : message}`, {
    cause: error,
  });
}

/** The CA a refused certificate is not signed by, as `sslrootcert` names it. */
function caSaid(sslrootcert: string | null): string {
  if (sslrootcert === null) return "a CA this system trusts (set storage.sslrootcert)";
  // libpq's word for the system's CA store, no file.
  return sslrootcert === "system"
    ? "a CA the system trusts (sslrootcert system)"
    : `the CA in sslrootcert ${sslrootcert}`;
}
