import type { Command } from "commander";
import { plainAdvertiseWarning } from "../config/advertise-url-warning.ts";
import { baseUrlWarnings } from "../config/base-url-warnings.ts";
import { ConfigError, firstProblems } from "../config/config-error.ts";
import { type Config, configSchema } from "../config/config-schema.ts";
import { ignoredWeightWarnings } from "../config/ignored-weight-warnings.ts";
import { metricsListenIgnored } from "../config/metrics-config.ts";
import { redactConfig } from "../config/redact-config.ts";
import { retentionWarnings } from "../config/retention-warnings.ts";
import { withUnits } from "../config/unit-fields.ts";
import { loadYaml, stringifyYaml } from "../config/yaml-text.ts";
import { escapedC1, printable } from "../core/printable.ts";
import { streamSocketWarning } from "../gateway/stream-socket-idle.ts";
import { ModelIndex } from "../models/model-index.ts";
import { loadCatalogueFor } from "../pricing/catalogue-on-demand.ts";
import { unpricedWarnings } from "../pricing/model-prices.ts";
import { missingCredentials, missingCredentialsWarning } from "../providers/missing-credentials.ts";
import { type ResolvedConfig, resolveConfig } from "./resolve-config.ts";

export function registerConfig(program: Command): void {
  const config = program.command("config").description("work with the config file");
  config
    .command("check")
    .description("validate the config and print it resolved (valid input again), with secrets redacted")
    .option("-c, --config <file>", "config file (default: $MINDGW_CONFIG, else the embedded defaults)")
    .action(async (options: { config?: string }) => {
      const { config: resolved, path, extensions, warnings } = await resolvedOrWarned(options.config);
      await Promise.all([loadCatalogueFor(resolved.providers), loadYaml()]);
      // Names are printed as written, and may hold escape sequences: shown escaped, never run.
      // The YAML printer double-quotes a string holding a control character and escapes C0 there,
      // but not DEL or C1 (escapedC1: read back the same); the comments and warnings, printable().
      const yaml = escapedC1(stringifyYaml(withUnits(configSchema, redactConfig(resolved))));
      process.stdout.write(`# ${printable(path ?? "embedded defaults")}: valid\n${yaml}`);
      // Not in the config printed, and never checked: said, so that a misspelt setting under one is seen.
      if (extensions.length > 0)
        process.stdout.write(`# read for anchors only: ${extensions.map(printable).join(", ")}\n`);
      process.stdout.write(modelPrecedence(resolved));
      // Valid, but the file says what it may not mean: a tag read as no tag (`!env KEY` is "KEY").
      writeWarnings(warnings);
      // Valid, but a model nothing prices costs $0: a budget never binds on it.
      for (const warning of unpricedWarnings(resolved)) process.stderr.write(`${printable(warning)}\n`);
      // Valid, but a cloud provider whose credentials cannot be found answers 502 to every call.
      for (const found of missingCredentials(resolved))
        process.stderr.write(`${printable(missingCredentialsWarning(found))}\n`);
      // Valid, but a tenant's requests and tokens count only the part of its period still audited.
      for (const warning of retentionWarnings(resolved))
        process.stderr.write(`warning: ${printable(warning)}\n`);
      // Valid, but an anthropic base_url ending in /v1 sends every call to …/v1/v1/messages.
      for (const warning of baseUrlWarnings(resolved))
        process.stderr.write(`warning: ${printable(warning)}\n`);
      // Valid, but the cluster's secret goes to this node over plain http off the host.
      const plainAdvertise = plainAdvertiseWarning(resolved);
      if (plainAdvertise) process.stderr.write(`warning: ${printable(plainAdvertise)}\n`);
      // Valid, but a weight on a model that is not weighted changes nothing.
      for (const warning of ignoredWeightWarnings(resolved))
        process.stderr.write(`warning: ${printable(warning)}\n`);
      // Valid, but a listener for metrics that are off never opens.
      const ignored = metricsListenIgnored(resolved.metrics);
      if (ignored) process.stderr.write(`warning: ${printable(ignored)}\n`);
      // Valid, but a stream may wait on its upstream longer than its connection may stay quiet.
      const quiet = streamSocketWarning(resolved);
      if (quiet) process.stderr.write(`${quiet}\n`);
    });
}

/**
 * The YAML library's warnings, on stderr: the first ones only, as problems are (a file of a
 * thousand `!tag`s would say a thousand lines).
 */
function writeWarnings(warnings: readonly string[]): void {
  for (const warning of firstProblems(warnings, "warning"))
    process.stderr.write(`warning: ${printable(warning)}\n`);
}

/**
 * The config to check; when it is refused, the YAML warnings are said before its problems (run-cli.ts
 * prints those): a tag read as no tag is often why (`port: !env PORT` is the word "PORT").
 */
async function resolvedOrWarned(file: string | undefined): Promise<ResolvedConfig> {
  try {
    return await resolveConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) writeWarnings(error.warnings);
    throw error;
  }
}

/**
 * How client model names find their entry, as YAML comments after the config: exact names and
 * aliases first, then globs from the most specific; the first match wins.
 */
function modelPrecedence(config: Config): string {
  const index = new ModelIndex<null>();
  for (const model of config.models) index.add(model.name, model.aliases, null);
  const lines = index
    .precedence()
    .map(
      ({ pattern, entry }, i) =>
        `#   ${i + 1}. ${printable(pattern)}${pattern === entry ? "" : ` -> ${printable(entry)}`}`,
    );
  return lines.length === 0
    ? ""
    : `# model names, in the order a request's model is matched:\n${lines.join("\n")}\n`;
}
