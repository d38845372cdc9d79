import { accessSync, constants, statSync } from "node:fs";
import { SYSTEM_CA_STORE } from "../storage/postgres/system-ca-store.ts";
import type { Config } from "./config-schema.ts";
import { readFailure } from "./read-failure.ts";

/**
 * The files `storage:` names that the store reads only once it connects: the PEM file of
 * `storage.sslrootcert` (or the URL's own `?sslrootcert=`, which wins: postgres-client.ts; a
 * relative one read from the working directory, as libpq does). One missing or unreadable is a
 * config error naming the field and the path, at `config check` and at start (exit 2), where
 * `serve` exited 1 with Bun's "Unable to access caFile path", naming neither.
 */
export function storageFileProblems(storage: Config["storage"]): string[] {
  if (storage.driver !== "postgres") return [];
  const inUrl = urlParameter(storage.url, "sslrootcert");
  const [field, path] =
    inUrl !== undefined ? ["storage.url's sslrootcert", inUrl] : ["storage.sslrootcert", storage.sslrootcert];
  if (path === undefined || path === SYSTEM_CA_STORE) return [];
  const problem = unreadable(path);
  return problem === undefined
    ? []
    : [`${field}: ${path}: ${problem} (the PEM file of the CA that signs the server's certificate)`];
}

/** A libpq parameter the storage URL carries (`?sslrootcert=`, `?sslmode=`), which wins over the field. */
export function urlParameter(url: string | undefined, name: string): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

function unreadable(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return "a folder, not a file";
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const reason = readFailure(error);
    return reason === "no such file" ? reason : `cannot be read: ${reason}`;
  }
}
