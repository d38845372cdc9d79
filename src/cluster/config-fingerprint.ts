import { createHmac } from "node:crypto";
import type { Config } from "../config/config-schema.ts";
import { fileSettingsOf } from "../config/file-settings.ts";
import { stableJson } from "../core/stable-json.ts";
import type { NodeConfig } from "./node-entry.ts";

/** The fields meant to differ per node (where it listens, its name and URL, its SQLite path), and the HMAC's key. */
const PER_NODE = new Set([
  "server.host",
  "server.port",
  "storage.path",
  "cluster.advertise_url",
  "cluster.node_name",
  "cluster.secret",
]);

/**
 * A short digest of the config a node runs, comparable across nodes: the same file gives the same
 * fingerprint on every node. The fields that are meant to differ per node (where it listens, its
 * name and advertised URL, its local SQLite path, resolved against the file's directory) are left
 * out, so they never show as a disagreement.
 *
 * It digests what the file sets (config/file-settings.ts), as the node reads it, not the defaults
 * its release fills in: a release that adds a defaulted field reads the same file to the same
 * fingerprint, so a rolling upgrade shows no difference where the file has none, and one where it
 * has. A config not parsed from a document (an embedder's object) is digested whole. Which of the
 * two a fingerprint is goes with it (`of`): only fingerprints of the same kind are compared.
 *
 * The config holds secrets (provider keys, the database URL's password, OIDC and JWT secrets), so
 * the digest is an HMAC keyed by `cluster.secret`: only a holder of that secret can check a guess
 * of any of them against it. Nodes with different secrets give different fingerprints, as they
 * should (they cannot talk to each other). It is still shown only where a caller is trusted
 * (`/admin/api/status`), never on `/readyz`.
 */
export function configFingerprint(config: Config): Omit<NodeConfig, "version"> {
  const settings = fileSettingsOf(config);
  const canonical = stableJson(settings ?? config, (path) => PER_NODE.has(path));
  const fingerprint = createHmac("sha256", config.cluster?.secret ?? "")
    .update(canonical)
    .digest("hex")
    .slice(0, 12);
  return settings === undefined ? { fingerprint } : { fingerprint, of: "file" };
}
