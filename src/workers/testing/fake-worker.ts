import type { RegisteredWorker } from "../gateway/registered-worker.ts";

/** A registered worker as the registry and the provider see it, with no tunnel behind it. */
export interface FakeWorker extends RegisteredWorker {
  inFlight: number;
  closedWith: number | undefined;
}

export function fakeWorker(
  name: string,
  init: Partial<Pick<FakeWorker, "owner" | "tenant" | "models" | "capacity" | "inFlight">> = {},
): FakeWorker {
  return {
    id: `${name}-${Math.random()}`,
    name,
    owner: init.owner ?? "key",
    tenant: init.tenant ?? "default",
    models: init.models ?? ["m"],
    capacity: init.capacity ?? 4,
    labels: {},
    inFlight: init.inFlight ?? 0,
    lastHeartbeatAt: 0,
    draining: false,
    closedWith: undefined,
    open: () => Promise.reject(new Error("not used")),
    openWhole: () => Promise.reject(new Error("not used")),
    openFeed: () => Promise.reject(new Error("not used")),
    close(code) {
      this.closedWith ??= code;
    },
  };
}
