import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startOtlpReceiver } from "../../../test/e2e/harness/otlp-receiver.ts";
import { childEnv, onlyPath } from "../../testing/off-cloud-env.ts";

// startTracing as `mindgw serve` runs it: with the OTLP/HTTP exporter the gateway's request spans
// skip the SDK's span object, yet they carry the resource sdk-node built (service name,
// OTEL_RESOURCE_ATTRIBUTES, its detectors), obey OTEL_TRACES_SAMPLER, and the resource probe
// span is never exported; a count limit below what the spans carry keeps the SDK's spans. Each
// case runs in a process of its own, since sdk-node registers itself once per process.

const receiver = startOtlpReceiver();
afterAll(() => receiver.stop());
const PROBE = join(import.meta.dir, "testing/tracing-probe.ts");
const EMBEDDED = join(import.meta.dir, "testing/embedded-tracing-probe.ts");

async function probe(env: Record<string, string>, script = PROBE, args: readonly string[] = []) {
  const proc = Bun.spawn(["bun", script, ...args], {
    env: childEnv(
      {
        HOME: process.env.HOME ?? "",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_RESOURCE_ATTRIBUTES: `deployment.environment=probe-${env.CASE}`,
        ...env,
      },
      onlyPath,
    ),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  expect(err).toBe("");
  expect(code).toBe(0);
  // The probe flushed before it printed: everything it exported has arrived.
  const spans = receiver.spans.filter((s) => s.resource["deployment.environment"] === `probe-${env.CASE}`);
  type Said = { level: string; message: string; fields?: Record<string, unknown> };
  const printed = JSON.parse(out) as {
    direct: boolean;
    traceparent: string | null;
    status?: number;
    statuses?: number[];
    logs?: Said[];
  };
  return { ...printed, spans };
}

test("an embedder starts the same tracing through the library's exports (docs/EMBEDDING.md)", async () => {
  const { status, spans } = await probe({ CASE: "embedded" }, EMBEDDED);
  expect(status).toBe(200);
  expect(spans.map((s) => s.name).sort()).toEqual(["chat m", "chat mock-1"]);
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  expect(spans.every((s) => s.service === "embedded-probe")).toBe(true);
});

test("two gateways in one process, each with a startTracing of its own: each one's spans carry its own resource, and the second's go on after the first's tracing is shut down", async () => {
  // sdk-node registers the first's provider globally, and only that one: the tracer and resource
  // of each come from its own SDK, not from the global. Request spans written straight into the
  // batch, and the SDK's own spans (a count limit below what request spans carry), alike.
  const cases: Record<string, string>[] = [
    { CASE: "two-direct" },
    { CASE: "two-sdk", OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: "3" },
  ];
  for (const env of cases) {
    const { statuses, spans } = await probe(env, EMBEDDED, ["two"]);
    expect(statuses).toEqual([200, 200, 200]);
    const services = spans.map((s) => s.service).sort();
    expect(services).toEqual(["first-probe", "first-probe", ...Array(4).fill("second-probe")]);
    expect(new Set(spans.filter((s) => s.service === "second-probe").map((s) => s.traceId)).size).toBe(2);
  }
});

test("the default pipeline: direct spans with sdk-node's resource and scope, over protobuf", async () => {
  const { direct, traceparent, spans } = await probe({ CASE: "default" });
  expect(direct).toBe(true);
  expect(spans.map((s) => s.name).sort()).toEqual(["chat m", "chat up"]);
  for (const span of spans) {
    expect(span.service).toBe("tracing-probe");
    expect(span.scope).toBe("mindgw");
    // A detector's attribute: the resource is sdk-node's own, not one mindgw made up.
    expect(typeof span.resource["process.pid"]).toBe("number");
  }
  const attempt = spans.find((s) => s.kind === 3);
  expect(traceparent).toBe(`00-${attempt?.traceId}-${attempt?.spanId}-01`);
});

test("service.name in OTEL_RESOURCE_ATTRIBUTES names the service, as the spec has it; OTEL_SERVICE_NAME before it; the process's own name only when neither does", async () => {
  const cases: [Record<string, string>, string][] = [
    [
      {
        CASE: "rsn",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=probe-rsn,service.name=from-resource",
      },
      "from-resource",
    ],
    [
      {
        CASE: "rsn-env",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=probe-rsn-env,service.name=from-resource",
        OTEL_SERVICE_NAME: "from-env",
      },
      "from-env",
    ],
    [{ CASE: "rsn-none" }, "tracing-probe"],
  ];
  for (const [env, service] of cases) {
    const { spans } = await probe(env);
    expect(spans.map((s) => s.service)).toEqual([service, service]);
  }
});

test("the start line names the collector by its scheme, host, port and path: never the user info or query a credential may ride in", async () => {
  const endpoint = new URL(`${receiver.url}/v1/traces?api-key=SECRETquery#SECRETfragment`);
  endpoint.username = "otel";
  endpoint.password = "SECRETpassword";
  const { logs, spans } = await probe({
    CASE: "endpoint",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint.href,
  });
  expect(logs?.find((l) => l.message === "tracing on")?.fields?.endpoint).toBe(`${receiver.url}/v1/traces`);
  expect(JSON.stringify(logs)).not.toContain("SECRET");
  expect(spans).toHaveLength(2);
});

test("OTEL_TRACES_SAMPLER decides for the direct spans too", async () => {
  const off = await probe({ CASE: "off", OTEL_TRACES_SAMPLER: "always_off" });
  expect(off.direct).toBe(true);
  expect(off.spans).toEqual([]);
  // Nothing recorded, but the upstream still learns the trace, unsampled, as the SDK propagates it.
  expect(off.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  const ratio = await probe({
    CASE: "zero",
    OTEL_TRACES_SAMPLER: "traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0",
  });
  expect(ratio.spans).toEqual([]);
});

test("a sampler or ratio the SDK cannot use is said at warn, and the start line names the sampler and ratio in force", async () => {
  const bogus = await probe({ CASE: "bogus", OTEL_TRACES_SAMPLER: "bogus" });
  expect(bogus.logs?.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    'OTEL_TRACES_SAMPLER="bogus" names no sampler (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio): using parentbased_always_on, which samples every trace',
  ]);
  expect(bogus.logs?.find((l) => l.message === "tracing on")?.fields).toMatchObject({
    sampler: "parentbased_always_on",
  });
  const tenfold = await probe({
    CASE: "tenfold",
    OTEL_TRACES_SAMPLER: "traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "10",
  });
  expect(tenfold.logs?.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    'OTEL_TRACES_SAMPLER_ARG="10" is no ratio between 0 and 1: the ratio is 1, every trace sampled',
  ]);
  expect(tenfold.logs?.find((l) => l.message === "tracing on")?.fields).toMatchObject({
    sampler: "traceidratio",
    ratio: 1,
  });
  expect(tenfold.spans).toHaveLength(2);
  const half = await probe({
    CASE: "half",
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0.5",
  });
  expect(half.logs?.filter((l) => l.level === "warn")).toEqual([]);
  expect(half.logs?.find((l) => l.message === "tracing on")?.fields).toMatchObject({
    sampler: "parentbased_traceidratio",
    ratio: 0.5,
  });
});

test("a count limit below what request spans carry keeps the SDK's spans, which apply it", async () => {
  const { direct, spans } = await probe({
    CASE: "limit",
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: "3",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  });
  expect(direct).toBe(false);
  expect(spans).toHaveLength(2);
  for (const span of spans) expect(Object.keys(span.attributes)).toHaveLength(3);
});

test("the resource names the process, never its arguments, whatever OTEL_NODE_RESOURCE_DETECTORS says", async () => {
  // A worker's argv holds its token and, in an upstream URL, perhaps a password.
  const secret = "mgw_argvSecretThatMustNeverBeExported0123";
  const args = ["worker", "--token", secret, "--upstream", "http://bob:hunter2pw@127.0.0.1:1/v1"];
  for (const detectors of [undefined, "all", "process,env"]) {
    const CASE = `argv-${(detectors ?? "default").replace(",", "-")}`;
    const env: Record<string, string> = { CASE, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" };
    if (detectors) env.OTEL_NODE_RESOURCE_DETECTORS = detectors;
    const { spans } = await probe(env, PROBE, args);
    expect(spans.length).toBeGreaterThan(0);
    for (const { resource } of spans) {
      const text = JSON.stringify(resource);
      for (const part of [secret, "hunter2pw", "--token"]) expect(text).not.toContain(part);
      expect(resource["process.command_args"]).toBeUndefined();
      expect(resource["process.command_line"]).toBeUndefined();
      expect(resource["process.runtime.name"]).toBe("bun");
      expect(typeof resource["process.pid"]).toBe("number");
    }
  }
  // A list without `process` is honoured: no process attribute at all.
  const bare = await probe({ CASE: "argv-host", OTEL_NODE_RESOURCE_DETECTORS: "host,env" }, PROBE, args);
  expect(bare.spans.length).toBeGreaterThan(0);
  for (const { resource } of bare.spans) {
    expect(typeof resource["host.name"]).toBe("string");
    expect(resource["process.pid"]).toBeUndefined();
  }
});

test("an OTLP protocol that is none of the three is said at warn: its spans go as http/protobuf, as sdk-node sends them", async () => {
  const typo = await probe({ CASE: "typo", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuff" });
  expect(typo.logs?.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    'OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuff" names no protocol (http/protobuf, http/json, grpc): using http/protobuf',
  ]);
  expect(typo.spans).toHaveLength(2);
  const traces = await probe({
    CASE: "traces-typo",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "json",
  });
  expect(traces.logs?.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="json" names no protocol (http/protobuf, http/json, grpc): using http/protobuf',
  ]);
  const json = await probe({ CASE: "json", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
  expect(json.logs?.filter((l) => l.level === "warn")).toEqual([]);
  expect(json.spans).toHaveLength(2);
});

test("an OTLP protocol is read as sdk-node reads it: untrimmed, a blank one unset", async () => {
  // sdk-node sends "grpc " as http/protobuf (its switch matches no case): said so, not read as gRPC.
  const spaced = await probe({ CASE: "spaced", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc " });
  expect(spaced.logs?.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    'OTEL_EXPORTER_OTLP_PROTOCOL="grpc " names no protocol (http/protobuf, http/json, grpc): using http/protobuf',
  ]);
  expect(spaced.spans).toHaveLength(2);
  const blank = await probe({
    CASE: "blank",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "  ",
  });
  expect(blank.logs?.filter((l) => l.level === "warn")).toEqual([]);
  expect(blank.spans).toHaveLength(2);
});
