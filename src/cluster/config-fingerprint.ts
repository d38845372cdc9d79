import { createHmac } from "node:crypto";
import type { Config } from "../config/config-schema.ts";
import { stableJson } from "../core/stable-json.ts";

/**
 * A short digest of the config a node runs, comparable across nodes: the same file gives the same
 * fingerprint on every node. The fields that are meant to differ per node (where it listens, its
 * name and advertised URL, its local SQLite path, resolved against the file's directory) are left
 * out, so they never show as a disagreement.
 *
 * The config holds secrets (provider keys, the database URL's password, OIDC and JWT secrets), so
 * the digest is an HMAC keyed by `cluster.secret`: only a holder of that secret can check a guess
 * of any of them against it. Nodes with different secrets give different fingerprints, as they
 * should (they cannot talk to each other). It is still shown only where a caller is trusted
 * (`/admin/api/status`), never on `/readyz`.
 */
export function configFingerprint(config: Config): string {
  const { server, cluster, storage, ...shared } = config;
  const { host: _host, port: _port, ...serverShared } = server;
  const { path: _path, ...storageShared } = storage;
  const clusterShared = cluster
    ? { ...cluster, advertise_url: undefined, node_name: undefined, secret: undefined }
    : undefined;
  const canonical = stableJson({
    ...shared,
    server: serverShared,
    storage: storageShared,
    cluster: clusterShared,
  });
  return createHmac("sha256", cluster?.secret ?? "")
    .update(canonical)
    .digest("hex")
    .slice(0, 12);
}
