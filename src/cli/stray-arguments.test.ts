import { expect, test } from "bun:test";
import { Command } from "commander";
import { refuseStrayArguments } from "./stray-arguments.ts";

/** `keys list` as the CLI declares it for this check: -c, no arguments, excess let through. */
function keysList(...args: string[]): Command {
  const program = new Command("mindgw");
  const keys = program.command("keys");
  const list = keys
    .command("list")
    .option("-c, --config <path>")
    .allowExcessArguments(true)
    .action(() => {});
  program.parse(["keys", "list", ...args], { from: "user" });
  return list;
}

test("a config's name given without -c is told to take -c; given beside -c, it is a stray argument", () => {
  expect(() => refuseStrayArguments(keysList("gw.yaml"))).toThrow(
    "keys list takes its config with -c: mindgw keys list -c gw.yaml",
  );
  expect(() => refuseStrayArguments(keysList("-c", "a.yaml", "b.yaml"))).toThrow(
    "keys list takes no arguments (got b.yaml): see mindgw keys list --help",
  );
});
