import type { Config } from "./config-schema.ts";
import { SYSTEM_CA_STORE, urlParameter } from "./storage-files.ts";

type SslMode = NonNullable<Config["storage"]["sslmode"]>;
type StorageTls = Pick<Config["storage"], "url" | "sslmode" | "sslrootcert">;

/** The `sslmode` written, the URL's winning; undefined when neither says one. */
function writtenSslMode(storage: StorageTls): { field: string; mode: string } | undefined {
  const inUrl = urlParameter(storage.url, "sslmode");
  if (inUrl !== undefined) return { field: "storage.url's sslmode", mode: inUrl };
  return storage.sslmode === undefined ? undefined : { field: "storage.sslmode", mode: storage.sslmode };
}

const usesSystemCaStore = (storage: StorageTls) =>
  (urlParameter(storage.url, "sslrootcert") ?? storage.sslrootcert) === SYSTEM_CA_STORE;

/**
 * The `storage.sslmode` the store connects with when the URL says none: the one written, else
 * libpq's default: `verify-full` with `sslrootcert=system` (a system's CA store trusts any public
 * CA, so only the host name makes it a check), `prefer` otherwise.
 */
export function sslModeOf(storage: StorageTls): SslMode {
  return storage.sslmode ?? (usesSystemCaStore(storage) ? "verify-full" : "prefer");
}

/**
 * `sslrootcert=system` with a weaker `sslmode` than verify-full, refused as libpq refuses it: the
 * operator who named the system's CA store meant the server to be checked, and `prefer` would
 * connect unverified (or unencrypted) without a word.
 */
export function sslModeProblems(storage: StorageTls): string[] {
  const written = writtenSslMode(storage);
  if (!usesSystemCaStore(storage) || written === undefined || written.mode === "verify-full") return [];
  return [
    `${written.field}: ${written.mode} with sslrootcert system: the system's CA store is used with verify-full only, as libpq refuses a weaker mode (write verify-full, or leave sslmode out)`,
  ];
}
