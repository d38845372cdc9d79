import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// What the argument parser refuses is said as every other refusal is: one `mindgw: …` line (where
// commander said `error: …`), exit 2; and an argument no command takes, most often the config
// given without -c, says what was meant, for every command as for serve.

const dir = tempDir("mindgw-parse-error-words-");
afterAll(() => dir.cleanup());

const config = dir.file("gw.yaml");
writeFileSync(config, `storage: { path: ${dir.file("gw.db")} }\n`);

test.each([
  [["frobnicate"], "mindgw: unknown command 'frobnicate'"],
  [["keys", "frob"], "mindgw: unknown command 'frob'"],
  [["config", "chek"], "mindgw: unknown command 'chek'"],
  [["keys", "list", "--bogus"], "mindgw: unknown option '--bogus'"],
  [["serve", "--bogus"], "mindgw: unknown option '--bogus'"],
  [["audit", "query", "--limit"], "mindgw: option '--limit <n>' argument missing"],
])("%p is refused with mindgw's prefix, exit 2", async (args, words) => {
  const result = await runMindgw(args, { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr.split("\n")[0]).toBe(words);
  expect(result.stderr).not.toContain("error:");
  expect(result.stdout).toBe("");
});

test.each([
  [["tenants", config], `mindgw: tenants takes its config with -c: mindgw tenants -c ${config}`],
  [["keys", "list", config], `mindgw: keys list takes its config with -c: mindgw keys list -c ${config}`],
  [
    ["audit", "query", config],
    `mindgw: audit query takes its config with -c: mindgw audit query -c ${config}`,
  ],
  [
    ["keys", "show", "alice", config],
    `mindgw: keys show takes its config with -c: mindgw keys show alice -c ${config}`,
  ],
  [["serve", config], `mindgw: serve takes its config with -c: mindgw serve -c ${config}`],
  // A command of commands given a config: the one that takes it named, or where several do, theirs.
  [
    ["config", config],
    `mindgw: config takes its config with -c, after a command: mindgw config check -c ${config}`,
  ],
  [
    ["keys", config],
    `mindgw: keys takes its config with -c, after a command: mindgw keys <command> -c ${config} (commands: create, update, list, show, revoke, rotate)`,
  ],
  // -c given to a command of commands, before its command: said alike (commander's "unknown
  // option '-c'" read as if no command took one), the command after it kept where it names one.
  [
    ["config", "-c", config],
    `mindgw: config takes its config with -c, after a command: mindgw config check -c ${config}`,
  ],
  [
    ["config", `--config=${config}`, "check"],
    `mindgw: config takes its config with -c, after a command: mindgw config check -c ${config}`,
  ],
  [
    ["keys", "--config", config, "list"],
    `mindgw: keys takes its config with -c, after a command: mindgw keys list -c ${config}`,
  ],
  [
    ["keys", "-c", "show", "alice"],
    "mindgw: keys takes its config with -c, after a command: mindgw keys show alice -c <file>",
  ],
  [
    ["audit", "-c"],
    "mindgw: audit takes its config with -c, after a command: mindgw audit <command> -c <file> (commands: query, export, import)",
  ],
  [
    ["keys", "create", "--name", "alice", "bob"],
    "mindgw: keys create takes no arguments (got bob): see mindgw keys create --help",
  ],
  [["serve", "a", "b"], "mindgw: serve takes no arguments (got a, b): see mindgw serve --help"],
  [["tail", config], `mindgw: tail takes no arguments (got ${config}): see mindgw tail --help`],
  [
    ["keys", "show", "alice", "bob"],
    "mindgw: keys show takes 1 argument, <id-or-name> (got alice, bob): see mindgw keys show --help",
  ],
])("a stray argument: %p says what was meant, exit 2", async (args, words) => {
  const result = await runMindgw(args, { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr.trim()).toBe(words);
  expect(result.stdout).toBe("");
});
