import { afterEach, beforeEach, expect, spyOn, test } from "bun:test";
import { runCli } from "./run-cli.ts";

// A gateway that refuses at once: were the empty flag read as "unset", the command would go there.
const saved = {
  gateway: process.env.MINDGW_GATEWAY,
  adminKey: process.env.MINDGW_ADMIN_KEY,
  config: process.env.MINDGW_CONFIG,
};
beforeEach(() => {
  process.env.MINDGW_GATEWAY = "http://127.0.0.1:1";
  process.env.MINDGW_ADMIN_KEY = "mgw_env";
});
afterEach(() => {
  for (const [name, value] of [
    ["MINDGW_GATEWAY", saved.gateway],
    ["MINDGW_ADMIN_KEY", saved.adminKey],
    ["MINDGW_CONFIG", saved.config],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

// Each run adds its closed-output listeners to stdout and stderr (one run a process, outside tests):
// past ten, Node's leak warning would be written into the stderr compared below.
process.stdout.setMaxListeners(100);
process.stderr.setMaxListeners(100);

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

test("-c given empty is a usage error that names it, for every command that reads a config, never $MINDGW_CONFIG or $MINDGW_GATEWAY", async () => {
  // A config that does not exist: were the empty flag read as "unset", the command would fail on it.
  process.env.MINDGW_CONFIG = "/nonexistent/mindgw-env.yaml";
  const readers = [
    ["keys", "list"],
    ["audit", "query"],
    ["audit", "import", "-"],
    ["tenants"],
    ["shadow", "report"],
    ["config", "check"],
    ["models"],
  ];
  for (const command of readers) {
    expect([command.join(" "), await run([...command, "-c", ""])]).toEqual([
      command.join(" "),
      { code: 2, stderr: "mindgw: -c/--config: empty\n" },
    ]);
  }
});

test("the worker's --token and --upstream-key given empty are usage errors naming them, never the environment's", async () => {
  const before = { token: process.env.MINDGW_WORKER_TOKEN, upstreamKey: process.env.MINDGW_UPSTREAM_KEY };
  process.env.MINDGW_WORKER_TOKEN = "mgw_env_worker";
  process.env.MINDGW_UPSTREAM_KEY = "sk-env";
  try {
    const worker = ["worker", "--connect", "ws://127.0.0.1:9", "--upstream", "http://127.0.0.1:9/v1"];
    expect(await run([...worker, "--token", ""])).toEqual({ code: 2, stderr: "mindgw: --token: empty\n" });
    // `--concurrency 0` refused after it: the worker never starts, whichever way the key is read.
    expect(await run([...worker, "--upstream-key", "", "--concurrency", "0"])).toEqual({
      code: 2,
      stderr: "mindgw: --upstream-key: empty\n",
    });
  } finally {
    for (const [name, value] of [
      ["MINDGW_WORKER_TOKEN", before.token],
      ["MINDGW_UPSTREAM_KEY", before.upstreamKey],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('the worker\'s --models given empty, or naming no model, is a usage error: read as unset, `--models "$MODELS"` would offer every model its upstream lists', async () => {
  const worker = [
    "worker",
    "--connect",
    "ws://127.0.0.1:9",
    "--token",
    "mgw_w",
    "--upstream",
    "http://127.0.0.1:9/v1",
  ];
  // `--concurrency 0` refused after it: were --models read, the worker would still never start.
  for (const given of ["", " ", ",", " , "]) {
    expect([given, await run([...worker, "--models", given, "--concurrency", "0"])]).toEqual([
      given,
      {
        code: 2,
        stderr: given.trim() === "" ? "mindgw: --models: empty\n" : "mindgw: --models: names no model\n",
      },
    ]);
  }
});

test('tail\'s filters given empty are usage errors naming them: read as unset, `--status "$CLASS"` would show every event', async () => {
  for (const flag of ["--model", "--key", "--app", "--status"]) {
    expect([flag, await run(["tail", "--json", flag, ""])]).toEqual([
      flag,
      { code: 2, stderr: `mindgw: ${flag}: empty\n` },
    ]);
  }
});

test('audit export\'s -o given empty is a usage error naming it: read as a path, `-o "$OUT"` failed after the whole export on a rename of its partial file', async () => {
  expect(await run(["audit", "export", "-o", ""])).toEqual({
    code: 2,
    stderr: "mindgw: -o/--output: empty\n",
  });
});
