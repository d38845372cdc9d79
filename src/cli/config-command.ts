import type { Command } from "commander";
import { stringify } from "yaml";
import { redactConfig } from "../config/redact-config.ts";
import { resolveConfig } from "./resolve-config.ts";

export function registerConfig(program: Command): void {
  const config = program.command("config").description("work with the config file");
  config
    .command("check")
    .description("validate the config and print it resolved, with secrets redacted")
    .option("-c, --config <file>", "config file (default: $MINDGW_CONFIG, else the embedded defaults)")
    .action(async (options: { config?: string }) => {
      const { config: resolved, path } = await resolveConfig(options.config);
      process.stdout.write(`# ${path ?? "embedded defaults"}: valid\n${stringify(redactConfig(resolved))}`);
    });
}
