import { describe, expect, test } from "bun:test";
import { allocatorRestart, type ProcessStart } from "./allocator-settings.ts";

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

  test("from source, bun starts again with its own options and the script", () => {
    const restart = allocatorRestart({
      argv: ["/usr/bin/bun", "/src/mindgw/src/main.ts", "serve", "--port", "0"],
      env: {},
      execPath: "/usr/bin/bun",
      execArgv: ["--smol"],
    });
    expect(restart?.args).toEqual([
      "/usr/bin/bun",
      "--smol",
      "/src/mindgw/src/main.ts",
      "serve",
      "--port",
      "0",
    ]);
  });

  test("unset entries of the environment are left out, not passed as the text 'undefined'", () => {
    const restart = allocatorRestart(compiled(["serve"], { A: "1", B: undefined }));
    expect(restart?.env).toEqual({ A: "1", MIMALLOC_PURGE_DELAY: "-1" });
  });
});
