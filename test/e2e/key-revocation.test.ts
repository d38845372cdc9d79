import { describe, expect, test } from "bun:test";
import { decodeSse } from "../../src/core/sse.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { listWorkers, spawnWorker } from "./harness/spawn-worker.ts";
import { START_BOUND_MS } from "./harness/start-bound.ts";
import { waitFor } from "./harness/wait-for.ts";

// Keys are checked when a connection or request starts; a revoke must also reach what is
// already open: the key's worker connection and its streams, at once.
const f = gatewayFixture({ config: { routing: { retries: 0 } } });

const revoke = (id: string) =>
  fetch(f.url(`/admin/api/keys/${id}/revoke`), { method: "POST", headers: bearer(f.adminKey) });

/** `mindgw keys update <key> --models …`. */
const setModels = (id: string, models: string[]) =>
  fetch(f.url(`/admin/api/keys/${id}/limits`), {
    method: "POST",
    headers: { ...bearer(f.adminKey), "content-type": "application/json" },
    body: JSON.stringify({ models }),
  });

describe("a revoked key", () => {
  test("ends its open stream at once with an error event, audited as 401", async () => {
    const user = await createKey(f.gw, { name: "streamer", role: "user" });
    // 40 chunks 500 ms apart: twenty seconds of stream unless something ends it. The events read
    // after the revoke include those that came while its call was out (the loop waits on it), so
    // a chunk every 150 ms left a revoke slowed to 1.5 s by a loaded machine no room.
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(user.key),
      body: chatBody("fake-model", "a long story [[fake:chunks=40,chunkDelay=500]]", { stream: true }),
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    const events: string[] = [];
    let revokedAt = 0;
    for await (const event of decodeSse(response.body as ReadableStream<Uint8Array>)) {
      events.push(event.data);
      if (events.length === 1) {
        expect((await revoke(user.id)).status).toBe(200);
        revokedAt = events.length;
      }
    }
    const last = events.at(-1) ?? "";
    expect(last).toContain('"error"');
    expect(last).toContain("revoked");
    // Far fewer than the 40 content chunks (and no [DONE]) reached the client after the revoke.
    expect(events.length - revokedAt).toBeLessThan(10);
    expect(events).not.toContain("[DONE]");
    const row = await auditRow(f.gw, requestId);
    expect(row.status).toBe(401);
    // The key cannot start anything new either.
    const again = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(user.key),
      body: chatBody("fake-model"),
    });
    expect(again.status).toBe(401);
  });

  test("ends its open event stream (what mindgw tail reads), and its reconnect is refused", async () => {
    const ops = await createKey(f.gw, { name: "ops-watcher", role: "admin" });
    const watching = await fetch(f.url("/admin/api/events"), { headers: bearer(ops.key) });
    expect(watching.status).toBe(200);
    const reader = (watching.body as ReadableStream<Uint8Array>).getReader();
    expect((await revoke(ops.id)).status).toBe(200);
    // Nothing else ends this stream (it stays open for as long as the reader reads): its end
    // within the deadline is the revoke's doing.
    // The suite's one wait holds its async check to the deadline: a stream still open fails it.
    const ended = await waitFor("the event stream to end", async () => {
      for (;;) if ((await reader.read()).done) return true;
    });
    expect(ended).toBe(true);
    expect((await fetch(f.url("/admin/api/events"), { headers: bearer(ops.key) })).status).toBe(401);
  });

  test("closes its worker's connection at once, and the worker stops", async () => {
    const workerKey = await createKey(f.gw, { name: "fleet", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: f.gw.url,
      token: workerKey.key,
      upstream: `${f.fake.url}/v1`,
      name: "gpu-1",
      models: ["fake-model"],
    });
    try {
      await waitFor(
        "the worker to register",
        async () => (await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "gpu-1"),
        START_BOUND_MS,
      );
      expect((await revoke(workerKey.id)).status).toBe(200);
      await waitFor(
        "the worker to be gone",
        async () => !(await listWorkers(f.gw.url, f.adminKey)).some((w) => w.name === "gpu-1"),
        5_000,
      );
      const code = await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 10_000);
      expect(code).toBe(2);
      expect(worker.stderr.all + worker.stdout.all).toContain("revoked");
    } finally {
      await worker.stop("SIGKILL");
    }
  });
});

