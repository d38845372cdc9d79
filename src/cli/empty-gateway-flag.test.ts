import { afterEach, beforeEach, expect, spyOn, test } from "bun:test";
import { runCli } from "./run-cli.ts";

// A gateway that refuses at once: were the empty flag read as "unset", the command would go there.
const saved = { gateway: process.env.MINDGW_GATEWAY, adminKey: process.env.MINDGW_ADMIN_KEY };
beforeEach(() => {
  process.env.MINDGW_GATEWAY = "http://127.0.0.1:1";
  process.env.MINDGW_ADMIN_KEY = "mgw_env";
});
afterEach(() => {
  for (const [name, value] of [
    ["MINDGW_GATEWAY", saved.gateway],
    ["MINDGW_ADMIN_KEY", saved.adminKey],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** `mindgw …args`: its exit code and what it wrote to stderr. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const out = spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await runCli(["bun", "mindgw", ...args]), stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const COMMANDS = [
  ["keys", "list"],
  ["audit", "query"],
  ["tenants"],
  ["shadow", "report"],
  ["tail", "--json"],
];

test("--gateway given empty is a usage error that names it, for every command, never $MINDGW_GATEWAY", async () => {
  for (const command of COMMANDS) {
    expect([command.join(" "), await run([...command, "--gateway", ""])]).toEqual([
      command.join(" "),
      { code: 2, stderr: "mindgw: --gateway: empty\n" },
    ]);
  }
});

test("--admin-key given empty is a usage error that names it, for every command, never $MINDGW_ADMIN_KEY", async () => {
  for (const command of COMMANDS) {
    expect([command.join(" "), await run([...command, "--admin-key", ""])]).toEqual([
      command.join(" "),
      { code: 2, stderr: "mindgw: --admin-key: empty\n" },
    ]);
  }
});
