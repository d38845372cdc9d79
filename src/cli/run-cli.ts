import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config-error.ts";
import { messageOf } from "../core/describe-error.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { SettingListenError } from "../core/listen-failure.ts";
import { printable } from "../core/printable.ts";
import { StoragePathError } from "../storage/sqlite/cannot-open.ts";
import { GatewayCallError } from "./admin-fetch.ts";
import { type ClosedOutputPolicy, onClosedOutput } from "./closed-output.ts";
import { EXIT, UsageError } from "./exit-code.ts";
import { serverLogger } from "./server-logger.ts";
import { refuseConfigForCommands, refuseStrayArguments, refuseTargetFlagsFirst } from "./stray-arguments.ts";
import { versionLine } from "./version.ts";

/** Commands that keep running for their work, not their output (closed-output.ts). */
const SERVERS = new Set(["serve", "worker"]);

/**
 * Each subcommand's registration (its options and action), by name, in `--help`'s order. Imported
 * when it is run or listed: a start reads only the code of the subcommand it runs, so `serve`
 * neither reads nor evaluates the others' (~0.8 MB of idle RSS: docs/BENCHMARKS-HISTORY.md,
 * session 46).
 */
const SUBCOMMANDS: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
  serve: async () => (await import("./serve.ts")).registerServe,
  worker: async () => (await import("./worker.ts")).registerWorker,
  keys: async () => (await import("./keys/keys-command.ts")).registerKeys,
  audit: async () => (await import("./audit-command.ts")).registerAudit,
  tail: async () => (await import("./tail.ts")).registerTail,
  tenants: async () => (await import("./tenants-command.ts")).registerTenants,
  shadow: async () => (await import("./shadow-command.ts")).registerShadow,
  config: async () => (await import("./config-command.ts")).registerConfig,
  models: async () => (await import("./models-command.ts")).registerModels,
  version: async () => (await import("./version.ts")).registerVersion,
};

/**
 * The program with `only` subcommand, where argv names one (`mindgw serve …`); else with every
 * subcommand and its options, as `--help` shows them (and the docs' test reads them).
 */
export async function cliProgram(only?: string): Promise<Command> {
  const program = new Command("mindgw")
    .description("LLM inference gateway: OpenAI and Anthropic APIs, providers and outbound workers")
    .version(versionLine(), "-v, --version")
    .exitOverride()
    // Set before the subcommands are made, which copy it: commander's refusals in mindgw's words,
    // `mindgw: unknown option '--x'` as every other refusal (it said `error: …`), and arguments
    // past those a command takes let through to be refused by refuseStrayArguments, which says
    // what was meant (commander's "too many arguments" named no -c).
    .configureOutput({ outputError: (text, write) => write(`mindgw: ${text.replace(/^error: /, "")}`) })
    .allowExcessArguments()
    .showHelpAfterError("(run with --help for usage)");
  program.hook("preAction", (_program, command) => refuseStrayArguments(command));
  program.hook("preSubcommand", (parent, command) => refuseConfigForCommands(command, parent.args.slice(1)));
  const names = only !== undefined && Object.hasOwn(SUBCOMMANDS, only) ? [only] : Object.keys(SUBCOMMANDS);
  const registers = await Promise.all(names.map((name) => SUBCOMMANDS[name]?.()));
  for (const register of registers) register?.(program);
  return program;
}

/** Parses argv and runs one subcommand; returns the exit code instead of exiting. */
export async function runCli(argv: readonly string[]): Promise<number> {
  // argv[2]: the subcommand, where one is named first (`mindgw serve`); else a flag or nothing.
  const program = await cliProgram(argv[2]);
  for (const command of program.commands) command.exitOverride();
  // Help, the version and a usage error are output too: `mindgw --help | head -1` ends with 0,
  // where a reader gone before the text was written ended it with EPIPE's stack trace and exit 1.
  let policy: ClosedOutputPolicy = "end";
  onClosedOutput(() => policy);
  program.hook("preAction", (_program, command) => {
    policy = SERVERS.has(command.name()) ? "ignore" : "end";
  });
  try {
    // Before commander, which says "unknown option '-c'" as if no command took one.
    refuseTargetFlagsFirst(program, argv.slice(2));
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
    // The file whose settings are refused, where the problems name their fields alone.
    const file = error.file === undefined ? "" : ` ${printable(error.file)}`;
    process.stderr.write(
      `invalid config:${file}\n${error.problems.map((p) => `  ${printable(p)}`).join("\n")}\n`,
    );
    return EXIT.usage;
  }
  if (error instanceof GatewayCallError) {
    say(error.message);
    return error.exitCode;
  }
  if (error instanceof GatewayError && error.status < 500) {
    say(error.message);
    return EXIT.usage;
  }
  // A listener of a setting's own on a host that is no address here: the setting is to fix, as
  // server.host's is (serve.ts).
  if (error instanceof SettingListenError && error.failure.badHost) {
    say(error.message);
    return EXIT.usage;
  }
  // A storage.path whose file cannot be made or opened (cannot-open.ts): the setting is to fix.
  if (error instanceof UsageError || error instanceof StoragePathError) {
    say(error.message);
    return EXIT.usage;
  }
  say(messageOf(error));
  return EXIT.failure;
}

/**
 * Why a command ended: a server's (`serve`, `worker`) once its logger is made (a port in use) as
 * an error line of its log, in its format; else one plain line on stderr.
 */
function say(why: string): void {
  const logger = serverLogger();
  if (logger) logger.error(why);
  else process.stderr.write(`mindgw: ${why}\n`);
}
