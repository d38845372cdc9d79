import type { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };

export const VERSION: string = packageJson.version;

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print the mindgw version")
    .action(() => {
      process.stdout.write(`mindgw ${VERSION} (bun ${Bun.version})\n`);
    });
}
