import { join } from "node:path";
import type { Subprocess } from "bun";
import { decodeSse } from "../../../src/core/sse.ts";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt, MINDGW } from "./binary.ts";
import { ProcessOutput } from "./process-output.ts";
import { START_BOUND_MS } from "./start-bound.ts";
import { waitFor } from "./wait-for.ts";

/** A child process with its output collected, stopped by its own handle only. */
export interface ChildProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly stdout: ProcessOutput;
  readonly stderr: ProcessOutput;
  /** Sends a signal (SIGCONT first, so a stopped child can act on it) and waits, bounded. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface WorkerProcess extends ChildProcess {
  readonly name: string;
}

export interface WorkerOptions {
  /** The gateway's base URL (http://…); the worker maps it to ws:// itself. */
  gateway: string;
  token: string;
  /** The model server's base URL, with /v1. */
  upstream: string;
  name: string;
  models?: string[];
  concurrency?: number;
  labels?: Record<string, string>;
  /** Further flags (`--log-format json`) and environment (OTEL_*) for the worker process. */
  args?: readonly string[];
  env?: Record<string, string>;
}

function wrap(proc: Subprocess<"ignore", "pipe", "pipe">): ChildProcess {
  const stdout = new ProcessOutput(proc.stdout);
  const stderr = new ProcessOutput(proc.stderr);
  return {
    proc,
    stdout,
    stderr,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGCONT");
        proc.kill(signal);
      }
      const exited = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => null)]);
      if (exited === null) proc.kill("SIGKILL");
      await Promise.race([Promise.all([stdout.done, stderr.done]), Bun.sleep(1000)]);
      return exited;
    },
  };
}

/** Starts `dist/mindgw worker` dialling out to `gateway`. It registers on its own. */
export function spawnWorker(options: WorkerOptions): WorkerProcess {
  assertBuilt();
  const args = [
    MINDGW,
    "worker",
    "--connect",
    options.gateway,
    "--token",
    options.token,
    "--upstream",
    options.upstream,
    "--name",
    options.name,
    "--concurrency",
    String(options.concurrency ?? 8),
  ];
  if (options.models) args.push("--models", options.models.join(","));
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push("--label", `${k}=${v}`);
  args.push(...(options.args ?? []));
  const proc = Bun.spawn(args, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv(options.env),
  });
  return { ...wrap(proc), name: options.name };
}

/** A request as the fake recorded it (header names in lower case). */
export interface FakeRequest {
  id: number;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  outcome: string | null;
}

export interface FakeProcess extends ChildProcess {
  /** `http://127.0.0.1:PORT` (no /v1). */
  readonly url: string;
  /** What the fake recorded (`GET /_fake/requests`). */
  requests(): Promise<FakeRequest[]>;
}

/** The fake upstream as its own process (`bun test/fake-upstream/main.ts`). */
export async function spawnFakeUpstream(): Promise<FakeProcess> {
  const main = join(import.meta.dir, "../../fake-upstream/main.ts");
  const child = wrap(
    Bun.spawn(["bun", main], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: childEnv() }),
  );
  const port = await waitFor(
    "the fake upstream to listen",
    () => {
      if (child.proc.exitCode !== null) throw new Error(`fake upstream exited:\n${child.stderr.all}`);
      return child.stdout.match(/\{"port":(\d+)\}/)?.[1];
    },
    START_BOUND_MS,
  ).catch(async (error: unknown) => {
    await child.stop("SIGKILL");
    throw error;
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    ...child,
    url,
    async requests() {
      const res = await fetch(`${url}/_fake/requests`, { signal: AbortSignal.timeout(5000) });
      return (await res.json()) as FakeRequest[];
    },
  };
}

/** A worker as `/admin/api/workers` lists it. */
export interface ListedWorker {
  id: string;
  name: string;
  /** Its key's tenant (`default`: the platform's, serving every tenant). */
  tenant: string;
  models: string[];
  inFlight: number;
  capacity: number;
  labels: Record<string, string>;
  lastHeartbeatAt: number;
  /** It said it drains: no new request goes to it, its models still exist. */
  draining: boolean;
  /** Out of rotation until then (epoch ms): its upstream kept failing. */
  ejectedUntil?: number;
  /** Its models that the config routes elsewhere. */
  shadowedByConfig?: string[];
}

export async function listWorkers(gatewayUrl: string, adminKey: string): Promise<ListedWorker[]> {
  const res = await fetch(`${gatewayUrl}/admin/api/workers`, {
    headers: { authorization: `Bearer ${adminKey}` },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`/admin/api/workers answered ${res.status}`);
  return ((await res.json()) as { workers: ListedWorker[] }).workers;
}

/** Waits until the connected worker names are exactly `names` (sorted compare). */
export function waitForWorkers(
  gatewayUrl: string,
  adminKey: string,
  names: string[],
  timeoutMs = START_BOUND_MS,
): Promise<ListedWorker[]> {
  const want = [...names].sort().join(",");
  return waitFor(
    `workers [${want}]`,
    async () => {
      const listed = await listWorkers(gatewayUrl, adminKey).catch(() => undefined);
      if (!listed) return undefined;
      return listed.map((w) => w.name).join(",") === want ? listed : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Creates a key through `POST /admin/api/keys`; returns the plain key. */
export async function createKey(
  gatewayUrl: string,
  adminKey: string,
  input: { name: string; role: "admin" | "user" | "worker"; models?: string[]; rpm?: number },
): Promise<string> {
  const res = await fetch(`${gatewayUrl}/admin/api/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { key?: string };
  if (res.status !== 201 || !body.key) throw new Error(`key creation answered ${res.status}`);
  return body.key;
}

/** One audit row as `/admin/api/audit` returns it (the fields these tests read). */
export interface AuditRow {
  requestId: string;
  model: string | null;
  route: string | null;
  status: number;
  errorClass: string | null;
  stream: boolean;
}

/** Waits (bounded) for the audit row of `requestId`; rows are written off the request path. */
export function auditRow(gatewayUrl: string, adminKey: string, requestId: string): Promise<AuditRow> {
  return waitFor(`the audit row of ${requestId}`, async () => {
    const res = await fetch(`${gatewayUrl}/admin/api/audit?limit=1000`, {
      headers: { authorization: `Bearer ${adminKey}` },
      signal: AbortSignal.timeout(5000),
    });
    const page = (await res.json()) as { records: AuditRow[] };
    return page.records.find((r) => r.requestId === requestId);
  });
}

/** A live `/admin/api/events` subscription, collected as parsed JSON events. */
export interface EventTail {
  readonly events: { type: string; worker?: { name: string }; reason?: string }[];
  close(): void;
}

export async function tailEvents(gatewayUrl: string, adminKey: string): Promise<EventTail> {
  const controller = new AbortController();
  const res = await fetch(`${gatewayUrl}/admin/api/events`, {
    headers: { authorization: `Bearer ${adminKey}` },
    signal: controller.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`/admin/api/events answered ${res.status}`);
  const events: EventTail["events"] = [];
  void (async () => {
    for await (const event of decodeSse(res.body as ReadableStream<Uint8Array>))
      events.push(JSON.parse(event.data) as EventTail["events"][number]);
  })().catch(() => {});
  return { events, close: () => controller.abort() };
}
