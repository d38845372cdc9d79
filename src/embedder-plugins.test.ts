import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Authenticator,
  type ConfigWatchHandlers,
  createGateway,
  createLogger,
  type Gateway,
  type GatewayOptions,
  openSqliteStorage,
  type Provider,
  parseConfig,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { recordingLogger } from "./testing/recording-logger.ts";
import { waitFor, waitForValue } from "./testing/wait-for.ts";

// An embedder's plug-ins (logger, authenticator, policy, event sinks) that throw, reject or never
// answer, through the exports only: no request is lost to them, none is held by them for ever,
// and what they said is logged without the secrets in it.

const dir = mkdtempSync(join(tmpdir(), "mindgw-plugins-"));
const gateways: Gateway[] = [];
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const caller = jwtCaller;
const anyone: Authenticator = async () => caller;

const configFor = (name: string, server: Record<string, unknown> = {}) =>
  parseConfig({
    storage: { path: join(dir, `${name}.db`) },
    auth: { bootstrap_admin: false },
    server,
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  });

async function started(name: string, options: Omit<GatewayOptions, "config">, server = {}) {
  const gateway = await createGateway({ config: configFor(name, server), ...options } as GatewayOptions);
  gateways.push(gateway);
  const { port } = gateway.listen("127.0.0.1", 0);
  const chat = (headers: Record<string, string> = {}, path = "/v1/chat/completions", signal?: AbortSignal) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      ...(signal ? { signal } : {}),
      headers: { "content-type": "application/json", authorization: "Bearer t", ...headers },
      body: JSON.stringify({ model: "m", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
  return { gateway, chat };
}

test("a logger that throws loses no request's end: every request of the turn has its audit row and its event, and nothing is thrown uncaught", async () => {
  const { logger } = recordingLogger(true);
  let finished = 0;
  let uncaught = 0;
  const count = () => void uncaught++;
  process.on("uncaughtException", count);
  try {
    const { gateway, chat } = await started("throwing-logger", {
      auth: anyone,
      logger,
      events: [{ publish: (event) => void (event.type === "request.finished" && finished++) }],
    });
    // Answered together, their ends are reported in one turn: each one's access line throws.
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () =>
        chat().then(async (response) => {
          await response.text();
          return response.status;
        }),
      ),
    );
    expect(statuses).toEqual(Array(12).fill(200));
    await waitFor("every request's end reported", () => finished === 12);
    await gateway.stop();
  } finally {
    process.off("uncaughtException", count);
  }
  expect(uncaught).toBe(0);
  const written = openSqliteStorage(join(dir, "throwing-logger.db"), { readonly: true });
  try {
    expect(await written.audit.select({ order: "asc", bodies: false }, null, 100)).toHaveLength(12);
  } finally {
    await written.close();
  }
});

test("a logger createLogger made, handed in (as mindgw serve hands its own), is read as the gateway's own: an access line carries its request's end, not the logger's clock", async () => {
  const written: string[] = [];
  const logger = createLogger({
    format: "json",
    // A clock of its own, read for a line stamped as it is logged; an access line has its request's.
    now: () => new Date(0),
    write: (line) => void written.push(line),
  });
  const { chat } = await started("made-logger", { auth: anyone, logger });
  const response = await chat();
  await response.text();
  const access = await waitForValue("the request's access line", () =>
    written.find((line) => line.includes('"msg":"request"')),
  );
  expect(access).toContain(`"request_id":"${response.headers.get("x-request-id")}"`);
  expect(access).not.toContain('"time":"1970-');
});

