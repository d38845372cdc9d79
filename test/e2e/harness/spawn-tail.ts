import type { Subprocess } from "bun";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt, MINDGW } from "./binary.ts";
import { ProcessOutput } from "./process-output.ts";
import { START_BOUND_MS } from "./start-bound.ts";
import { waitFor } from "./wait-for.ts";

/** One NDJSON line of `mindgw tail --json`: a gateway event as the gateway sent it. */
export interface TailLine {
  type: string;
  requestId?: string;
  keyName?: string | null;
  model?: string | null;
  record?: { requestId: string; keyName: string | null; model: string | null; status: number; node?: string };
  /** A worker event's summary of the worker. */
  worker?: { name: string; inFlight: number; draining?: boolean };
  /** `worker.lost`: whether the worker left once its drain was over, not lost. */
  drained?: boolean;
}

/** The request a line is about (started and finished events carry it in different places). */
export const requestIdOf = (line: TailLine): string => line.record?.requestId ?? line.requestId ?? "";

/** A running `mindgw tail` with stdout a pipe (so NDJSON), its output collected. */
export interface TailProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly stdout: ProcessOutput;
  readonly stderr: ProcessOutput;
  /** Everything printed so far, parsed. */
  lines(): TailLine[];
  /** Waits (bounded) for the `request.finished` line of `requestId`. */
  finished(requestId: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/** Starts `dist/mindgw tail ARGS`; MINDGW_* from this process are cleared, `env` goes on top. */
export function spawnTail(args: readonly string[], env: Record<string, string> = {}): TailProcess {
  assertBuilt();
  const proc = Bun.spawn([MINDGW, "tail", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv({ MINDGW_GATEWAY: "", MINDGW_ADMIN_KEY: "", ...env }),
  });
  const stdout = new ProcessOutput(proc.stdout);
  const lines = () =>
    stdout.all
      .split("\n")
      .filter(Boolean)
      .map((text) => JSON.parse(text) as TailLine);
  return {
    proc,
    stdout,
    stderr: new ProcessOutput(proc.stderr),
    lines,
    finished: (requestId, timeoutMs = 10_000) =>
      waitFor(
        `the finished line of ${requestId}`,
        () => lines().some((l) => l.type === "request.finished" && requestIdOf(l) === requestId),
        timeoutMs,
      ).then(() => undefined),
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const exited = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => null)]);
      if (exited === null) proc.kill("SIGKILL");
    },
  };
}

/**
 * The tail prints nothing until traffic it selects flows, so `probe` (a request the tail
 * selects, returning its request id) is sent until one shows: from then on the tail is
 * subscribed. Returns the probes' ids, so tests can leave them out. Any probe's line counts: one
 * printed after the second it was looked for (a loaded machine) still shows the tail subscribed,
 * where looking for the latest alone let every probe miss. Bounded as a start: the tail's own.
 */
export async function untilListening(
  tail: TailProcess,
  probe: () => Promise<string>,
  timeoutMs = START_BOUND_MS,
): Promise<Set<string>> {
  const probes = new Set<string>();
  const printed = () =>
    tail.lines().some((line) => line.type === "request.finished" && probes.has(requestIdOf(line)));
  await waitFor(
    "the tail to print a probe",
    async () => {
      probes.add(await probe());
      return waitFor("a probe's finished line", printed, 1000).then(
        () => true,
        () => false,
      );
    },
    timeoutMs,
    0,
  );
  return probes;
}
