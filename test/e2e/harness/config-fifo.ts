import { closeSync, constants, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
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
