import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandOf, createBenchKey, keyInOutput } from "./mindgw-key.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { anthropicUpstreamYaml } from "./scenarios.ts";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import type { Target } from "./target.ts";

const ROOT = join(import.meta.dir, "..");

/** The fake upstream as its own process, no artificial delay, no request log. */
export async function startFake(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const service = spawnService(["bun", join(ROOT, "test/fake-upstream/main.ts"), "--no-record"]);
  const port = await service.portLine();
  return { url: `http://127.0.0.1:${port}`, pid: service.pid, stop: () => service.stop() };
}

/**
 * The burst upstream (bench/burst-upstream.ts) as its own process: answers at once, costs the
 * machine as little as an upstream can, and counts the completions it answered (`GET /served`).
 */
export async function startBurst(): Promise<{
  url: string;
  pid: number;
  served(): Promise<number>;
  stop(): Promise<void>;
}> {
  const service = spawnService(["bun", join(ROOT, "bench/burst-upstream.ts")]);
  const url = `http://127.0.0.1:${await service.portLine()}`;
  return {
    url,
    pid: service.pid,
    served: async () => ((await (await fetch(`${url}/served`)).json()) as { served: number }).served,
    stop: () => service.stop(),
  };
}

/** (a) Straight at the fake: the ceiling. */
export const directTarget = (fakeUrl: string, pid: number): Target => ({
  name: "direct",
  start: async () => ({ url: fakeUrl, headers: {}, pid, stop: async () => {} }),
});

/**
 * (b) The few-line Bun proxy: the floor for any Bun gateway. `env` (with its own `name`) runs it
 * with a setting a gateway's target is given too, so that the pair stays like for like.
 */
export const bareProxyTarget = (
  fakeUrl: string,
  variant: { name: string; env: Record<string, string> } = { name: "bare-proxy", env: {} },
): Target => ({
  name: variant.name,
  async start() {
    const service = spawnService(["bun", join(ROOT, "bench/bare-proxy.ts"), "--upstream", fakeUrl], {
      env: variant.env,
    });
    const port = await service.portLine();
    return { url: `http://127.0.0.1:${port}`, headers: {}, pid: service.pid, stop: () => service.stop() };
  },
});

/**
 * The floor gateway (bench/floor-gateway.ts: key check, counter, usage, audit row, a keep-alive
 * pool on `Bun.connect`; whole answers only, so a stream is relayed once it has all arrived).
 */
export const floorGatewayTarget = (fakeUrl: string): Target => ({
  name: "floor",
  async start() {
    const service = spawnService(["bun", join(ROOT, "bench/floor-gateway.ts"), "--upstream", fakeUrl]);
    const port = await service.portLine();
    const headers = { authorization: "Bearer sk-floor" };
    return { url: `http://127.0.0.1:${port}`, headers, pid: service.pid, stop: () => service.stop() };
  },
});

/**
 * The gateway in library form (bench/embedded-gateway.ts, run by `bun`, not compiled), with
 * auth or audit switched on or off: the on/off pairs are measured the same way, in one run.
 */
export const embeddedTarget = (
  fakeUrl: string,
  name: string,
  switches: { auth: "on" | "off"; audit: "on" | "off" },
): Target => ({
  name,
  async start() {
    const args = ["--upstream", fakeUrl, "--auth", switches.auth, "--audit", switches.audit];
    const service = spawnService(["bun", join(ROOT, "bench/embedded-gateway.ts"), ...args]);
    const port = await service.portLine(20_000);
    const key = keyInOutput(service.output());
    if (!key) throw new Error(`embedded gateway printed no key: ${service.output()}`);
    return {
      url: `http://127.0.0.1:${port}`,
      // Sent with auth off too, so both sides of the pair carry the same bytes.
      headers: { authorization: `Bearer ${key}` },
      pid: service.pid,
      stop: () => service.stop(),
    };
  },
});

