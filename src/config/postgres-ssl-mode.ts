import { SYSTEM_CA_STORE } from "../storage/postgres/system-ca-store.ts";
import type { Config } from "./config-schema.ts";
import { urlParameter } from "./storage-files.ts";

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