test("an authenticator or an admission that never answers is ended at pluginTimeoutMs: 503 in the caller's dialect naming the plug-in, its audit row, its slot given back, one warning a plug-in", async () => {
  // Through the real composition (key chains, web sessions around the bound authenticator): its 503
  // holds only while each part hands the embedder's the request's own Headers object, by which the
  // request's call is found (bound-authenticator.ts); a part that copied them left the request hung.
  const never = new Promise<never>(() => {});
  const { logger, lines } = recordingLogger();
  let hangAdmit = false;
  const { chat } = await started(
    "hung-plugins",
    {
      auth: async (headers) => (headers.get("x-hang") === "auth" ? never : caller),
      policy: { admit: (_caller, model) => (model === "m" && hangAdmit ? never : {}), record: () => 0 },
      logger,
      pluginTimeoutMs: 200,
    },
    // Two hung requests held every slot, so no other caller was served until their clients left.
    { max_concurrent_requests: 2 },
  );
  const [openai, anthropic] = await Promise.all([
    chat({ "x-hang": "auth" }),
    chat({ "x-hang": "auth" }, "/v1/messages"),
  ]);
  expect(openai.status).toBe(503);
  expect(openai.headers.get("retry-after")).toBe("1");
  expect(await openai.json()).toMatchObject({
    error: {
      code: "unavailable",
      message: "the embedder's authenticator did not answer in time; try again later",
    },
  });
  expect(anthropic.status).toBe(503);
  expect(await anthropic.json()).toMatchObject({
    type: "error",
    error: { message: "the embedder's authenticator did not answer in time; try again later" },
  });
  expect((await chat()).status).toBe(200);
  hangAdmit = true;
  const admit = await chat();
  expect(admit.status).toBe(503);
  expect(((await admit.json()) as { error: { message: string } }).error.message).toBe(
    "the embedder's policy (admit) did not answer in time; try again later",
  );
  hangAdmit = false;
  expect((await chat()).status).toBe(200);
  // One warning a plug-in, not one a request (then at most one every 30 s, with a count): each
  // request's own line is its access line and its audit row.
  const warnings = lines.filter((line) => line.level === "warn" && line.message !== "request");
  expect(warnings.map((line) => line.message).sort()).toEqual([
    "the embedder's authenticator failed: Error: no answer within 0.2 s (pluginTimeoutMs): its request was answered 503, and what it answers later is dropped",
    "the embedder's policy (admit) failed: Error: no answer within 0.2 s (pluginTimeoutMs): its request was answered 503, and what it answers later is dropped",
  ]);
  const rows = openSqliteStorage(join(dir, "hung-plugins.db"), { readonly: true });
  try {
    const refused = [openai, anthropic, admit].map((response) => response.headers.get("x-request-id"));
    const written = await waitForValue("the 503s' audit rows", async () => {
      const entries = await rows.audit.select({ order: "asc", bodies: false }, null, 100);
      const found = entries.filter((entry) => refused.includes(entry.record.requestId));
      return found.length === 3 && found;
    });
    expect(written.map(({ record }) => [record.status, record.errorClass, record.errorMessage])).toEqual([
      [503, "unavailable", "the embedder's authenticator did not answer in time; try again later"],
      [503, "unavailable", "the embedder's authenticator did not answer in time; try again later"],
      [503, "unavailable", "the embedder's policy (admit) did not answer in time; try again later"],
    ]);
  } finally {
    await rows.close();
  }
});

test("an authenticator call whose client left is not timed on: its request is the client's 499, and no warning says it was answered 503", async () => {
  // Through the real composition (key chains, web sessions around the bound authenticator): its 503
  // holds only while each part hands the embedder's the request's own Headers object, by which the
  // request's call is found (bound-authenticator.ts); a part that copied them left the request hung.
  const never = new Promise<never>(() => {});
  const { logger, lines } = recordingLogger();
  let hangAdmit = false;
  let asked = 0;
  const { chat } = await started("abandoned-auth", {
    auth: async (headers) => {
      if (headers.get("x-hang") !== "auth") return caller;
      asked++;
      return never;
    },
    // The admission's bound is another plug-in's, warned of apart: its 503 comes after the
    // authenticator's bound for the request that left had passed (it was sent later).
    policy: { admit: () => (hangAdmit ? never : {}), record: () => 0 },
    logger,
    pluginTimeoutMs: 300,
  });
  const leaving = new AbortController();
  const left = chat({ "x-hang": "auth" }, "/v1/chat/completions", leaving.signal).catch(() => "left");
  await waitFor("the embedder's authenticator asked", () => asked === 1);
  leaving.abort();
  expect(await left).toBe("left");
  await waitForValue("the request's 499", () =>
    lines.find((line) => line.message === "request" && line.fields?.status === 499),
  );
  hangAdmit = true;
  expect((await chat()).status).toBe(503);
  const warnings = lines.filter((line) => line.level === "warn" && line.message !== "request");
  expect(warnings.map((line) => line.message)).toEqual([
    "the embedder's policy (admit) failed: Error: no answer within 0.3 s (pluginTimeoutMs): its request was answered 503, and what it answers later is dropped",
  ]);
});

test("only the embedder's own call is timed: a slow read of the gateway's around it (a key's chain) is no plug-in's fault", async () => {
  const sqlite = openSqliteStorage(join(dir, "slow-chains.db"));
  let chainReads = 0;
  // A key store across the network, slower than the plug-ins' bound: what the gateway reads of it
  // for an embedder's principal (its key's rotation chain) is waited for, never a 503 of the plug-in's.
  const keys = {
    ...sqlite.keys,
    getById: async (id: string) => {
      chainReads++;
      // stimulus: a store slower than the plug-ins' bound (the test waits on the answer, not on this).
      await Bun.sleep(300);
      return sqlite.keys.getById(id);
    },
  };
  const { logger, lines } = recordingLogger();
  const { chat } = await started("slow-chains", {
    storage: { ...sqlite, keys },
    auth: async () => ({ ...caller, keyId: "key_held_by_the_embedder" }),
    logger,
    pluginTimeoutMs: 20,
  });
  const answer = await chat();
  expect(answer.status).toBe(200);
  expect(chainReads).toBe(1);
  expect(lines.filter((line) => line.message.includes("the embedder's authenticator"))).toEqual([]);
});

test("a pluginTimeoutMs that is no positive, finite number of ms is refused by createGateway, naming it", async () => {
  for (const pluginTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await expect(
      createGateway({
        config: configFor("bad-timeout"),
        auth: anyone,
        logger: silentLogger,
        pluginTimeoutMs,
      }),
    ).rejects.toThrow(
      `pluginTimeoutMs must be a positive, finite number of milliseconds (default 10000); got ${pluginTimeoutMs}`,
    );
  }
});