/** What varies between mindgw targets: extra YAML appended to the config, and the client key. */
export interface MindgwVariant {
  name: string;
  /** YAML lines appended to the base config (top-level keys). */
  extraYaml?: string;
  /** Sent as `Authorization: Bearer <key>`; when unset, a key is created or the bootstrap key used. */
  apiKey?: string;
  /**
   * "workers": bench-model is served only through a `mindgw worker` process beside the fake,
   * dialling in over the tunnel, instead of the direct `openai` provider route.
   */
  via?: "provider" | "worker";
  /** Export traces (every request sampled) to an OTLP sink started beside the gateway. */
  traced?: boolean;
  /**
   * Issue 15: mirror every request (sample 1.0) to a shadow route on an upstream of its own,
   * started with the target: the burst upstream, the fastest fake (its CPU per copy is a third
   * of the full fake's, and it shares the 2 cores with the gateway). The primary's fake serves the
   * same load as for the other targets (a shared fake serving twice the requests would measure
   * the fake), and the gateway's CPU includes the shadow's whole exchange. The target reports
   * the copies the shadow upstream answered and the copies the gateway shed.
   */
  shadow?: boolean;
  /** Environment for the gateway process (say `MINDGW_UPSTREAM_CLIENT=lean`). */
  env?: Record<string, string>;
}

/** OTLP/HTTP export at sample ratio 1.0 to the collector stand-in (bench/otlp-sink.ts), the batch processor's defaults otherwise. */
async function startTraceSink(dir: string) {
  const sink = await startOtlpSink({ stderrPath: join(dir, "sink.log") });
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_TRACES_SAMPLER: "traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "1.0",
  };
  return { env, stop: () => sink.stop() };
}

// The database sits in `data/` as in the default layout (`./data/mindgw.db`): one beside the
// config file wakes the config watch (a watch on the file's folder) on every write, 1–2.6 µs a
// request at c=32 (s5-metrics, session 4).
/** The bench gateway's config: bench-model on the fake (or, `via: "worker"`, on the workers). */
export function configYaml(
  port: number,
  dir: string,
  fakeUrl: string,
  variant: MindgwVariant,
  shadowUrl?: string,
): string {
  const route = variant.via === "worker" ? "workers" : "fake";
  return `server: { host: 127.0.0.1, port: ${port} }
storage: { driver: sqlite, path: ${join(dir, "data", "mindgw.db")} }
providers:
  - { name: fake, type: openai, base_url: ${fakeUrl}/v1 }
${anthropicUpstreamYaml(fakeUrl).provider}
${shadowUrl ? `  - { name: shadow-fake, type: openai, base_url: ${shadowUrl}/v1 }\n` : ""}models:
  - name: bench-model
    routes:
      - { provider: ${route}, model: bench-model }
${shadowUrl ? "    shadow: { provider: shadow-fake, model: bench-model, sample: 1.0 }\n" : ""}${anthropicUpstreamYaml(fakeUrl).model}
${variant.extraYaml ?? ""}`;
}

/**
 * Starts `mindgw worker` for bench-model (`binary`: the compiled gateway, or a command such as
 * `["bun", "src/main.ts"]`) with `env` beside the harness's, and waits until the gateway routes to it.
 */
export async function startWorker(
  binary: string | readonly string[],
  url: string,
  token: string,
  fakeUrl: string,
  headers: Record<string, string>,
  stderrPath: string,
  env: Record<string, string> = {},
) {
  const args = ["worker", "--connect", url, "--token", token, "--upstream", `${fakeUrl}/v1`];
  args.push("--models", "bench-model", "--name", "bench-worker", "--concurrency", "1024");
  const worker = spawnService([...commandOf(binary), ...args], { stderrPath, env });
  const deadline = Date.now() + 15_000;
  // Probe only once the worker says it registered: requests before that fail, and failures
  // open the route's circuit breaker for longer than this wait.
  const registered = async () => (await Bun.file(stderrPath).text()).includes("registered with the gateway");
  while (Date.now() < deadline && !(await registered())) await Bun.sleep(50);
  // bench-model is configured, so it is listed either way: a request that succeeds is the test.
  while (Date.now() < deadline) {
    const probe = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "ready?" }] }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    if (probe?.status === 200) return worker;
    await probe?.arrayBuffer();
    await Bun.sleep(100);
  }
  await worker.stop();
  throw new Error(`the bench worker did not register:\n${await Bun.file(stderrPath).text()}`);
}

/**
 * The allocator keeping the pages it frees: what deploy/'s files give the binary, and since
 * session 21 what `mindgw serve` and `mindgw worker` give themselves (src/cli/allocator-settings.ts).
 * For the bare proxy, it makes the comparison like for like.
 */
