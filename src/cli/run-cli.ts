import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config-error.ts";
import { messageOf } from "../core/describe-error.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { printable } from "../core/printable.ts";
import { GatewayCallError } from "./admin-fetch.ts";
import { registerAudit } from "./audit-command.ts";
import { onClosedOutput } from "./closed-output.ts";
import { registerConfig } from "./config-command.ts";
import { EXIT, UsageError } from "./exit-code.ts";
import { registerKeys } from "./keys/keys-command.ts";
import { registerModels } from "./models-command.ts";
import { registerServe } from "./serve.ts";
import { registerShadow } from "./shadow-command.ts";
import { registerTail } from "./tail.ts";
import { registerTenants } from "./tenants-command.ts";
import { registerVersion, VERSION } from "./version.ts";
import { registerWorker } from "./worker.ts";

/** Commands that keep running for their work, not their output (closed-output.ts). */
const SERVERS = new Set(["serve", "worker"]);

/** Every subcommand with its options, as `--help` shows them (and the docs' test reads them). */
export function cliProgram(): Command {
  const program = new Command("mindgw")
    .description("LLM inference gateway: OpenAI and Anthropic APIs, providers and outbound workers")
    .version(VERSION, "-v, --version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  registerServe(program);
  registerWorker(program);
  registerKeys(program);
  registerAudit(program);
  registerTail(program);
  registerTenants(program);
  registerShadow(program);
  registerConfig(program);
  registerModels(program);
  registerVersion(program);
  return program;
}

/** Parses argv and runs one subcommand; returns the exit code instead of exiting. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = cliProgram();
  for (const command of program.commands) command.exitOverride();
  program.hook("preAction", (_program, command) =>
    onClosedOutput(SERVERS.has(command.name()) ? "ignore" : "end"),
  );
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help shown because a subcommand is missing (`mindgw config`) carries exit code 1: a usage error.
    const quiet = ["commander.helpDisplayed", "commander.version", "commander.help"];
    return quiet.includes(error.code) && error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    // A problem names the field as written: a key holding an escape sequence is shown, not run.
    process.stderr.write(`invalid config:\n${error.problems.map((p) => `  ${printable(p)}`).join("\n")}\n`);
    return EXIT.usage;
  }
  if (error instanceof GatewayCallError) {
    process.stderr.write(`mindgw: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof GatewayError && error.status < 500) {
    process.stderr.write(`mindgw: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`mindgw: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`mindgw: ${messageOf(error)}\n`);
  return EXIT.failure;
}