describe("a worker key whose models change", () => {
  test("narrowed to fewer models, its connected worker is no longer routed the others at once; widened, it is again, on the same connection", async () => {
    const workerKey = await createKey(f.gw, { name: "narrowed", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: f.gw.url,
      token: workerKey.key,
      upstream: `${f.fake.url}/v1`,
      name: "gpu-2",
      models: ["llama-w", "qwen-w"],
    });
    const listed = async () => (await listWorkers(f.gw.url, f.adminKey)).find((w) => w.name === "gpu-2");
    const ask = (model: string) =>
      fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody(model),
      });
    try {
      const registered = await waitFor(
        "the worker to register",
        async () => (await listed())?.id,
        START_BOUND_MS,
      );
      expect((await ask("qwen-w")).status).toBe(200);
      expect((await setModels(workerKey.id, ["llama-w"])).status).toBe(200);
      // At once: no reconnect, no wait for the worker to come back.
      expect(await listed()).toMatchObject({ id: registered, models: ["llama-w"] });
      const refused = await ask("qwen-w");
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
      expect((await ask("llama-w")).status).toBe(200);
      // Widened again: what it offered at its registration is routed to it again, on the same connection.
      expect((await setModels(workerKey.id, ["*-w"])).status).toBe(200);
      expect(await listed()).toMatchObject({ id: registered, models: ["llama-w", "qwen-w"] });
      expect((await ask("qwen-w")).status).toBe(200);
      // Log lines reach the pipe a moment after the answers: waited for, not read at once.
      const logged = (line: string) =>
        waitFor(line, () => (f.gw.stdout.all + f.gw.stderr.all).includes(line));
      await logged("worker's key no longer permits some of its models: they are no longer routed to it");
      // Narrowed to none of them: drained (nothing in flight, so at once), then refused as at
      // registration (no_models); the worker stops.
      expect((await setModels(workerKey.id, ["gpt-*"])).status).toBe(200);
      const code = await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 10_000);
      expect(code).toBe(1);
      expect(worker.stderr.all + worker.stdout.all).toContain(
        "none of the offered models is permitted for this key",
      );
      expect(await listed()).toBeUndefined();
      await logged("worker's key permits none of its models any more: it drains, then is refused");
    } finally {
      await worker.stop("SIGKILL");
    }
  });

  test("narrowed to none of its models while a call runs, then widened before that call ends: the drain is called off, the worker serves on, on the same connection", async () => {
    const workerKey = await createKey(f.gw, { name: "undone", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: f.gw.url,
      token: workerKey.key,
      upstream: `${f.fake.url}/v1`,
      name: "gpu-3",
      models: ["llama-u"],
    });
    const listed = async () => (await listWorkers(f.gw.url, f.adminKey)).find((w) => w.name === "gpu-3");
    const held = new AbortController();
    try {
      const registered = await waitFor(
        "the worker to register",
        async () => (await listed())?.id,
        START_BOUND_MS,
      );
      // A call the fake upstream holds until the caller leaves: the drain has something to wait for.
      const holding = fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody("llama-u", "undone [[fake:hang]]"),
        signal: held.signal,
      }).catch(() => undefined);
      await waitFor("the call in flight", async () => ((await listed())?.inFlight === 1 ? true : undefined));
      expect((await setModels(workerKey.id, ["gpt-*"])).status).toBe(200);
      expect(await listed()).toMatchObject({ id: registered, draining: true });
      expect((await setModels(workerKey.id, ["*-u"])).status).toBe(200);
      expect(await listed()).toMatchObject({ id: registered, models: ["llama-u"], draining: false });
      held.abort();
      await holding;
      await waitFor("the held call to end", async () =>
        (await listed())?.inFlight === 0 ? true : undefined,
      );
      // Its call's end is no drain's end now: still connected, and answering.
      const answered = await fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody("llama-u"),
      });
      expect(answered.status).toBe(200);
      expect(await listed()).toMatchObject({ id: registered, draining: false });
      expect(worker.proc.exitCode).toBeNull();
      await waitFor("the call-off logged", () =>
        (f.gw.stdout.all + f.gw.stderr.all).includes(
          "worker's key permits some of its models again: its drain is called off",
        ),
      );
    } finally {
      held.abort();
      await worker.stop("SIGKILL");
    }
  });
});
