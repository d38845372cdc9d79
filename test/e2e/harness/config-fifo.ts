import { closeSync, constants, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { MINDGW } from "./binary.ts";
import { ProcessOutput } from "./process-output.ts";
import { waitFor } from "./wait-for.ts";

/**
 * A FIFO in place of a gateway's config file. A gateway started on it waits in its config read
 * until the test hands it the text: so the test knows where the start is (reading its config,
 * nothing else started yet) and can act there — send a signal, edit the file — before it goes on.
 */
export function makeConfigFifo(path: string): void {
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo ${path}: ${made.stderr.toString()}`);
}

/**
 * Waits (bounded) until a gateway opens the FIFO at `path` to read its config; returns what
 * hands it the text: its read then ends, and the start goes on. Before the read ends, a file of the
 * same text takes the FIFO's place, so what reads the path later (the config watch) finds a file.
 */
export async function configRead(path: string): Promise<(text: string) => void> {
  // A writer's non-blocking open fails (ENXIO) until a reader has the FIFO open.
  const fifo = await waitFor("the gateway to read its config", () => {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
  });
  return (text) => {
    writeSync(fifo, text);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    closeSync(fifo);
  };
}

/** A `mindgw serve` started on a config FIFO in `dir`, not waited for (configRead hands it its text). */
export interface ServeOnFifo {
  readonly path: string;
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly stdout: ProcessOutput;
  readonly stderr: ProcessOutput;
}

/**
 * Starts `mindgw serve -c <dir>/mindgw.yaml` on a FIFO, on loopback and a port of the system's
 * choosing: the one gateway the suite starts outside the gateway fixture, since the fixture waits
 * for a gateway that is up and this one is caught in its start. The caller kills it.
 */
export function serveOnFifo(dir: string): ServeOnFifo {
  const path = join(dir, "mindgw.yaml");
  makeConfigFifo(path);
  const proc = Bun.spawn([MINDGW, "serve", "-c", path, "--host", "127.0.0.1", "--port", "0"], {
    cwd: dir,
    env: childEnv(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { path, proc, stdout: new ProcessOutput(proc.stdout), stderr: new ProcessOutput(proc.stderr) };
}
