import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { messageOf } from "../core/describe-error.ts";

/**
 * Makes `dir`, the embedder's `auditSpillDir`, where it is missing (with its missing parents,
 * readable by their owner alone: the rows it will hold may carry bodies), and refuses the start
 * where it cannot be a folder the gateway writes to. Checked at start, not at the stop that needs
 * it: a stop would find out too late, and its rows went to the working directory instead.
 * A folder already there is left as it is.
 */
export function readySpillDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw new Error("not a folder");
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new Error(
      `auditSpillDir ${dir} cannot hold the audit rows a stop may need to save: ${messageOf(error)}`,
    );
  }
}
