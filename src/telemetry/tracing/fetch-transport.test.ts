import { afterAll, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import type { ExportResult } from "@opentelemetry/core";
import {
  createOtlpNetworkExportDelegate,
  type IExporterTransport,
  type IOtlpExportDelegate,
} from "@opentelemetry/otlp-exporter-base";
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  createOtlpHttpExporterMetrics,
} from "@opentelemetry/otlp-exporter-base/node-http";
import { freePort } from "../../testing/free-port.ts";
import { steppedWallClock } from "../../testing/stepped-clocks.ts";
import { createFetchTransport, createRetryingTransport, USER_AGENT } from "./fetch-transport.ts";

// Our transport (the lean client, fetch-transport.ts and export-client.ts) against the library's
// own node:http transport: both exporters are built
// from the same library configuration and sent to the same loopback collector, which answers
// each case the same way for both; what the collector receives and what the exporter reports
// must be the same.

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: number[];
}

/** A collector that answers each POST with the next of `answers` (then 200), recording it. */
let answers: (() => Response | Promise<Response>)[] = [];
let received: Received[] = [];
const collector = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const raw = new Uint8Array(await request.arrayBuffer());
    const body = request.headers.get("content-encoding") === "gzip" ? gunzipSync(raw) : raw;
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers)
      if (
        !["host", "connection", "content-length", "transfer-encoding", "accept", "accept-encoding"].includes(
          name,
        )
      )
        headers[name] = value;
    received.push({ method: request.method, path: new URL(request.url).pathname, headers, body: [...body] });
    const next = answers.shift();
    return next ? next() : new Response(new Uint8Array(0), { status: 200 });
  },
});
afterAll(() => collector.stop(true));

const DATA = new Uint8Array([10, 3, 1, 2, 3, 200, 255]);
const serializer = {
  serializeRequest: (data: Uint8Array) => data,
  deserializeResponse: (data: Uint8Array) => ({ bytes: data.length }),
};
const countItems = { name: "span" as const, countItems: () => 1 };

