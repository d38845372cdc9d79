import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
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