test("what an authenticator throws is on the 401's access line, and a plug-in's error on the 500's log line, without the secrets it quoted", async () => {
  const { logger, lines } = recordingLogger();
  const { chat } = await started("throwing-plugins", {
    auth: async (headers) => {
      if (headers.get("x-fail") === "auth") throw new Error("ldap down password=hunter2");
      return caller;
    },
    policy: {
      admit: () => {
        throw new Error("policy db down token=sk-secret");
      },
      record: () => 0,
    },
    logger,
  });
  const refused = await chat({ "x-fail": "auth" });
  expect(refused.status).toBe(401);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
    "invalid or missing credentials",
  );
  expect((await chat()).status).toBe(500);
  await waitFor("both access lines", () => lines.filter((line) => line.message === "request").length === 2);
  const said = JSON.stringify(lines);
  expect(said).not.toContain("hunter2");
  expect(said).not.toContain("sk-secret");
  expect(
    lines.find((line) => line.message === "request" && line.fields?.status === 401)?.fields?.detail,
  ).toBe("Error: ldap down password=[redacted]");
  expect(lines.find((line) => line.message === "internal error")?.fields?.error).toBe(
    "Error: policy db down token=[redacted]",
  );
});

test("an async sink's publish that rejects is logged, never an unhandled rejection; so is a sync throw, each sink in its own warning; a sink beside them gets every event, and each failure is counted once", async () => {
  const { logger, lines } = recordingLogger();
  let unhandled = 0;
  const count = () => void unhandled++;
  process.on("unhandledRejection", count);
  const heard: string[] = [];
  try {
    const { gateway, chat } = await started("rejecting-sink", {
      // An admin, to read /metrics.
      auth: async () => ({ ...caller, role: "admin" }),
      logger,
      events: [
        {
          async publish(event) {
            if (event.type === "request.finished") throw new Error("kafka: broker not available");
          },
        },
        {
          publish(event) {
            if (event.type === "request.finished") throw new TypeError("sync sink broke");
          },
        },
        { publish: (event) => void heard.push(event.type) },
      ],
    });
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200);
    await waitFor(
      "every request's end heard",
      () => heard.filter((t) => t === "request.finished").length === 3,
    );
    // Each failure is counted as it happens: a throw at once, a rejection in the turn of its
    // publish, before the sink beside them was given the same event. A scrape reads the count
    // before its own request's end is published, so this one reads the three requests' alone.
    const metrics = new Request("http://localhost/metrics", { headers: { authorization: "Bearer t" } });
    const scraped = await (await gateway.handle(metrics)).text();
    // Three ends thrown by one sink, three rejected by the other.
    expect(/\nmindgw_event_listener_errors_total (\d+)\n/.exec(scraped)?.[1]).toBe("6");
    await gateway.stop();
  } finally {
    process.off("unhandledRejection", count);
  }
  expect(unhandled).toBe(0);
  // Each sink's own warning, named by its place in `events`: once at first, then at most once
  // every 30 s, not once an event. Its type, never the event.
  expect(lines.filter((line) => line.message.startsWith("an event sink's publish failed"))).toEqual([
    {
      level: "warn",
      message: "an event sink's publish failed: TypeError: sync sink broke",
      fields: { sink: "events[1]", event: "request.finished" },
    },
    {
      level: "warn",
      message: "an event sink's publish failed: Error: kafka: broker not available",
      fields: { sink: "events[0]", event: "request.finished" },
    },
  ]);
});

test("a provider's async close that rejects: a reload retiring it logs the failure, and stop rejects naming the providers", async () => {
  const { logger, lines } = recordingLogger();
  let handlers: ConfigWatchHandlers | undefined;
  const initial = configFor("async-close", { drain_timeout: "50ms" });
  const pool: Provider = {
    name: "demo",
    dialect: "openai",
    async call() {
      throw new Error("not called");
    },
    async close() {
      await Promise.resolve();
      throw new Error("pool.end() failed: connection refused");
    },
  };
  let made = 0;
  const gateway = await createGateway({
    configSource: {
      initial,
      path: null,
      watch: (told) => {
        handlers = told;
        return () => {};
      },
    },
    auth: anyone,
    logger,
    // A new pool for each config version: the first one is retired by the reload.
    providers: () => (made++ === 0 ? pool : { ...pool }),
  });
  await handlers?.onValid(configFor("async-close", { drain_timeout: "60ms" }));
  await waitFor("the retired provider's failure logged", () =>
    lines.some((line) => line.message === "closing a retired provider failed"),
  );
  expect(lines.find((line) => line.message === "closing a retired provider failed")?.fields).toEqual({
    error: "Error: pool.end() failed: connection refused",
  });
  const failure = await gateway.stop().then(
    () => null,
    (error: unknown) => error,
  );
  expect((failure as AggregateError).message).toBe(
    "the gateway stopped, but these parts failed to: providers",
  );
});
