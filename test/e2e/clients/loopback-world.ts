import { spawnSync } from "node:child_process";
import { childEnv, onlyPath } from "../../../src/testing/off-cloud-env.ts";
import { type FakeUpstream, startFakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { auditRecords, createKey } from "../harness/admin-api.ts";
import { ProcessOutput } from "../harness/process-output.ts";
import { type GatewayProcess, spawnGateway } from "../harness/spawn-gateway.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { waitFor } from "../harness/wait-for.ts";

/**
 * Runs inside `unshare -n` (see run-in-netns.ts): a network namespace whose only interface is
 * loopback, so a third-party client can reach the gateway and nothing else. Brings `lo` up,
 * starts the fake upstream and the compiled gateway, makes a key, runs the scenario, and writes
 * what the upstream received, what the client printed and the audit rows to $REPORT.
 */
export interface World {
  readonly fake: FakeUpstream;
  readonly gw: GatewayProcess;
  /** A user key for the client. */
  readonly key: string;
  /** A scratch directory for the client's home, config and workspace. */
  readonly dir: string;
}

/** What a client run left behind. */
export interface ClientRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Report {
  readonly client: ClientRun;
  readonly requests: unknown[];
  readonly audit: unknown[];
  readonly gatewayLog: string;
  readonly files?: Record<string, string>;
}

/**
 * The fake's dialect, and for `deepseek` and `mistral` an OpenAI-type provider under that preset
 * (the fake checks a request to a model of Mistral's name as Mistral's API does: mistral-api.ts).
 */
export type UpstreamKind = "openai" | "anthropic" | "deepseek" | "mistral";

/** What every route of a scenario's gateway also sets (`context_window`). */
export type RouteSettings = Readonly<Record<string, unknown>>;

/** What a scenario's gateway sets under `routing:` besides no retries (`stream_keepalive`). */
export type RoutingSettings = Readonly<Record<string, unknown>>;

/** The gateway config for one upstream kind: every model name the client sends routes to the fake. */
export function gatewayConfig(
  fakeUrl: string,
  kind: UpstreamKind,
  models: readonly string[],
  route: RouteSettings = {},
  routing: RoutingSettings = {},
): object {
  const provider =
    kind === "anthropic"
      ? // Standing in for Anthropic's own API, which takes its automatic caching.
        { name: "fake", type: "anthropic", base_url: fakeUrl, automatic_caching: true }
      : {
          name: "fake",
          type: "openai",
          base_url: `${fakeUrl}/v1`,
          ...(kind === "deepseek" || kind === "mistral" ? { preset: kind } : {}),
        };
  return {
    providers: [provider],
    models: models.map((name) => ({ name, routes: [{ provider: "fake", model: `up-${name}`, ...route }] })),
    routing: { retries: 0, ...routing },
    log: { level: "info" },
  };
}

/**
 * Runs `argv` to completion within `timeoutMs` (then kills it), capturing its output. Output is
 * read until the process exits, plus a short grace: a child it leaves behind may hold the pipes
 * open (the PID namespace ends such children when the scenario ends).
 */
export async function runClient(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number; stdin?: string },
): Promise<ClientRun> {
  const proc = Bun.spawn(argv, {
    cwd: options.cwd,
    // The scenario's environment alone, with the off-cloud one: a client that can call Bedrock or
    // Vertex itself (Claude Code) finds no metadata or host credentials either.
    env: childEnv(options.env, onlyPath),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 90_000);
  const stdout = new ProcessOutput(proc.stdout);
  const stderr = new ProcessOutput(proc.stderr);
  const exitCode = await proc.exited;
  clearTimeout(timer);
  await Promise.race([Promise.all([stdout.done, stderr.done]), Bun.sleep(2000)]);
  return { exitCode, stdout: stdout.all, stderr: stderr.all };
}

/** The scenario's options, passed by the outer test as JSON in $SCENARIO. */
export function scenarioOptions<T>(): T {
  return JSON.parse(process.env.SCENARIO ?? "{}") as T;
}

export async function inLoopbackWorld(
  kind: UpstreamKind,
  models: readonly string[],
  scenario: (world: World) => Promise<ClientRun & { files?: Record<string, string>; direct?: boolean }>,
  route: RouteSettings = {},
  routing: RoutingSettings = {},
): Promise<void> {
  const report = process.env.REPORT;
  if (!report) throw new Error("REPORT is not set: run this through run-in-netns.ts");
  const up = spawnSync("ip", ["link", "set", "lo", "up"], { encoding: "utf8" });
  if (up.status !== 0) throw new Error(`ip link set lo up failed: ${up.stderr}`);
  const temp = tempDir("mindgw-client-");
  const fake = await startFakeUpstream();
  let gw: GatewayProcess | undefined;
  try {
    gw = await spawnGateway({ config: gatewayConfig(fake.url, kind, models, route, routing) });
    const { key } = await createKey(gw, { name: "client" });
    const run = await scenario({ fake, gw, key, dir: temp.path });
    // Audit rows are written off the request path: wait (bounded) for one per upstream call (a
    // Responses WebSocket's upgrade has a row of its own and calls nothing); a client pointed
    // straight at the fake (`direct`, the baseline) leaves none.
    const gateway = gw;
    const audited = run.direct ? 0 : fake.requests.length;
    const audit = await waitFor(
      "the client's audit rows",
      async () => {
        const rows = await auditRecords(gateway);
        const calls = rows.filter((row) => row.keyName === "client" && row.frontDoor !== "responses_socket");
        return calls.length >= audited && rows;
      },
      10_000,
      50,
    ).catch(() => auditRecords(gateway));
    const { files, direct: _, ...client } = run;
    const out: Report = {
      client,
      requests: fake.requests.map((request) => JSON.parse(JSON.stringify(request)) as unknown),
      audit,
      gatewayLog: gw.stdout.all + gw.stderr.all,
      ...(files ? { files } : {}),
    };
    await Bun.write(report, JSON.stringify(out));
  } finally {
    await gw?.stop("SIGTERM", 10_000);
    await fake.stop();
    temp.cleanup();
  }
  process.exit(0);
}
