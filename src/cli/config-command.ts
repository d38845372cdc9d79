import type { Command } from "commander";
import { stringify } from "yaml";
import { redactConfig } from "../config/redact-config.ts";
import { unpricedWarnings } from "../pricing/model-prices.ts";
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
      // Valid, but a model nothing prices costs $0: a budget never binds on it.
      for (const warning of unpricedWarnings(resolved)) process.stderr.write(`${warning}\n`);
    });
}
