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

// A target flag before the command (`mindgw -c gw.yaml keys list`) or given to the one command that
// takes no gateway (`audit import f --gateway URL`) read commander's "unknown option '-c'", as if
// no command took one: said what was meant, a gateway's URL and an admin key never echoed.
const KEY = "mgw_0123456789abcdef0123456789abcdef";
test.each([
  [["-c", config, "keys", "list"], `mindgw: -c goes after the command: mindgw keys list -c ${config}`],
  [
    [`--config=${config}`, "audit", "query", "--json"],
    `mindgw: --config goes after the command: mindgw audit query --json --config ${config}`,
  ],
  [
    ["--gateway", `http://${KEY}@127.0.0.1:1`, "--admin-key", KEY, "keys", "list"],
    "mindgw: --gateway and --admin-key go after the command: mindgw keys list --gateway <url> --admin-key <key>",
  ],
  [
    ["--gateway=http://127.0.0.1:1", "tenants", "--admin-key", KEY],
    "mindgw: --gateway goes after the command: mindgw tenants --admin-key <key> --gateway <url>",
  ],
  [
    ["-c", config, "keys"],
    `mindgw: -c goes after the command: mindgw keys <command> -c ${config} (commands: create, update, list, show, revoke, rotate)`,
  ],
  // -c before a command of commands' command, as 4968a21e says it: the key after it not shown either.
  [
    ["keys", "-c", config, "list", "--admin-key", KEY],
    `mindgw: keys takes its config with -c, after a command: mindgw keys list --admin-key <key> -c ${config}`,
  ],
  // audit import takes --gateway hidden, only to refuse it: neither suggested nor listed (55baac7a
  // said "mindgw audit import f.ndjson --gateway <url>", a command then refused).
  [
    ["--gateway", "http://127.0.0.1:1", "audit"],
    "mindgw: --gateway goes after the command: mindgw audit <command> --gateway <url> (commands: query, export)",
  ],
  [
    ["--gateway", "http://127.0.0.1:1", "audit", "import", "f.ndjson"],
    "mindgw: unknown option '--gateway'\n(run with --help for usage)",
  ],
  // A command that takes no such flag: commander's refusal stands.
  [
    ["--gateway", "http://127.0.0.1:1", "serve"],
    "mindgw: unknown option '--gateway'\n(run with --help for usage)",
  ],
  [
    ["audit", "import", "rows.ndjson", "--gateway", `http://${KEY}@127.0.0.1:1`],
    "mindgw: audit import takes no --gateway: it writes the store itself, the one of -c FILE or MINDGW_CONFIG: mindgw audit import rows.ndjson -c <file>",
  ],
  [
    ["audit", "import", "rows.ndjson", "-c", config, "--admin-key", KEY],
    `mindgw: audit import takes no --admin-key: it writes the store itself, the one of -c FILE or MINDGW_CONFIG: mindgw audit import rows.ndjson -c ${config}`,
  ],
])("a target flag where no command takes it: %p says what was meant, exit 2", async (args, words) => {
  const result = await runMindgw(args, { cwd: dir.path });
  expect({ code: result.code, stderr: result.stderr.trim(), stdout: result.stdout }).toEqual({
    code: 2,
    stderr: words,
    stdout: "",
  });
  expect(result.stderr).not.toContain(KEY);
});
