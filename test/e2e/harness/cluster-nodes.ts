import { freePort } from "./free-port.ts";
import { type GatewayProcess, spawnGateway } from "./spawn-gateway.ts";

/** Shared by every node of a test cluster (at least 16 characters). */
export const CLUSTER_SECRET = "test-cluster-secret-0123456789";

export interface NodeOptions {
  name: string;
  databaseUrl: string;
  redisUrl: string;
  /** Reuse a node's directory (its config) when restarting it. */
  dir?: string;
  port?: number;
  /** The cluster heartbeat; tests use a fast one (200ms), a benchmark the gateway's default. */
  heartbeat?: string;
  /** `cluster.redis_timeout` (the gateway's default 2s unless given). */
  redisTimeout?: string;
  extra?: Record<string, unknown>;
  /** The node's environment beyond the test's own (a skewed clock: skewed-clock.ts). */
  env?: Record<string, string>;
}

/** The config of one cluster node: PostgreSQL storage, Redis, the mock model, a fast heartbeat. */
export function nodeConfig(options: NodeOptions & { port: number }): Record<string, unknown> {
  return {
    storage: {
      driver: "postgres",
      url: options.databaseUrl,
      pool: 5,
      sslmode: "disable",
      connect_timeout: "1s",
    },
    cluster: {
      redis_url: options.redisUrl,
      advertise_url: `http://127.0.0.1:${options.port}`,
      secret: CLUSTER_SECRET,
      node_name: options.name,
      heartbeat: options.heartbeat ?? "200ms",
      ...(options.redisTimeout ? { redis_timeout: options.redisTimeout } : {}),
    },
    providers: [{ name: "mock", type: "mock" }],
    models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
    audit: { flush_ms: 20 },
    ...options.extra,
  };
}

/** Starts `mindgw serve` as one node of a cluster, on a port known before it starts (advertise_url). */
export async function spawnNode(options: NodeOptions): Promise<GatewayProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? freePort();
    try {
      return await spawnGateway({
        config: nodeConfig({ ...options, port }),
        port,
        ...(options.dir ? { dir: options.dir } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
    } catch (error) {
      // Another process took the port between the probe and the bind.
      if (attempt >= 2 || options.port !== undefined) throw error;
    }
  }
}
