import { describe, expect, test } from "bun:test";
import {
  allocatorRestart,
  type Execve,
  type ProcessStart,
  restartWithAllocatorSettings,
} from "./allocator-settings.ts";

const compiled = (
  args: string[],
  env: Record<string, string | undefined> = { HOME: "/root" },
): ProcessStart => ({
  argv: ["bun", "/$bunfs/root/mindgw", ...args],
  env,
  execPath: "/usr/local/bin/mindgw",
  execArgv: [],
});

describe("allocatorRestart", () => {
  test("serve and worker start again with the allocator keeping freed pages, arguments and environment kept", () => {
    for (const command of ["serve", "worker"]) {
      const restart = allocatorRestart(compiled([command, "-c", "/etc/mindgw/config.yaml"]));
      expect(restart).toEqual({
        path: "/usr/local/bin/mindgw",
        args: ["/usr/local/bin/mindgw", command, "-c", "/etc/mindgw/config.yaml"],
        env: { HOME: "/root", MIMALLOC_PURGE_DELAY: "-1" },
      });
    }
  });

  test("an operator's own value, any value, is kept: no restart", () => {
    expect(allocatorRestart(compiled(["serve"], { MIMALLOC_PURGE_DELAY: "100" }))).toBeNull();
    expect(allocatorRestart(compiled(["serve"], { MIMALLOC_PURGE_DELAY: "" }))).toBeNull();
  });

  test("the brief commands and a bare `mindgw` run as they were started", () => {
    for (const args of [["keys", "list"], ["tail"], ["--version"], ["--help"], []])
      expect(allocatorRestart(compiled(args))).toBeNull();
    // A command name further on is an argument, not the command.
    expect(allocatorRestart(compiled(["keys", "create", "serve"]))).toBeNull();
  });

  test("from source, bun starts again with the script; with runtime options it runs as started", () => {
    const source = (execArgv: string[]): ProcessStart => ({
      argv: ["/usr/bin/bun", "/src/mindgw/src/main.ts", "serve", "--port", "0"],
      env: {},
      execPath: "/usr/bin/bun",
      execArgv,
    });
    expect(allocatorRestart(source([]))?.args).toEqual([
      "/usr/bin/bun",
      "/src/mindgw/src/main.ts",
      "serve",
      "--port",
      "0",
    ]);
    expect(allocatorRestart(source(["--cpu-prof", "--cpu-prof-dir=/tmp/prof"]))).toBeNull();
  });

  test("unset entries of the environment are left out, not passed as the text 'undefined'", () => {
    const restart = allocatorRestart(compiled(["serve"], { A: "1", B: undefined }));
    expect(restart?.env).toEqual({ A: "1", MIMALLOC_PURGE_DELAY: "-1" });
  });

  test("a restart that fails is reported and the command runs on", () => {
    const lines: string[] = [];
    const failing = () => {
      throw new Error("ENOENT: /usr/local/bin/mindgw");
    };
    restartWithAllocatorSettings(compiled(["serve"]), failing, (line) => lines.push(line));
    expect(lines).toEqual([
      "mindgw: could not start again with MIMALLOC_PURGE_DELAY=-1 (ENOENT: /usr/local/bin/mindgw); running with the allocator's default\n",
    ]);
    restartWithAllocatorSettings(compiled(["serve"]), null, (line) => lines.push(line));
    expect(lines[1]).toContain("this runtime has no process.execve");
  });

  test("nothing to restart: execve is not called", () => {
    let called = false;
    const execve = (() => {
      called = true;
      throw new Error("called");
    }) as Execve;
    restartWithAllocatorSettings(compiled(["keys", "list"]), execve, () => {});
    restartWithAllocatorSettings(compiled(["serve"], { MIMALLOC_PURGE_DELAY: "-1" }), execve, () => {});
    expect(called).toBe(false);
  });
});
