import type { Command } from "commander";
import { RELEASE } from "../core/build-commit.ts";

/** What `mindgw version` prints, and a worker registers as its version. */
export const VERSION = RELEASE;

/** What `mindgw version`, `-v` and `--version` print alike: the release and the Bun it runs on. */
export const versionLine = (): string => `mindgw ${VERSION} (bun ${Bun.version})`;

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print the mindgw version")
    .action(() => {
      process.stdout.write(`${versionLine()}\n`);
    });
}
