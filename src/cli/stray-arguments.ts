import { existsSync } from "node:fs";
import type { Command } from "commander";
import { printable } from "../core/printable.ts";
import { UsageError } from "./exit-code.ts";

/**
 * Refuses arguments past those `command` takes, saying what was meant. Commander's own refusal
 * ("too many arguments for 'list'. Expected 0 arguments but got 1: config.yaml.") names neither the
 * command as typed nor -c, and the config given without -c is what a stray argument most often is.
 * Every command lets excess arguments through to its action (run-cli.ts) so this says it, once.
 */
export function refuseStrayArguments(command: Command): void {
  const declared = command.registeredArguments;
  if (declared.at(-1)?.variadic) return;
  const given = command.args.map(printable);
  const stray = given.slice(declared.length);
  if (stray.length === 0) return;
  const name = commandPath(command);
  const [only] = stray;
  if (
    only !== undefined &&
    stray.length === 1 &&
    takesConfig(command) &&
    !configGiven(command) &&
    readsAsConfig(command.args.at(-1) ?? "")
  ) {
    const kept = given.slice(0, declared.length);
    throw new UsageError(`${name} takes its config with -c: mindgw ${[name, ...kept, "-c", only].join(" ")}`);
  }
  const takes =
    declared.length === 0
      ? "no arguments"
      : `${declared.length} argument${declared.length === 1 ? "" : "s"}, ${declared.map((a) => `<${a.name()}>`).join(" ")}`;
  throw new UsageError(`${name} takes ${takes} (got ${given.join(", ")}): see mindgw ${name} --help`);
}

/**
 * Refuses a config given to a command of commands (`mindgw config gw.yaml`, `mindgw keys gw.yaml`),
 * saying the command that takes it: commander's refusal ("unknown command 'gw.yaml'") read as if
 * the file were a misspelt command. `rest` is what followed the command's name; an argument that is
 * no config's name is left to commander, its "Did you mean" included. Run before `group` reads its
 * arguments (a preSubcommand hook), so before commander refuses it.
 */
export function refuseConfigForCommands(group: Command, rest: readonly string[]): void {
  const [first] = rest;
  if (group.commands.length === 0 || first === undefined || first.startsWith("-")) return;
  // `help` is commander's own command of every group, in no `commands` list.
  const named = first === "help" || group.commands.some((command) => command.name() === first);
  if (named || !readsAsConfig(first)) return;
  const takers = group.commands.filter(takesConfig).map((command) => command.name());
  if (takers.length === 0) return;
  const name = commandPath(group);
  const file = printable(first);
  const meant =
    takers.length === 1
      ? `mindgw ${name} ${takers[0]} -c ${file}`
      : `mindgw ${name} <command> -c ${file} (commands: ${takers.join(", ")})`;
  throw new UsageError(`${name} takes its config with -c, after a command: ${meant}`);
}

/** `keys list`: the command as typed after `mindgw`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

function takesConfig(command: Command): boolean {
  return command.options.some((option) => option.short === "-c");
}

/** Whether `-c` was given: a second file is then no config given without it (`keys list -c a.yaml b.yaml`). */
function configGiven(command: Command): boolean {
  const option = command.options.find((candidate) => candidate.short === "-c");
  return option !== undefined && command.getOptionValue(option.attributeName()) !== undefined;
}

/** A config file's name, or a file that is there: an operator's `mindgw keys list gw.yaml`. */
function readsAsConfig(argument: string): boolean {
  return /\.(ya?ml|json)$/i.test(argument) || existsSync(argument);
}
