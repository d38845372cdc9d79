import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { onClosedOutput } from "./closed-output.ts";

const failure = (code: string) => Object.assign(new Error(`${code}: write`), { code });

function outputs(policy: "end" | "ignore") {
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  const exits: number[] = [];
  onClosedOutput(policy, [stdout, stderr], (code) => exits.push(code));
  return { stdout, stderr, exits };
}

test("a closed pipe ends a command at once with 0, on stdout or stderr", () => {
  const { stdout, stderr, exits } = outputs("end");
  stdout.emit("error", failure("EPIPE"));
  stderr.emit("error", failure("EPIPE"));
  expect(exits).toEqual([0, 0]);
});

test("a server ignores it and keeps serving", () => {
  const { stdout, exits } = outputs("ignore");
  stdout.emit("error", failure("EPIPE"));
  expect(exits).toEqual([]);
});

test("any other write error is not swallowed", () => {
  const { stdout, exits } = outputs("end");
  expect(() => stdout.emit("error", failure("ENOSPC"))).toThrow("ENOSPC");
  expect(exits).toEqual([]);
});

test("a policy given as a function is asked at each failure: what the command chose by then", () => {
  let policy: "end" | "ignore" = "end";
  const stdout = new EventEmitter();
  const exits: number[] = [];
  onClosedOutput(
    () => policy,
    [stdout],
    (code) => exits.push(code),
  );
  stdout.emit("error", failure("EPIPE"));
  policy = "ignore";
  stdout.emit("error", failure("EPIPE"));
  expect(exits).toEqual([0]);
});

/** `"$0" "$@"` with its stdout piped to a reader gone at once, then the exit code it ended with. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
const PIPED_TO_NOTHING = '"$0" "$@" | true; echo "exit=${PIPESTATUS[0]}"';

test("--help, the version and a command's help into a reader already gone: exit 0, no stack trace", () => {
  const main = join(import.meta.dir, "../main.ts");
  for (const args of [
    ["--help"],
    ["--version"],
    ["help", "keys"],
    ["keys", "help", "create"],
    ["audit", "query", "--help"],
  ]) {
    // `true` reads nothing and exits at once, well before the CLI has started: every write fails (EPIPE).
    const run = Bun.spawnSync(["bash", "-c", PIPED_TO_NOTHING, process.execPath, main, ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect({ args, stdout: run.stdout.toString(), stderr: run.stderr.toString() }).toEqual({
      args,
      stdout: "exit=0\n",
      stderr: "",
    });
  }
}, 60_000);
