import { expect, setDefaultTimeout, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, onlyPath } from "../testing/off-cloud-env.ts";

// Each command is a process of its own: about a second a start, on a shared machine.
setDefaultTimeout(60_000);

const main = join(import.meta.dir, "../main.ts");

/** `mindgw worker …` from source, with a token and an upstream it never reaches. */
function worker(connect: string, ...flags: string[]) {
  const run = Bun.spawnSync(
    [
      process.execPath,
      main,
      "worker",
      "--connect",
      connect,
      "--token",
      "mgw_t",
      "--upstream",
      "http://127.0.0.1:9/v1",
      ...flags,
    ],
    {
      env: childEnv({ HOME: tmpdir() }, onlyPath),
      stdout: "pipe",
      stderr: "pipe",
      timeout: 20_000,
    },
  );
  return { code: run.exitCode, stderr: run.stderr.toString() };
}

test("a --connect the worker could never dial is a usage error naming the flag (and which entry), before it starts; never echoed", () => {
  const said = "give the gateway's ws://, wss://, http:// or https:// URL (wss://gw.example.com)";
  const cases: [string, string][] = [
    // Was "error Invalid URL" in a log line: no flag, no entry.
    ["gw example com", `mindgw: --connect: not a URL: ${said}\n`],
    ["wss://gw.example.com,", `mindgw: --connect (entry 2 of 2): empty: ${said}\n`],
    [
      "ftp://gw.example.com",
      "mindgw: --connect must be a ws://, wss://, http:// or https:// URL, not ftp:\n",
    ],
    [
      "wss://a.example.com,wss://b.example.com/?token=mgw_secret",
      "mindgw: --connect must not carry credentials or a query string; the token goes in --token (entry 2 of 2)\n",
    ],
  ];
  for (const [connect, stderr] of cases)
    expect({ connect, ...worker(connect) }).toEqual({ connect, code: 2, stderr });
});

test("--concurrency takes a whole number in decimal digits alone: 0x10, 1e1, 4.0 and one too big to hold are usage errors", () => {
  // Number() read `0x10` as 16 and `1e1` as 10: the worker started, serving that many at once.
  // 400 digits read as Infinity, past the `< 1` check, and ended on zod's "received Infinity".
  for (const given of ["0x10", "1e1", "4.0", " 4", "0"])
    expect({ given, ...worker("ws://127.0.0.1:9", "--concurrency", given) }).toEqual({
      given,
      code: 2,
      stderr: `mindgw: --concurrency: expected a whole number in decimal digits, at least 1 (8, not 0x8 or 8.0)\n`,
    });
  // Whole, just too big (to hold exactly, too): its bound, where it said "expected a whole number".
  for (const given of ["200000", "99999999999999999999", "9".repeat(400)]) {
    const run = worker("ws://127.0.0.1:9", "--concurrency", given);
    expect({ given, code: run.code, said: run.stderr.includes("--concurrency: at most 100000") }).toEqual({
      given,
      code: 2,
      said: true,
    });
  }
});

test("a --label without key=value is a usage error said as the other flags' are, before the worker starts", () => {
  // It was read after the worker's log began: said as an error line of that log, timestamped,
  // where every other flag's refusal is one `mindgw: …` line.
  for (const given of ["novalue", "=v"])
    expect({ given, ...worker("ws://127.0.0.1:9", "--label", "a=b", "--label", given) }).toEqual({
      given,
      code: 2,
      stderr: `mindgw: --label: expected key=value, got ${given}\n`,
    });
});

test("a worker token or upstream key no HTTP header can carry is a usage error naming its flag, before the worker starts", () => {
  // It started, and ended on "error Header 'Authorization' has invalid value" in its log, exit 1.
  const said = "holds a line break, a control character or one no HTTP header carries: give the key alone";
  const twoLines = "mgw_a\nmgw_b";
  expect(worker("ws://127.0.0.1:9", "--token", twoLines)).toEqual({
    code: 2,
    stderr: `mindgw: --token: ${said}\n`,
  });
  expect(worker("ws://127.0.0.1:9", "--upstream-key", twoLines)).toEqual({
    code: 2,
    stderr: `mindgw: --upstream-key: ${said}\n`,
  });
  // A line break before a key is inside the header too (`Bearer \nmgw_b`): Bun's WebSocket and
  // fetch refuse it as they do one inside.
  expect(worker("ws://127.0.0.1:9", "--token", "\nmgw_b")).toEqual({
    code: 2,
    stderr: `mindgw: --token: ${said}\n`,
  });
});
