import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { Config } from "../config/config-schema.ts";
import type { ConfigSource } from "../config/config-source.ts";
import { parseConfig } from "../config/load-config.ts";
import type { ConfigWatchHandlers } from "../config/watch-config.ts";
import { upstreamError } from "../core/gateway-error.ts";
import { silentLogger } from "../log/logger.ts";
import type { Provider, ProviderReply } from "../providers/provider.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { upgradeStatus } from "../workers/testing/upgrade-status.ts";
import { type BuiltGateway, createGateway } from "./create-gateway.ts";

// One runtime snapshot per config version, through the real gateway in-process (app.handle, a
// real SQLite file). Providers are in-process fakes whose answers the test releases, so a reload
// lands while a request is provably in flight, with no sleeps.

const dir = mkdtempSync(join(tmpdir(), "mindgw-snapshot-"));

/** Calls waiting on a provider, released by the test. */
interface HeldCall {
  readonly provider: string;
  release(): void;
}

const held: HeldCall[] = [];
/** Providers named `broken-*` cannot be built; `flaky-*` fail every call (a retryable 502). */
const provider = (name: string): Provider => {
  if (name.startsWith("broken")) throw new Error(`provider ${name} cannot start`);
  return {
    name,
    dialect: "openai",
    async call(call): Promise<ProviderReply> {
      if (name.startsWith("flaky")) throw upstreamError(`${name} is down`);
      if ((call.body.messages as { content: string }[])[0]?.content === "hold")
        await new Promise<void>((release) => held.push({ provider: name, release }));
      return {
        kind: "json",
        body: {
          object: "chat.completion",
          model: `${name}:${String(call.body.model)}`,
          choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
        },
        usage: { inputTokens: 1000, outputTokens: 1000 },
      };
    },
  };
};

/** A config: model `m` on `route` (a provider name), priced at `usd` per million tokens each way. */
const configOf = (route: string, usd: number, extra: Record<string, unknown> = {}): Config =>
  parseConfig({
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "a", type: "mock" },
      { name: "b", type: "mock" },
      { name: "flaky-1", type: "mock" },
      ...((extra.providers as object[] | undefined) ?? []),
    ],
    models: [
      { name: "m", routes: [{ provider: route, model: "up" }] },
      { name: "f", routes: [{ provider: "flaky-1", model: "up" }] },
    ],
    prices: {
      m: { input_per_mtok: usd, output_per_mtok: usd },
      f: { input_per_mtok: 0, output_per_mtok: 0 },
    },
    routing: { retries: 0 },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== "providers")),
  });

let gateway: BuiltGateway;
let adminKey = "";
let handlers: ConfigWatchHandlers | undefined;
const finished: AuditRecord[] = [];

beforeAll(async () => {
  const source: ConfigSource = {
    initial: configOf("a", 1),
    path: null,
    watch(given) {
      handlers = given;
      return () => {};
    },
  };
  gateway = await createGateway({
    configSource: source,
    logger: silentLogger,
    providers: (config) => provider(config.name),
    onBootstrapKey: (key) => (adminKey = key),
    events: [{ publish: (event) => void (event.type === "request.finished" && finished.push(event.record)) }],
  });
});
// The gateway first, its files after: a database removed under a running gateway is a storage
// failure, and the stop would wait its drain deadline for the audit rows it could not write.
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const call of held.splice(0)) call.release();
});

/** Applies a config as the file watcher would. */
function reload(config: Config): void {
  if (!handlers) throw new Error("the gateway is not watching its config source");
  handlers.onValid(config);
}

const chat = (model: string, content = "hi", extra: Record<string, string> = {}, clientIp?: string) =>
  gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}`, ...extra },
      body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
    }),
    { clientIp: clientIp ?? null },
  );

async function admin(path: string): Promise<Record<string, unknown>> {
  const response = await gateway.handle(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Waits (bounded) until the audit row of the request with this id is written. */
function auditOf(response: Response): Promise<AuditRecord> {
  const id = response.headers.get("x-request-id");
  return waitForValue(`the audit record of ${id}`, () => finished.find((r) => r.requestId === id));
}

/** The request's audit row as stored, bodies included (events carry none): read back through the admin API. */
function storedRowOf(response: Response): Promise<AuditRecord> {
  const id = response.headers.get("x-request-id");
  return waitForValue(`the stored row of ${id}`, async () => {
    const page = (await admin("/admin/api/audit?bodies=true&limit=1000")) as { records: AuditRecord[] };
    return page.records.find((r) => r.requestId === id);
  });
}

const untilHeld = (count: number): Promise<HeldCall> =>
  waitForValue(`held call #${count}`, () => held[count - 1]);

