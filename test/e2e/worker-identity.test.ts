import { describe, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { listWorkers, spawnWorker, tailEvents, type WorkerProcess } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A worker's credential and name: a token that cannot work ends the worker with a clear
// message instead of a reconnect loop, and two workers under one name never take turns.
const f = gatewayFixture();

const start = (token: string, name: string): WorkerProcess =>
  spawnWorker({ gateway: f.gw.url, token, upstream: `${f.fake.url}/v1`, name, models: ["fake-model"] });

const exitOf = (worker: WorkerProcess) =>
  waitFor(`worker ${worker.name} to exit`, () => worker.proc.exitCode ?? undefined, 15_000);

describe("worker credentials", () => {
  test("an unknown token ends the worker with exit 2 and says so", async () => {
    const worker = start("mgw_not_a_real_key_at_all_000000000000", "bad-token");
    try {
      expect(await exitOf(worker)).toBe(2);
      expect(worker.stderr.all).toContain("refused the worker token");
    } finally {
      await worker.stop("SIGKILL");
    }
  });

  test("a user key (not a worker key) ends the worker with exit 2", async () => {
    const user = await createKey(f.gw, { name: "not-a-worker", role: "user" });
    const worker = start(user.key, "wrong-role");
    try {
      expect(await exitOf(worker)).toBe(2);
      expect(worker.stderr.all).toContain("403");
    } finally {
      await worker.stop("SIGKILL");
    }
  });
});

describe("worker names", () => {
  test("a second worker with the same name and key replaces the first once; the first stops", async () => {
    const fleet = await createKey(f.gw, { name: "fleet", role: "worker", models: ["*"] });
    const events = await tailEvents(f.gw.url, f.adminKey);
    const first = start(fleet.key, "dup");
    let second: WorkerProcess | undefined;
    try {
      const [one] = await waitFor("the first worker", async () => {
        const listed = (await listWorkers(f.gw.url, f.adminKey)).filter((w) => w.name === "dup");
        return listed.length === 1 ? listed : undefined;
      });
      second = start(fleet.key, "dup");
      expect(await exitOf(first)).toBe(1);
      expect(first.stderr.all).toContain("another worker registered under this name");
      const listed = (await listWorkers(f.gw.url, f.adminKey)).filter((w) => w.name === "dup");
      expect(listed.length).toBe(1);
      expect(listed[0]?.id).not.toBe(one?.id);
      // Exactly two connections ever: the first, and the one that replaced it.
      const connected = events.events.filter(
        (e) => e.type === "worker.connected" && e.worker?.name === "dup",
      );
      expect(connected.length).toBe(2);
      expect(second.proc.exitCode).toBeNull();
    } finally {
      events.close();
      await first.stop("SIGKILL");
      await second?.stop("SIGKILL");
    }
  });

  test("a worker under a name held by another key is refused and stops", async () => {
    const a = await createKey(f.gw, { name: "team-a", role: "worker", models: ["*"] });
    const b = await createKey(f.gw, { name: "team-b", role: "worker", models: ["*"] });
    const holder = start(a.key, "shared-name");
    try {
      await waitFor("the holder", async () =>
        (await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "shared-name"),
      );
      const intruder = start(b.key, "shared-name");
      try {
        expect(await exitOf(intruder)).toBe(1);
        expect(intruder.stderr.all).toContain("name_in_use");
        expect(holder.proc.exitCode).toBeNull();
      } finally {
        await intruder.stop("SIGKILL");
      }
    } finally {
      await holder.stop("SIGKILL");
    }
  });
});