export const DEPLOYED_ENV = { MIMALLOC_PURGE_DELAY: "-1" };
/** The allocator giving freed pages back 100 ms later: Bun's default, and the binary's before session 21. */
export const PURGING_ENV = { MIMALLOC_PURGE_DELAY: "100" };

/** (c) The compiled gateway, `dist/mindgw serve -c <temp config>`. */
export const mindgwTarget = (fakeUrl: string, binary: string, variant: MindgwVariant): Target => ({
  name: variant.name,
  async start() {
    const dir = await mkdtemp(join(tmpdir(), "mindgw-bench-"));
    const port = freePort();
    // The config alone in its folder: the gateway watches that folder, and a log written beside
    // it (stderr.log, each access-line batch) would wake the watch on every write.
    const config = join(dir, "config", "config.yaml");
    await mkdir(join(dir, "config"), { recursive: true });
    const shadowFake = variant.shadow ? await startBurst() : undefined;
    await writeFile(config, configYaml(port, dir, fakeUrl, variant, shadowFake?.url));
    const created = variant.apiKey ?? (await createBenchKey(binary, config));
    // Reads `mindgw_shadow_shed_total` on /metrics (admin role).
    const adminKey = shadowFake ? await createBenchKey(binary, config, "admin") : undefined;
    const workerKey = variant.via === "worker" ? await createBenchKey(binary, config, "worker") : undefined;
    if (variant.via === "worker" && !workerKey) throw new Error("could not create a worker key");
    const stderrPath = join(dir, "stderr.log");
    const sink = variant.traced ? await startTraceSink(dir) : undefined;
    const service = spawnService([binary, "serve", "-c", config], {
      stderrPath,
      ...(sink || variant.env ? { env: { ...sink?.env, ...variant.env } } : {}),
    });
    const url = `http://127.0.0.1:${port}`;
    const logs = async () => `${service.output()}\n${await Bun.file(stderrPath).text()}`;
    try {
      await waitForHttp(`${url}/healthz`);
    } catch (e) {
      await service.stop();
      await sink?.stop();
      await shadowFake?.stop();
      throw new Error(`${(e as Error).message}\n${await logs()}`);
    }
    // Without a given or created key, use the one-time admin key a fresh store prints.
    const apiKey = created ?? keyInOutput(await logs());
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    const worker = workerKey
      ? await startWorker(binary, url, workerKey, fakeUrl, headers, join(dir, "worker.log")).catch(
          async (e: Error) => {
            await service.stop();
            throw new Error(`${e.message}\ngateway:\n${(await logs()).slice(-3000)}`);
          },
        )
      : undefined;
    const shadow = shadowFake && {
      upstreamPid: shadowFake.pid,
      async counts() {
        const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
        const shed = (await metrics.text()).match(/^mindgw_shadow_shed_total (\d+)/m)?.[1];
        return { answered: await shadowFake.served(), shed: Number(shed ?? Number.NaN) };
      },
    };
    return {
      url,
      headers,
      pid: service.pid,
      ...(worker ? { workerPid: worker.pid } : {}),
      ...(shadow ? { shadow } : {}),
      async stop() {
        await worker?.stop();
        await service.stop();
        await sink?.stop();
        await shadowFake?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

/** `mindgw` with every plain-http upstream call on the lean client (`MINDGW_UPSTREAM_CLIENT=lean`). */
export const mindgwLeanTarget = (fakeUrl: string, binary: string): Target =>
  mindgwTarget(fakeUrl, binary, { name: "mindgw-lean", env: { MINDGW_UPSTREAM_CLIENT: "lean" } });

/** `mindgw` with every call below half Bun's limit on native `fetch`, alone too (`MINDGW_UPSTREAM_CLIENT=fetch`). */
export const mindgwFetchTarget = (fakeUrl: string, binary: string): Target =>
  mindgwTarget(fakeUrl, binary, { name: "mindgw-fetch", env: { MINDGW_UPSTREAM_CLIENT: "fetch" } });

/**
 * Every benchmark target, in measuring order. `binary` unset leaves out the compiled-gateway
 * targets; `apiKey` is sent to the `mindgw` target instead of a freshly created key.
 */
export function allTargets(fakeUrl: string, fakePid: number, binary?: string, apiKey?: string): Target[] {
  const targets = [directTarget(fakeUrl, fakePid), bareProxyTarget(fakeUrl)];
  if (binary) {
    targets.push(mindgwTarget(fakeUrl, binary, { name: "mindgw", ...(apiKey ? { apiKey } : {}) }));
    // The same route through a `mindgw worker` beside the fake, over the tunnel.
    targets.push(mindgwTarget(fakeUrl, binary, { name: "mindgw-worker", via: "worker" }));
    // Issue 13: `mindgw` above has metrics on and tracing unset (the defaults); these are both
    // off, and metrics on with every request traced and exported.
    targets.push(
      mindgwTarget(fakeUrl, binary, { name: "mindgw-obs-off", extraYaml: "metrics: { enabled: false }" }),
      mindgwTarget(fakeUrl, binary, { name: "mindgw-traced", traced: true }),
      // The same two with the allocator's purge on, as the binary ran before session 21.
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-obs-off-purging",
        extraYaml: "metrics: { enabled: false }",
        env: PURGING_ENV,
      }),
      mindgwTarget(fakeUrl, binary, { name: "mindgw-traced-purging", traced: true, env: PURGING_ENV }),
      // The allocator giving freed pages back (`MIMALLOC_PURGE_DELAY=100`): `mi-scavenger`'s work
      // (3–13 µs a request at c=32) and the faults that follow, a smaller RSS after load.
      mindgwTarget(fakeUrl, binary, { name: "mindgw-purging", env: PURGING_ENV }),
      // Every request traced, with the export batches docs/OBSERVABILITY.md suggests for a busy
      // gateway (2048 spans a request to the collector, the queue four times that) instead of the
      // specification's 512: the export thread pays part of its cost once a batch.
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-traced-2048",
        traced: true,
        env: { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2048", OTEL_BSP_MAX_QUEUE_SIZE: "8192" },
      }),
      // Tracing configured the same way, nothing sampled: what a traced process costs apart from
      // its spans (no span written, no batch, no export thread, no `traceparent` sent on).
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-always-off",
        traced: true,
        env: { OTEL_TRACES_SAMPLER: "always_off" },
      }),
      // Issue 15: every request shadowed to a fake of its own; the cap is set above the load so
      // no copy is shed and the shadow's own work is all counted.
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-shadow",
        shadow: true,
        extraYaml: "shadow: { max_concurrent: 1024 }",
      }),
      // The same with every copy on the event loop (session 3), and every copy from the shadow
      // thread (a Worker), which since session 5 is also the default above.
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-shadow-loop",
        shadow: true,
        extraYaml: "shadow: { max_concurrent: 1024 }",
        env: { MINDGW_SHADOW_THREAD: "0" },
      }),
      mindgwTarget(fakeUrl, binary, {
        name: "mindgw-shadow-thread",
        shadow: true,
        extraYaml: "shadow: { max_concurrent: 1024 }",
        env: { MINDGW_SHADOW_THREAD: "1" },
      }),
      // The same on the default cap (16 copies in flight): what shedding under load does.
      mindgwTarget(fakeUrl, binary, { name: "mindgw-shadow-default-cap", shadow: true }),
      // Every plain-http upstream call on the lean HTTP/1.1 client, not only past Bun's fetch limit.
      mindgwLeanTarget(fakeUrl, binary),
      // Calls made alone on `fetch` too (the default before session 5).
      mindgwFetchTarget(fakeUrl, binary),
      // `auto`, the default from session 5 to 12: the lean client for calls made alone and streams.
      mindgwTarget(fakeUrl, binary, { name: "mindgw-auto", env: { MINDGW_UPSTREAM_CLIENT: "auto" } }),
      // A non-stream call under load on the lean client's thread instead of `fetch` (opt-in).
      mindgwTarget(fakeUrl, binary, { name: "mindgw-thread", env: { MINDGW_UPSTREAM_CLIENT: "thread" } }),
    );
  }
  // Issues 3 and 4: what auth+limits and audit cost, in library form, on vs off.
  targets.push(
    embeddedTarget(fakeUrl, "embedded-auth-off", { auth: "off", audit: "on" }),
    embeddedTarget(fakeUrl, "embedded-auth-on", { auth: "on", audit: "on" }),
    embeddedTarget(fakeUrl, "embedded-audit-off", { auth: "on", audit: "off" }),
    embeddedTarget(fakeUrl, "embedded-audit-on", { auth: "on", audit: "on" }),
  );
  return targets;
}
