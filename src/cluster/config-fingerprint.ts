import { createHmac } from "node:crypto";
import type { Config } from "../config/config-schema.ts";
import { listenAddress } from "../config/metrics-config.ts";
import { routeWeight } from "../config/model-config.ts";
import { stableJson } from "../core/stable-json.ts";

/**
 * The fields meant to differ per node (where it listens; its name and URL, its SQLite path), and
 * the HMAC's key. `metrics.listen` only in part: `sharedMetricsListen`.
 */
const PER_NODE = new Set([
  "server.host",
  "server.port",
  "storage.path",
  "cluster.advertise_url",
  "cluster.node_name",
  "cluster.secret",
]);

/**
 * A short digest of the config a node runs, comparable across nodes of one release: equal configs
 * give the same fingerprint, whichever of them writes a default out and whichever leaves it to the
 * schema. The fields that are meant to differ per node (where it listens, its metrics listener's host, its name
 * and advertised URL, its local SQLite path, resolved against the file's directory) are left out, so they never
 * show as a disagreement. It digests the whole config, defaults filled in: a release that changes a
 * default changes what its nodes run, so nodes of two releases are not compared at all
 * (config-agreement.ts), never told they agree where their behaviour differs.
 *
 * The config holds secrets (provider keys, the database URL's password, OIDC and JWT secrets), so
 * the digest is an HMAC keyed by `cluster.secret`: only a holder of that secret can check a guess
 * of any of them against it. Nodes with different secrets give different fingerprints, as they
 * should (they cannot talk to each other). It is still shown only where a caller is trusted
 * (`/admin/api/status`), never on `/readyz`.
 */
export function configFingerprint(config: Config): string {
  const canonical = stableJson(routeWeightsFilled(sharedMetricsListen(config)), (path) => PER_NODE.has(path));
  return createHmac("sha256", config.cluster?.secret ?? "")
    .update(canonical)
    .digest("hex")
    .slice(0, 12);
}

/**
 * `metrics.listen` as the nodes share it: whether there is one, and its port. Its host is each
 * node's own (a pod's `${POD_IP}:9464`), but a node serving `/metrics` unauthenticated on a
 * listener of its own and one that does not run different configs.
 */
function sharedMetricsListen(config: Config): Config {
  const listen = config.metrics.listen === undefined ? undefined : listenAddress(config.metrics.listen);
  if (listen === undefined) return config;
  return { ...config, metrics: { ...config.metrics, listen: `*:${listen.port}` } };
}

/**
 * Every route's weight, `DEFAULT_ROUTE_WEIGHT` where none is written: the schema gives it no
 * default (so a weight written can be told from none), and a node whose routes say `weight: 1` runs
 * what one whose routes say nothing runs.
 */
function routeWeightsFilled(config: Config): Config {
  const models = config.models.map((model) => ({
    ...model,
    routes: model.routes.map((route) => ({ ...route, weight: routeWeight(route) })),
  }));
  return { ...config, models };
}
