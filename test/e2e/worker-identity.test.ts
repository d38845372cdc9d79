import { describe, expect, test } from "bun:test";
import { auditRecords, auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { listWorkers, spawnWorker, tailEvents, type WorkerProcess } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A worker's credential and name: a token that cannot work ends the worker with a clear
// message instead of a reconnect loop, two workers under one name never take turns, and no
// other credential (another tenant's key of the same name) takes a name over. Every upgrade,
// refused or not, leaves an audit row and an access line under its request id.
const f = gatewayFixture({
  config: { log: { format: "json" }, tenants: [{ name: "team-a" }, { name: "team-b" }] },
});

const start = (token: string, name: string, models = ["fake-model"]): WorkerProcess =>
  spawnWorker({ gateway: f.gw.url, token, upstream: `${f.fake.url}/v1`, name, models });

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
      expect(first.stderr.all).toContain(
        "another worker registered under this name with the same credential",
      );
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

describe("worker names across tenants", () => {
  test("a rotated key (a new id, the same name and tenant) takes its worker's name back", async () => {
    const { key, id } = await createKey(f.gw, {
      name: "gpu-r",
      role: "worker",
      tenant: "team-a",
      models: ["*"],
    });
    const first = start(key, "box-r");
    let restarted: WorkerProcess | undefined;
    try {
      await waitFor("the first worker", async () =>
        (await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "box-r"),
      );
      const rotation = await fetch(f.url(`/admin/api/keys/${id}/rotate`), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: JSON.stringify({ grace: "1h" }),
      });
      expect(rotation.status).toBe(201);
      restarted = start(((await rotation.json()) as { key: string }).key, "box-r");
      expect(await exitOf(first)).toBe(1);
      expect(first.stderr.all).toContain(
        "another worker registered under this name with the same credential",
      );
      expect(restarted.proc.exitCode).toBeNull();
    } finally {
      await first.stop("SIGKILL");
      await restarted?.stop("SIGKILL");
    }
  });

  test("a key of the same name in another tenant, minted by that tenant's admin, is refused the name; the holder keeps serving", async () => {
    const gpuA = await createKey(f.gw, { name: "gpu-a", role: "worker", tenant: "team-a", models: ["*"] });
    const adminB = await createKey(f.gw, { name: "admin-b", role: "admin", tenant: "team-b" });
    const gpuB = await createKey({ url: f.gw.url, adminKey: adminB.key }, { name: "gpu-a", role: "worker" });
    const holder = start(gpuA.key, "box-a", ["llama-a"]);
    try {
      await waitFor("the holder", async () =>
        (await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "box-a"),
      );
      const intruder = start(gpuB.key, "box-a", ["llama-b"]);
      try {
        expect(await exitOf(intruder)).toBe(1);
        expect(intruder.stderr.all).toContain("name_in_use");
        expect(holder.proc.exitCode).toBeNull();
        expect(holder.stderr.all).not.toContain("another worker registered under this name");
        const listed = (await listWorkers(f.gw.url, f.adminKey)).filter((w) => w.name === "box-a");
        expect(listed).toEqual([expect.objectContaining({ models: ["llama-a"] })]);
        const user = await createKey(f.gw, { name: "user-a", tenant: "team-a" });
        const res = await fetch(f.url("/v1/chat/completions"), {
          method: "POST",
          headers: { ...bearer(user.key), "x-request-id": "identity-still-served" },
          body: chatBody("llama-a"),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        expect((await auditRow(f.gw, "identity-still-served")).route).toBe("worker:box-a");
      } finally {
        await intruder.stop("SIGKILL");
      }
    } finally {
      await holder.stop("SIGKILL");
    }
  });
});

/** The headers of a WebSocket upgrade, sent as a plain request: the refusal is an HTTP answer. */
const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

type Line = Record<string, unknown>;
const accessLine = (requestId: string) =>
  waitFor(`the access line of ${requestId}`, () =>
    f.gw.stderr.all
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Line)
      .find((line) => line.msg === "request" && line.request_id === requestId),
  );

describe("worker upgrades are audited", () => {
  test("a guessed token, a user key, a query string (with or without a key beside it) and a browser origin: each refusal has its request id, audit row and access line", async () => {
    const worker = await createKey(f.gw, { name: "probe-worker", role: "worker" });
    const user = await createKey(f.gw, { name: "probe-user", role: "user" });
    const refusals: [Record<string, string>, string, number, string | null][] = [
      [{ authorization: "Bearer mgw_guess1" }, "", 401, null],
      [{ authorization: `Bearer ${user.key}` }, "", 403, "probe-user"],
      // Refused before any credential is read: said as what it is, never a 401 for the header it lacks.
      [{}, `?token=${worker.key}`, 400, null],
      [{ authorization: `Bearer ${worker.key}` }, "?token=x", 400, null],
      [{ authorization: `Bearer ${worker.key}`, origin: "https://evil.example" }, "", 403, "probe-worker"],
    ];
    for (const [headers, query, status, keyName] of refusals) {
      const res = await fetch(f.url(`/workers/connect${query}`), { headers: { ...UPGRADE, ...headers } });
      expect(res.status).toBe(status);
      await res.arrayBuffer();
      const requestId = res.headers.get("x-request-id") ?? "";
      expect(requestId).not.toBe("");
      expect(await auditRow(f.gw, requestId)).toMatchObject({ frontDoor: "workers", status, keyName });
      expect(await accessLine(requestId)).toMatchObject({ status });
    }
    expect(f.gw.stderr.all).not.toContain("mgw_guess1");
    expect(f.gw.stderr.all).not.toContain(worker.key);
  });

  test("a plain GET (a proxy that dropped the upgrade) is a 426 saying what the endpoint takes, audited", async () => {
    const worker = await createKey(f.gw, { name: "plain-get-worker", role: "worker" });
    const res = await fetch(f.url("/workers/connect"), {
      headers: { authorization: `Bearer ${worker.key}` },
    });
    expect(res.status).toBe(426);
    expect(res.headers.get("upgrade")).toBe("websocket");
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "GET /workers/connect takes a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)",
    );
    const requestId = res.headers.get("x-request-id") ?? "";
    expect(await auditRow(f.gw, requestId)).toMatchObject({ status: 426 });
  });

  test("an admitted upgrade leaves a 101 row naming its key", async () => {
    const key = await createKey(f.gw, { name: "admitted-worker", role: "worker", models: ["*"] });
    const worker = start(key.key, "admitted");
    try {
      await waitFor("the worker", async () =>
        (await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "admitted"),
      );
      const rows = await waitFor("its audit row", async () => {
        const found = (await auditRecords(f.gw)).filter(
          (r) => r.frontDoor === "workers" && r.keyName === "admitted-worker",
        );
        return found.length > 0 ? found : undefined;
      });
      expect(rows).toEqual([expect.objectContaining({ status: 101, frontDoor: "workers" })]);
    } finally {
      await worker.stop("SIGKILL");
    }
  });
});