function options(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` }, env);
  try {
    return convertLegacyHttpOptions({}, "TRACES", "v1/traces", { "Content-Type": "application/x-protobuf" });
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** The library's exporter and ours, built from the same configuration. */
function exporters(env: Record<string, string>, sleep?: (ms: number) => Promise<void>) {
  const config = options(env);
  const library = createOtlpHttpExportDelegate(
    config,
    serializer,
    "otlp_http_span_exporter",
    countItems,
    undefined,
  );
  const ours = createOtlpNetworkExportDelegate(
    config,
    serializer,
    createOtlpHttpExporterMetrics("otlp_http_span_exporter", countItems, config.url, undefined),
    createRetryingTransport(createFetchTransport(config), sleep),
  );
  return { library, ours };
}

const exported = (delegate: IOtlpExportDelegate<Uint8Array>) =>
  new Promise<ExportResult>((resolve) => delegate.export(DATA, resolve));

/** One exporter's request(s) and verdict for the collector's `script`. */
async function run(
  delegate: IOtlpExportDelegate<Uint8Array>,
  script: (() => Response | Promise<Response>)[],
) {
  answers = [...script];
  received = [];
  const result = await exported(delegate);
  return {
    received,
    code: result.code,
    error: result.error ? { name: result.error.name, message: result.error.message } : undefined,
    status: (result.error as { code?: number } | undefined)?.code,
    data: (result.error as { data?: string } | undefined)?.data,
  };
}

async function same(
  env: Record<string, string>,
  script: (() => Response | Promise<Response>)[],
  sleep?: (ms: number) => Promise<void>,
) {
  const { library, ours } = exporters(env, sleep);
  const theirs = await run(library, script);
  const mine = await run(ours, script);
  expect(mine).toEqual(theirs);
  await Promise.all([library.shutdown(), ours.shutdown()]);
  return mine;
}

test("the library's User-Agent, for the installed version", async () => {
  const installed = (await Bun.file(
    require.resolve("@opentelemetry/otlp-exporter-base").replace(/dist\/index\.cjs$/, "package.json"),
  ).json()) as { version: string };
  expect(USER_AGENT).toBe(`OTel-OTLP-Exporter-JavaScript/${installed.version}`);
});

test("a success: same URL, headers (OTEL_EXPORTER_OTLP_HEADERS, Content-Type, User-Agent) and bytes", async () => {
  const seen = await same({ OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=blue,authorization=Bearer%20k" }, []);
  expect(seen.code).toBe(0);
  expect(seen.received).toHaveLength(1);
  expect(seen.received[0]).toMatchObject({
    method: "POST",
    path: "/v1/traces",
    headers: {
      "content-type": "application/x-protobuf",
      "x-tenant": "blue",
      authorization: "Bearer k",
      "user-agent": USER_AGENT,
    },
    body: [...DATA],
  });
});

test("OTEL_EXPORTER_OTLP_COMPRESSION=gzip: the same bytes, gzipped", async () => {
  const seen = await same({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }, []);
  expect(seen.received[0]?.headers["content-encoding"]).toBe("gzip");
  expect(seen.received[0]?.body).toEqual([...DATA]);
});

test("a retryable status is retried after Retry-After; the same attempts, then success", async () => {
  const busy = () => new Response("busy", { status: 503, headers: { "retry-after": "0" } });
  const throttled = () => new Response("slow down", { status: 429, headers: { "retry-after": "0" } });
  const seen = await same({}, [busy, throttled]);
  expect(seen.code).toBe(0);
  expect(seen.received).toHaveLength(3);
});

test("a retryable status without Retry-After backs off as the library does (1 s × 1.5, ±20 %)", async () => {
  const waits: number[] = [];
  const { ours } = exporters({}, async (ms) => {
    waits.push(ms);
  });
  const seen = await run(ours, [
    () => new Response(null, { status: 502 }),
    () => new Response(null, { status: 504 }),
  ]);
  expect(seen.code).toBe(0);
  expect(seen.received).toHaveLength(3);
  expect(waits).toHaveLength(2);
  expect(waits[0]).toBeGreaterThanOrEqual(800);
  expect(waits[0]).toBeLessThanOrEqual(1200);
  expect(waits[1]).toBeGreaterThanOrEqual(1200);
  expect(waits[1]).toBeLessThanOrEqual(1800);
  await ours.shutdown();
});

test("a retryable status for ever: 6 attempts, then failed with the last status (the library's says none)", async () => {
  const busy = () =>
    new Response("overloaded", {
      status: 503,
      statusText: "Service Unavailable",
      headers: { "retry-after": "0" },
    });
  const script = [busy, busy, busy, busy, busy, busy, busy];
  const { library, ours } = exporters({});
  const theirs = await run(library, script);
  const seen = await run(ours, script);
  expect(theirs).toMatchObject({ code: 1, error: { message: "Export failed with retryable status" } });
  expect(seen).toMatchObject({
    code: 1,
    status: 503,
    data: "overloaded",
    error: { message: "Service Unavailable" },
    received: theirs.received,
  });
  expect(seen.received).toHaveLength(6);
  await Promise.all([library.shutdown(), ours.shutdown()]);
});

test("a Retry-After past the export's timeout ends the export at once", async () => {
  const later = () => new Response(null, { status: 503, headers: { "retry-after": "60" } });
  const { library, ours } = exporters({ OTEL_EXPORTER_OTLP_TIMEOUT: "2000" });
  const theirs = await run(library, [later]);
  const seen = await run(ours, [later]);
  expect(theirs).toMatchObject({ code: 1, received: [expect.anything()] });
  // The same, but for the status it names.
  expect(seen).toMatchObject({ code: 1, status: 503, received: theirs.received });
  await Promise.all([library.shutdown(), ours.shutdown()]);
});

test("another status is a failure carrying the status and the collector's text, not retried", async () => {
  const bad = () => new Response("bad span", { status: 400, statusText: "Bad Request" });
  const seen = await same({}, [bad]);
  expect(seen).toMatchObject({ code: 1, status: 400, data: "bad span" });
  expect(seen.received).toHaveLength(1);
});

test("a collector slower than OTEL_EXPORTER_OTLP_TIMEOUT: failed, as the library reports it", async () => {
  let release = () => {};
  const held = new Promise<Response>((resolve) => {
    release = () => resolve(new Response(null, { status: 200 }));
  });
  const { ours } = exporters({ OTEL_EXPORTER_OTLP_TIMEOUT: "200" });
  const seen = await run(ours, [() => held]);
  release();
  expect(seen.code).toBe(1);
  expect(seen.error?.message).toBe("Request timed out");
  await ours.shutdown();
});

test("a refused connection is retryable (the library's network errors), failed at the timeout", async () => {
  const port = freePort();
  const saved = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `http://127.0.0.1:${port}/v1/traces`;
  const sleeps: number[] = [];
  try {
    const { ours } = exporters({ OTEL_EXPORTER_OTLP_TIMEOUT: "1500" }, async (ms) => {
      sleeps.push(ms);
    });
    const seen = await run(ours, []);
    expect(seen.code).toBe(1);
    // Retried once (the first backoff, ≤ 1.2 s, fits the 1.5 s timeout; the second does not).
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
    await ours.shutdown();
  } finally {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = saved;
  }
});

test("HTTP_PROXY set: straight to the endpoint, as the library's node:http transport goes", async () => {
  const proxy = `http://127.0.0.1:${freePort()}`;
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy };
  process.env.HTTP_PROXY = proxy;
  process.env.http_proxy = proxy;
  try {
    const seen = await same({}, []);
    expect(seen.code).toBe(0);
    expect(seen.received).toHaveLength(1);
  } finally {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  }
});

test("a step back of the wall clock (NTP, a VM resumed) during an export stretches not its timeout: a collector's Retry-After past it ends the retries, as without the step", async () => {
  const wall = steppedWallClock();
  try {
    const slept: number[] = [];
    let sends = 0;
    const collectorBusy: IExporterTransport = {
      async send() {
        sends++;
        wall.step(-600_000);
        return { status: "retryable", retryInMillis: 120_000 };
      },
      shutdown() {},
    };
    const transport = createRetryingTransport(collectorBusy, async (ms) => void slept.push(ms));
    const result = await transport.send(new Uint8Array(), 10_000);
    expect([result.status, sends, slept]).toEqual(["retryable", 1, []]);
  } finally {
    wall.restore();
  }
});
