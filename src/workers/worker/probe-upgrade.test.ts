import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway, type GatewayOptions } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { freePort } from "../../testing/free-port.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { PROBE_MS, probeWaitMs, refusalOf, UNANSWERED_PROBE_MS, upgradeRefusal } from "./probe-upgrade.ts";
import { type RunWorkerOptions, runWorker } from "./worker-client.ts";

// Why the gateway refused a worker's upgrade, as the worker says it: the gateway's own words when
// it gave some, else what the status suggests.

const dir = mkdtempSync(join(tmpdir(), "mindgw-probe-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a refusal the gateway gave words to is said in them, quoted and cut; without them, what the status suggests", () => {
  const url = new URL("ws://gw:8080/workers/connect");
  expect(refusalOf(503, url, "the embedder's authenticator did not answer in time; try again later")).toEqual(
    {
      status: 503,
      final: false,
      message:
        'the upgrade at ws://gw:8080/workers/connect was answered 503: "the embedder\'s authenticator did not answer in time; try again later"',
    },
  );
  // A proxy's words may quote a credential; a page of them is cut.
  expect(refusalOf(503, url, "bad key sk-abcdefghijklmnopqrstuvwx")?.message).toEndWith(
    '503: "bad key [redacted]"',
  );
  expect(refusalOf(503, url, "x".repeat(400))?.message).toEndWith(`503: "${"x".repeat(300)}…"`);
  expect(refusalOf(502, url)?.message).toBe(
    "the upgrade at ws://gw:8080/workers/connect was answered 502, the gateway, or a proxy in front of it, is failing",
  );
  // A redirect is said as where to point --connect, a 401 as what to mend, whatever the body says.
  expect(refusalOf(302, url, "Found")?.message).toBe(
    "the upgrade at ws://gw:8080/workers/connect was answered 302, a redirect, which a WebSocket does not follow: give --connect the address it leads to",
  );
  expect(refusalOf(401, url, "bad token")?.final).toBe(true);
});

/** A gateway (or a proxy) answering every request `status` at once, with a body begun and never ended. */
function endlessBody(status: number) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"error":{"message":"the'));
          },
        }),
        { status, headers: { "content-type": "application/json" } },
      ),
  });
}

test("a refusal whose body does not end within the probe's bound keeps the status already received: a 503 is no 'cannot reach the gateway'", async () => {
  const server = endlessBody(503);
  try {
    const url = new URL(`ws://127.0.0.1:${server.port}/workers/connect`);
    expect(await upgradeRefusal(url, "worker-key", new AbortController().signal, 200)).toEqual({
      status: 503,
      final: false,
      message: `the upgrade at ${url.href} was answered 503, the gateway, or a proxy in front of it, is failing`,
    });
  } finally {
    await server.stop(true);
  }
});

test("a 401, 404 or redirect is said by its status alone, its body never read: one that does not end costs no wait", async () => {
  for (const status of [401, 404, 302]) {
    const server = endlessBody(status);
    try {
      const url = new URL(`ws://127.0.0.1:${server.port}/workers/connect`);
      // The probe's whole bound would outlast the test's: it returns once the status is in.
      const refusal = await upgradeRefusal(url, "worker-key", new AbortController().signal, 600_000);
      expect([refusal?.status, refusal?.final]).toEqual([status, status === 401]);
    } finally {
      await server.stop(true);
    }
  }
});

test("a probe after an upgrade nothing answered for the session's whole bound waits briefly; after an answered one, past the gateway's authenticator bound", () => {
  const closed = { kind: "closed", registered: false, code: 1006, reason: "" } as const;
  expect(probeWaitMs(closed)).toBe(PROBE_MS);
  expect(probeWaitMs({ ...closed, code: 1001, unanswered: true })).toBe(UNANSWERED_PROBE_MS);
  expect(UNANSWERED_PROBE_MS).toBeLessThan(PROBE_MS);
});

/**
 * A gateway taking workers, its store in `db` and its authenticator (and that's bound) as
 * `plugins` say, listening; with the options of a worker `w` dialling it with `token`, its log
 * lines kept in `lines`.
 */
async function gatewayAndWorker(
  db: string,
  plugins: Pick<GatewayOptions, "auth" | "pluginTimeoutMs">,
  token: string,
): Promise<{ gateway: Gateway; port: number; worker: RunWorkerOptions; lines: string[] }> {
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, db) },
      auth: { bootstrap_admin: false },
      workers: { enabled: true },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    ...plugins,
    logger: silentLogger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  const lines: string[] = [];
  const worker: RunWorkerOptions = {
    connect: `ws://127.0.0.1:${port}`,
    token,
    upstream: `http://127.0.0.1:${freePort()}/v1`,
    models: ["m"],
    concurrency: 1,
    name: "w",
    labels: {},
    responsesApi: false,
    handleSignals: false,
    backoff: { baseMs: 10, capMs: 20 },
    log: (level, message) => void lines.push(`${level} ${message}`),
  };
  return { gateway, port, worker, lines };
}

test("a worker whose upgrade the embedder's authenticator never answers is refused at pluginTimeoutMs, and says so in the gateway's words; it keeps trying", async () => {
  const { gateway, port, worker, lines } = await gatewayAndWorker(
    "hung-auth.db",
    { auth: () => new Promise<never>(() => {}), pluginTimeoutMs: 100 },
    "worker-key",
  );
  const stop = new AbortController();
  const ran = runWorker({ ...worker, stop: stop.signal });
  try {
    const said = await waitForValue("the worker's reconnecting line", () =>
      lines.find((line) => line.endsWith("; reconnecting")),
    );
    expect(said).toBe(
      `warn the upgrade at ws://127.0.0.1:${port}/workers/connect was answered 503: "the embedder's authenticator did not answer in time; try again later"; reconnecting`,
    );
  } finally {
    stop.abort();
    expect(await ran).toBe(0);
    await gateway.stop();
  }
});

test("a worker whose token the gateway refuses is told so by its upgrade's own answer: the authenticator runs once for the dial, no probe asks again", async () => {
  let asked = 0;
  const auth = () => {
    asked++;
    return Promise.reject(new Error("revoked"));
  };
  const { gateway, worker, lines } = await gatewayAndWorker("refused.db", { auth }, "revoked-key");
  try {
    const exit = await runWorker(worker);
    expect(exit).toBe(2);
    expect(lines).toContain(
      "error the gateway refused the worker token (401): check --token or MINDGW_WORKER_TOKEN",
    );
    expect(asked).toBe(1);
  } finally {
    await gateway.stop();
  }
});
