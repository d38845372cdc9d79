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
 * Refuses a config given to a command of commands (`mindgw config gw.yaml`, `mindgw keys gw.yaml`,
 * or with -c before the command: `mindgw config -c gw.yaml`), saying the command that takes it:
 * commander's refusals ("unknown command 'gw.yaml'", "unknown option '-c'") read as if the file
 * were a misspelt command, or as if no command took -c. `rest` is what followed the command's name;
 * an argument that is no config's name is left to commander, its "Did you mean" included. Run before
 * `group` reads its arguments (a preSubcommand hook), so before commander refuses it.
 */
export function refuseConfigForCommands(group: Command, rest: readonly string[]): void {
  if (group.commands.length === 0 || takesConfig(group)) return;
  const takers = group.commands.filter(takesConfig);
  if (takers.length === 0) return;
  const flagged = configFlagIn(rest);
  const [first] = rest;
  let file: string;
  let after: readonly string[] = [];
  // `keys -c list`: the file left out, the command given.
  if (flagged !== undefined && names(group, flagged.file))
    ({ file, after } = { file: "<file>", after: rest.slice(1) });
  else if (flagged !== undefined) ({ file, after } = flagged);
  else if (first !== undefined && !first.startsWith("-") && !names(group, first) && readsAsConfig(first))
    file = first;
  else return;
  const name = commandPath(group);
  const [next] = after;
  const meant =
    next !== undefined && takers.some((command) => command.name() === next)
      ? `mindgw ${[name, ...withoutSecrets(after), "-c", printable(file)].join(" ")}`
      : takers.length === 1
        ? `mindgw ${name} ${takers[0]?.name()} -c ${printable(file)}`
        : `mindgw ${name} <command> -c ${printable(file)} (commands: ${takers.map((c) => c.name()).join(", ")})`;
  throw new UsageError(`${name} takes its config with -c, after a command: ${meant}`);
}

/**
 * The flags that name a command's target, by how a message shows their value: -c's as given (a
 * file's name), a gateway's URL and an admin key never (either may hold the key).
 */
const TARGET_FLAGS: ReadonlyMap<string, string | undefined> = new Map([
  ["-c", undefined],
  ["--config", undefined],
  ["--gateway", "<url>"],
  ["--admin-key", "<key>"],
]);

/** The target flag at `words[at]`, its value, and how many words they take; undefined for another word. */
function targetFlagAt(words: readonly string[], at: number) {
  const word = words[at] ?? "";
  if (TARGET_FLAGS.has(word)) return { flag: word, value: words[at + 1], taken: 2 };
  const joined = /^(--[a-z-]+)=(.*)$/s.exec(word);
  if (joined?.[1] !== undefined && TARGET_FLAGS.has(joined[1]))
    return { flag: joined[1], value: joined[2], taken: 1 };
  if (/^-c./s.test(word) && !word.startsWith("--")) return { flag: "-c", value: word.slice(2), taken: 1 };
  return undefined;
}

/**
 * The target flags first in `words` (`-c FILE`, `-cFILE`, `--config=FILE`, `--gateway URL`,
 * `--admin-key KEY`), each as a message shows it (`-c gw.yaml`, `--gateway <url>`), and what came after.
 */
function leadingTargetFlags(words: readonly string[]): {
  flags: [string, string][];
  after: readonly string[];
} {
  const flags: [string, string][] = [];
  let at = 0;
  for (let found = targetFlagAt(words, at); found !== undefined; found = targetFlagAt(words, at)) {
    flags.push([found.flag, TARGET_FLAGS.get(found.flag) ?? printable(found.value ?? "<file>")]);
    at += found.taken;
  }
  return { flags, after: words.slice(at) };
}

/**
 * Whether `command` takes `flag` (`-c`, `--config`, `--gateway`…). A hidden option is taken only to
 * be refused in the command's words (audit import's `--gateway`): never suggested.
 */
const takesFlag = (command: Command, flag: string) =>
  command.options.some((option) => !option.hidden && (option.short === flag || option.long === flag));

/**
 * Refuses a target flag given before the command (`mindgw -c gw.yaml keys list`), saying where it
 * goes: commander's "unknown option '-c'" read as if no command took one. `words`: the arguments
 * after `mindgw`. Left to commander where no command follows or the one named takes no such flag
 * (`mindgw --gateway URL serve`). What followed the command is kept, but a secret flag's value.
 */
export function refuseTargetFlagsFirst(program: Command, words: readonly string[]): void {
  const { flags, after } = leadingTargetFlags(words);
  const group = program.commands.find((command) => command.name() === after[0]);
  if (flags.length === 0 || group === undefined) return;
  const command = group.commands.find((sub) => sub.name() === after[1]) ?? group;
  const takesAll = (taker: Command) => flags.every(([flag]) => takesFlag(taker, flag));
  const takers = command.commands.filter(takesAll);
  if (command.commands.length === 0 ? !takesAll(command) : takers.length === 0) return;
  const moved = flags.map((pair) => pair.join(" ")).join(" ");
  const meant =
    command === group && takers.length > 0
      ? `mindgw ${group.name()} <command> ${moved} (commands: ${takers.map((c) => c.name()).join(", ")})`
      : `mindgw ${[...withoutSecrets(after), moved].join(" ")}`;
  const named = flags.map(([flag]) => flag).filter((flag, i, all) => all.indexOf(flag) === i);
  const goes = named.length === 1 ? "goes" : "go";
  throw new UsageError(`${named.join(" and ")} ${goes} after the command: ${meant}`);
}

/** The flags whose value may hold a secret (a URL may hold the key), by what is shown in its place. */
const SECRET_FLAGS: ReadonlyMap<string, string> = new Map([
  ["--admin-key", "<key>"],
  ["--gateway", "<url>"],
  ["--token", "<key>"],
  ["--upstream-key", "<key>"],
]);

/** `words` as a message shows them back: printable, a secret flag's value in words (`<key>`). */
function withoutSecrets(words: readonly string[]): string[] {
  return words.map((word, i) => {
    const hidden = SECRET_FLAGS.get(words[i - 1] ?? "");
    if (hidden !== undefined) return hidden;
    const joined = /^(--[a-z-]+)=/.exec(word)?.[1] ?? "";
    const shown = SECRET_FLAGS.get(joined);
    return shown === undefined ? printable(word) : `${joined}=${shown}`;
  });
}

/** Whether `word` names one of `group`'s commands (`help` is commander's own, in no list). */
function names(group: Command, word: string): boolean {
  return word === "help" || group.commands.some((command) => command.name() === word);
}

/**
 * `-c FILE`, `-cFILE`, `--config FILE` or `--config=FILE` first in `rest`: the file (`<file>`
 * when none follows) and what came after it.
 */
function configFlagIn(rest: readonly string[]): { file: string; after: readonly string[] } | undefined {
  const [first] = rest;
  if (first === "-c" || first === "--config") return { file: rest[1] ?? "<file>", after: rest.slice(2) };
  if (first?.startsWith("--config=")) return { file: first.slice("--config=".length), after: rest.slice(1) };
  if (first?.startsWith("-c") && first.length > 2) return { file: first.slice(2), after: rest.slice(1) };
  return undefined;
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