describe("one runtime snapshot per config version", () => {
  test("a request in flight across a reload runs on its version to the end: route, prices, audit policy", async () => {
    const before = gateway.runtime.current;
    const inFlight = chat("m", "hold");
    const call = await untilHeld(1);
    expect(call.provider).toBe("a");

    // The model moves to `b`, its price goes up tenfold and request bodies start being kept.
    reload(configOf("b", 10, { audit: { bodies: true } }));
    expect(gateway.runtime.current.version).toBe(before.version + 1);
    call.release();

    const old = await inFlight;
    expect(old.status).toBe(200);
    expect(((await old.json()) as { model: string }).model).toBe("a:up");
    const oldRow = await auditOf(old);
    expect(oldRow.costUsd).toBeCloseTo(0.002, 9); // 2,000 tokens at $1 per million
    expect((await storedRowOf(old)).requestBody ?? null).toBeNull();

    const next = await chat("m");
    expect(((await next.json()) as { model: string }).model).toBe("b:up");
    const nextRow = await auditOf(next);
    expect(nextRow.costUsd).toBeCloseTo(0.02, 9);
    expect((await storedRowOf(next)).requestBody).toContain('"model":"m"');
  });

  test("a request in flight to a model a reload removes, with its provider, finishes on its version; the next is a 404", async () => {
    reload(configOf("a", 1));
    const inFlight = chat("m", "hold");
    expect((await untilHeld(1)).provider).toBe("a");
    reload(
      parseConfig({
        storage: { path: join(dir, "gw.db") },
        providers: [{ name: "b", type: "mock" }],
        models: [{ name: "elsewhere", routes: [{ provider: "b", model: "up" }] }],
      }),
    );
    expect((await chat("m")).status).toBe(404);
    held[0]?.release();
    const old = await inFlight;
    expect(old.status).toBe(200);
    expect(((await old.json()) as { model: string }).model).toBe("a:up");
    expect((await auditOf(old)).status).toBe(200);
    reload(configOf("a", 1));
  });

  test("per-request bounds are the snapshot's: server.max_body applies from the next request", async () => {
    const big = "x".repeat(3000);
    reload(configOf("a", 1, { server: { max_body: "2KB" } }));
    expect((await chat("m", big)).status).toBe(413);
    reload(configOf("a", 1, { server: { max_body: "8KB" } }));
    expect((await chat("m", big)).status).toBe(200);
  });

  test("server.body_timeout applies from the next request", async () => {
    reload(configOf("a", 1, { server: { body_timeout: "100ms" } }));
    // A body that starts and never ends: refused once this version's deadline passes.
    const trickle = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":"m",'));
      },
    });
    const response = await gateway.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: trickle,
      }),
    );
    expect(response.status).toBe(408);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("100 ms");
  });

  test("server.max_client_requests applies from the next request", async () => {
    reload(configOf("a", 1, { server: { max_client_requests: 1 } }));
    const first = chat("m", "hold", {}, "10.0.0.7");
    await untilHeld(1);
    expect((await chat("m", "hi", {}, "10.0.0.7")).status).toBe(429);
    reload(configOf("a", 1, { server: { max_client_requests: 0 } }));
    expect((await chat("m", "hi", {}, "10.0.0.7")).status).toBe(200);
    held[0]?.release();
    expect((await first).status).toBe(200);
  });

  test("breakers: the new policy applies; state carries over for unchanged routes, not edited providers", async () => {
    reload(configOf("a", 1, { routing: { retries: 0, circuit_breaker: { failures: 3, cooldown: "1h" } } }));
    expect((await chat("f")).status).toBe(502);
    expect((await chat("f")).status).toBe(502);
    // An unrelated edit: the two failures carry over, so the third opens the breaker.
    reload(configOf("b", 1, { routing: { retries: 0, circuit_breaker: { failures: 3, cooldown: "1h" } } }));
    expect((await chat("f")).status).toBe(502);
    expect((await chat("f")).status).toBe(503);
    // The provider edited: a different upstream, its breaker starts closed.
    const edited = configOf("b", 1, {
      routing: { retries: 0, circuit_breaker: { failures: 1, cooldown: "1h" } },
    });
    reload({
      ...edited,
      providers: edited.providers.map((p) => (p.name === "flaky-1" ? { ...p, headers: { "x-v": "2" } } : p)),
    });
    expect((await chat("f")).status).toBe(502);
    // And the new policy (one failure opens it) is the one in force.
    expect((await chat("f")).status).toBe(503);
  });

  test("a reload that cannot be built is refused and leaves the old snapshot whole", async () => {
    reload(configOf("a", 1));
    const before = gateway.runtime.current;
    reload(configOf("broken-1", 5, { providers: [{ name: "broken-1", type: "mock" }] }));
    expect(gateway.runtime.current).toBe(before);
    const status = (await admin("/admin/api/status")).config as { version: number; lastReloadError: string };
    expect(status.version).toBe(before.version);
    expect(status.lastReloadError).toContain("could not apply: provider broken-1 cannot start");
    const served = await chat("m");
    expect(((await served.json()) as { model: string }).model).toBe("a:up");
    expect((await auditOf(served)).costUsd).toBeCloseTo(0.002, 9);
  });

  test("tenant limits apply from the next request", async () => {
    reload(configOf("a", 1, { tenants: [{ name: "team", rpm: 1 }] }));
    const created = await gateway.handle(
      new Request("http://localhost/admin/api/keys", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ name: "team-key", tenant: "team" }),
      }),
    );
    expect(created.status).toBe(201);
    const member = { authorization: `Bearer ${((await created.json()) as { key: string }).key}` };
    expect((await chat("m", "hi", member)).status).toBe(200);
    const refused = await chat("m", "hi", member);
    expect(refused.status).toBe(429);
    reload(configOf("a", 1, { tenants: [{ name: "team", rpm: 1000 }] }));
    expect((await chat("m", "hi", member)).status).toBe(200);
  });

  test("worker admission: workers.allowed_origins and the authenticator apply to the next upgrade", async () => {
    const { port } = gateway.listen("127.0.0.1", 0);
    const upgrade = (headers: Record<string, string>) => upgradeStatus(port, headers);
    const browser = { origin: "https://ops.example", authorization: `Bearer ${adminKey}` };
    reload(configOf("a", 1));
    expect(await upgrade(browser)).toBe(403); // the key is good, the origin refused
    reload(configOf("a", 1, { workers: { allowed_origins: ["https://ops.example"] } }));
    expect(await upgrade(browser)).toBe(101); // the origin passes now
    expect(await upgrade({ ...browser, authorization: "Bearer mgw_not-a-key" })).toBe(401);
  });

  test("the version is the same in /readyz, /admin/api/status, /admin/api/routing and /metrics", async () => {
    reload(configOf("b", 1));
    const version = gateway.runtime.current.version;
    const ready = (await (await gateway.handle(new Request("http://localhost/readyz"))).json()) as {
      config: { version: number };
    };
    expect(ready.config.version).toBe(version);
    expect(((await admin("/admin/api/status")).config as { version: number }).version).toBe(version);
    expect(((await admin("/admin/api/routing")).config as { version: number }).version).toBe(version);
    const metrics = await gateway.handle(
      new Request("http://localhost/metrics", { headers: { authorization: `Bearer ${adminKey}` } }),
    );
    expect(await metrics.text()).toContain(`\nmindgw_config_version ${version}\n`);
  });

  test("a model a reload removes leaves /metrics, its alias's series with it; the models it keeps count on, and leave by a route a reload removes", async () => {
    const scrape = async () =>
      (
        await (
          await gateway.handle(
            new Request("http://localhost/metrics", { headers: { authorization: `Bearer ${adminKey}` } }),
          )
        ).text()
      )
        .split("\n")
        .filter((line) => line.startsWith("mindgw_requests_total{"));
    const gone = { name: "gone", aliases: ["gone-latest"], routes: [{ provider: "b", model: "up" }] };
    const kept = configOf("a", 1);
    reload(configOf("a", 1, { models: [...kept.models, gone] }));
    for (const model of ["gone", "gone-latest", "m"]) {
      const answer = await chat(model);
      expect(answer.status).toBe(200);
      await auditOf(answer);
    }
    // Counted as each request's record is made: waited for, not read at once.
    const before = await waitForValue("the three answers counted", async () => {
      const lines = await scrape();
      return lines.filter((line) => line.includes('status_class="2xx"')).length >= 3 ? lines : undefined;
    });
    expect(before.filter((line) => line.includes('model="gone-latest"'))).toEqual([
      'mindgw_requests_total{front_door="chat",model="gone-latest",provider="b",status_class="2xx"} 1',
    ]);
    expect(before.filter((line) => line.includes('model="gone"')).length).toBeGreaterThan(1);
    const servedM = before.find((line) =>
      line.includes('front_door="chat",model="m",provider="a",status_class="2xx"'),
    );
    reload(kept);
    const after = await scrape();
    expect(after.filter((line) => /model="gone(-latest)?"/.test(line))).toEqual([]);
    expect(after).toContain(servedM as string);
    // m routed to b in place of a: its series by a leave, its series by b are there at 0.
    reload(configOf("b", 1));
    const rerouted = (await scrape()).filter((line) => line.includes('model="m"'));
    expect(rerouted.filter((line) => line.includes('provider="a"'))).toEqual([]);
    expect(rerouted).toContain(
      'mindgw_requests_total{front_door="chat",model="m",provider="b",status_class="5xx"} 0',
    );
    reload(kept);
  });
});

