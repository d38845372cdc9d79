import type { Command } from "commander";

/**
 * A `mindgw …` command as the docs write it, read against the CLI's own commander definitions
 * (cli/run-cli.ts): the words that name a subcommand must name one, and each flag must be one of
 * the command it is given to. The docs' shorthand is read as they mean it: `list | show | revoke`
 * and `query|export` are alternatives (a flag after them belongs to one of them), `…` stands for
 * any subcommand, `--from/--to` names two flags, and a `#` starts a comment.
 */

/** The words of one shell line, quotes taken off; a comment, and what follows it, dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const bare = match[3];
    if (bare?.startsWith("#")) break;
    words.push(match[1] ?? match[2] ?? bare ?? "");
  }
  return words;
}

/** The lines of a shell block as the shell reads them: a `\` at a line's end joins the next. */
export const shellLines = (text: string): string[] => text.replace(/\\\n/g, " ").split("\n");

/** Each run of words that starts with `mindgw` on a shell line (after `&&`, `;` or at its start). */
export function mindgwCommands(line: string): string[][] {
  const words = shellWords(line);
  const commands: string[][] = [];
  let start = 0;
  words.forEach((word, index) => {
    if (["&&", "||", ";"].includes(word)) start = index + 1;
    else if (word === "mindgw" && index === start) commands.push(words.slice(index + 1));
  });
  return commands;
}

const sub = (command: Command, name: string) =>
  command.commands.find((child) => child.name() === name || child.aliases().includes(name));

/** `command` and every command under it: the flags a `mindgw keys -c` may mean are any of theirs. */
const within = (command: Command): Command[] => [command, ...command.commands.flatMap(within)];

const BUILT_IN = new Set(["--help", "-h"]);

/**
 * What is wrong with `mindgw <words>` against `program`: each word that names no subcommand where
 * one is expected, and each flag that none of the commands it may be given to has. Empty when the
 * command is as the CLI defines it.
 */
export function commandProblems(program: Command, words: readonly string[]): string[] {
  const problems: string[] = [];
  let commands: Command[] = [program];
  let index = 0;
  // Down the subcommands, while the commands reached have some.
  while (index < words.length && commands.some((command) => command.commands.length > 0)) {
    const word = (words[index] ?? "").replace(/\\$/, "");
    if (word.startsWith("-")) break;
    if (word === "…") {
      commands = commands.flatMap(within);
      index++;
      break;
    }
    // `query|export`, or `list | show | revoke`: the alternatives of one place.
    const names = word.split("|").filter((name) => name !== "");
    while (words[index + 1] === "|" && words[index + 2] !== undefined) {
      const next = words[index + 2] ?? "";
      if (!commands.some((command) => sub(command, next) !== undefined)) break;
      names.push(next);
      index += 2;
    }
    const found = names.map((name) => commands.map((command) => sub(command, name)).find(Boolean));
    names.forEach((name, at) => {
      if (found[at] === undefined) problems.push(`no subcommand "${name}"`);
    });
    commands = found.filter((command): command is Command => command !== undefined);
    if (commands.length === 0) return problems;
    index++;
  }
  // A command left with subcommands (`mindgw audit --from`) means one of them.
  if (commands.some((command) => command.commands.length > 0)) commands = commands.flatMap(within);
  for (const word of words.slice(index)) {
    if (word === "|") break; // a pipe: what follows is another program's
    if (!/^--?[a-z]/i.test(word)) continue;
    for (const flag of word.replace(/\\$/, "").split("/")) {
      const name = flag.split("=")[0] ?? flag;
      const known =
        BUILT_IN.has(name) ||
        commands.some((command) =>
          command.options.some((option) => option.long === name || option.short === name),
        );
      if (!known) problems.push(`no flag ${name} for ${commands.map((command) => command.name()).join("|")}`);
    }
  }
  return problems;
}

/**
 * Why the CLI's own parser refuses `mindgw <words>` (an unknown flag, a missing or extra argument,
 * a value a flag's parser refuses), or undefined when it takes it; nothing is run: every action is
 * replaced. Only for a whole command, not the docs' shorthand (`list | show`), which no shell runs.
 */
export async function cliRefusal(program: Command, words: readonly string[]): Promise<string | undefined> {
  for (const command of within(program)) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    if (command.commands.length === 0) command.action(() => {});
  }
  try {
    await program.parseAsync(["bun", "mindgw", ...words]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The flags a shell block's comments name (`# also --tpm N, --budget USD`) that no command under
 * the top-level command they speak of has: the last `mindgw <command>` line's, a comment-only line
 * speaking of the command above it. A comment after another program's line is that program's.
 */
export function commentFlagProblems(program: Command, lines: readonly string[]): string[] {
  const problems: string[] = [];
  let about: Command | undefined;
  for (const line of lines) {
    const code = line.split(/(?:^|\s)#\s/)[0] ?? "";
    if (code.trim() !== "") {
      const name = /^\s*mindgw (\w+)/.exec(code)?.[1];
      about = name === undefined ? undefined : sub(program, name);
    }
    const comment = line.slice(code.length);
    if (about === undefined || comment === "") continue;
    // The program's own flags (`-v, --version`) are as much any line's to mention as --help.
    const commands = [program, ...within(about)];
    for (const flag of comment.match(/(?<![\w-])--?[a-z][\w-]*/g) ?? [])
      if (
        !BUILT_IN.has(flag) &&
        !commands.some((c) => c.options.some((o) => o.long === flag || o.short === flag))
      )
        problems.push(`comment on mindgw ${about.name()}: no flag ${flag}`);
  }
  return problems;
}

/** The flags whose value is a credential, each read from its environment variable when not given. */
const SECRET_FLAGS = ["--admin-key", "--token", "--upstream-key"];

/**
 * A word that runs mindgw, however a line runs it: the binary by name or path (`sudo mindgw`,
 * `./dist/mindgw`, `FOO=1 mindgw`) or its image (`docker run … mindgw`, `ghcr.io/…/mindgw:1.2`).
 */
const RUNS_MINDGW = /(?:^|\/)mindgw(?::[\w.-]+)?$/;

/**
 * Each secret flag given a variable (`--token $T`, `--token=$T`) after the word that runs mindgw on
 * a shell line, as `ps` would show it on that process's command line.
 */
export function secretVariables(line: string): string[] {
  const words = shellWords(line);
  const runs = words.findIndex((word) => RUNS_MINDGW.test(word));
  if (runs < 0) return [];
  return words.slice(runs + 1).flatMap((word, at, rest) => {
    const [flag = "", inline] = word.split("=", 2);
    const value = inline ?? rest[at + 1] ?? "";
    return SECRET_FLAGS.includes(flag) && value.startsWith("$") ? [`${flag} ${value}`] : [];
  });
}
