import type { Command } from "commander";
import { RELEASE } from "../core/build-commit.ts";

/** What `mindgw version` prints, and a worker registers as its version. */
export const VERSION = RELEASE;

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print the mindgw version")
    .action(() => {
      process.stdout.write(`mindgw ${VERSION} (bun ${Bun.version})\n`);
    });
}