describe("what a reload retires and what refuses it", () => {
  const closed: string[] = [];
  /** One pooled client the factory hands every version (examples/custom-provider.ts), beside ones made anew. */
  const pooled: Provider = { ...provider("pooled"), close: () => void closed.push("pooled") };
  let made = 0;
  let refuse: string | null = null;
  let own: BuiltGateway;
  let watch: ConfigWatchHandlers | undefined;
  const events: string[] = [];
  const versionOf = (drain: string, extra: Record<string, unknown> = {}) =>
    parseConfig({
      storage: { path: join(dir, "retire.db") },
      auth: { bootstrap_admin: false },
      server: { drain_timeout: drain },
      providers: [
        { name: "pooled", type: "mock" },
        { name: "fresh", type: "mock" },
      ],
      models: [{ name: "m", routes: [{ provider: "pooled", model: "up" }] }],
      ...extra,
    });
  const call = (model = "m") =>
    own.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      }),
    );

  beforeAll(async () => {
    own = await createGateway({
      configSource: {
        initial: versionOf("10ms"),
        path: null,
        watch(given) {
          watch = given;
          return () => {};
        },
      },
      logger: silentLogger,
      // An admin outside every tenant: one in a tenant reads no reload errors in the status.
      auth: async () => ({ ...jwtCaller, name: "ops", role: "admin" }),
      providers: (config) => {
        if (config.name === "pooled") return pooled;
        const label = `fresh #${++made}`;
        return { ...provider(config.name), close: () => void closed.push(label) };
      },
      // An embedder's policy that follows each config in place, and may find one it cannot take.
      policy: {
        admit: () => ({}),
        record: () => 0,
        reconfigure(config) {
          if (refuse !== null && config.models.some((model) => model.name === refuse))
            throw new Error("limits table unreadable");
        },
      },
      events: [{ publish: (event) => void (event.type.startsWith("config.") && events.push(event.type)) }],
    });
  });
  afterAll(() => own.stop());

  test("the retired version's providers close after its grace, but not one the new version still uses", async () => {
    // Another version (any applied setting: restart-only ones alone make none).
    watch?.onValid(versionOf("10ms", { routing: { retries: 3 } }));
    await waitForValue("the retired version's own provider to close", () => closed.includes("fresh #1"));
    expect(closed).toEqual(["fresh #1"]);
    const served = await call();
    expect(served.status).toBe(200);
    expect(((await served.json()) as { model: string }).model).toBe("pooled:up");
  });

  test("a policy whose reconfigure throws refuses the reload whole: the old config serves, the refusal is said", async () => {
    const before = own.runtime.current;
    refuse = "new-model";
    const refused = versionOf("10ms", {
      models: [
        { name: "m", routes: [{ provider: "pooled", model: "up" }] },
        { name: "new-model", routes: [{ provider: "pooled", model: "up" }] },
      ],
    });
    events.length = 0;
    expect(() => watch?.onValid(refused)).not.toThrow();
    expect(own.runtime.current).toBe(before);
    expect((await call("new-model")).status).toBe(404);
    expect(events).toEqual(["config.rejected"]);
    const status = (await (await own.handle(new Request("http://localhost/admin/api/status"))).json()) as {
      config: { version: number; lastReloadError: string };
    };
    expect(status.config.version).toBe(before.version);
    expect(status.config.lastReloadError).toBe("could not apply: limits table unreadable");
    // What was built for the refused version is closed, and only that: the pooled client serves on.
    expect(closed.at(-1)).toBe(`fresh #${made}`);
    expect(closed).not.toContain("pooled");
    expect((await call()).status).toBe(200);

    refuse = null;
    watch?.onValid(refused);
    expect(own.runtime.current.version).toBe(before.version + 1);
    expect((await call("new-model")).status).toBe(200);
    expect(events).toEqual(["config.rejected", "config.reloaded"]);
  });
});
