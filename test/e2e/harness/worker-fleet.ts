import type { GatewayProcess } from "./spawn-gateway.ts";
import {
  createKey,
  spawnWorker,
  type WorkerOptions,
  type WorkerProcess,
  waitForWorkers,
} from "./spawn-worker.ts";

/** What the fleet needs of a gateway fixture: its gateway, and its stack of things to stop. */
interface FleetFixture {
  readonly gw: GatewayProcess;
  defer(stop: () => unknown): void;
}

/** A worker of the fleet: everything but where it dials and with which key. */
export type WorkerSpec = Omit<WorkerOptions, "gateway" | "token">;

/**
 * Workers dialling a fixture's gateway for the whole file, the way most worker suites start: one
 * `fleet` worker key for every model, each worker killed in `afterAll`, and the gateway listing
 * them all before this returns. The key is returned for tests that connect more themselves.
 */
// `| []` makes TypeScript read a literal list as a tuple: one process per spec, typed so.
export async function connectFleet<W extends WorkerSpec[] | []>(
  fx: FleetFixture,
  workers: W,
): Promise<{ token: string; workers: { [K in keyof W]: WorkerProcess } }> {
  const { gw } = fx;
  const adminKey = gw.adminKey ?? "";
  const token = await createKey(gw.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
  const started = workers.map((options) => spawnWorker({ ...options, gateway: gw.url, token }));
  fx.defer(async () => {
    for (const worker of started) await worker.stop("SIGKILL");
  });
  await waitForWorkers(
    gw.url,
    adminKey,
    started.map((worker) => worker.name),
  );
  return { token, workers: started as { [K in keyof W]: WorkerProcess } };
}
