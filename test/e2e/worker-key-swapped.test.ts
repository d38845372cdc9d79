import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { NOTHING_LISTENS } from "../../src/testing/off-cloud-env.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// `mindgw worker` given a key where the model server's URL goes (--upstream and --upstream-key
// swapped, or the key pasted into the URL) must say so without the key, exit 2, before it starts:
// `--upstream: sk-… names no scheme` quoted it, and a key in the path went to the model server.

/** Shapes of an upstream key and of a worker token: never used, nothing runs here. */
const UPSTREAM_KEY = "sk-proj-Zq8Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0Pa";
const TOKEN = "mgw_Q7pXr2LmZ9vB4nKc8TfYh3WdJs6GuA1eRo5iNbVtMqE";
const CONNECT = `http://${NOTHING_LISTENS}`;
const UPSTREAM = "http://127.0.0.1:8000/v1";

const holds = (text: string, key: string) => text.toLowerCase().includes(key.toLowerCase());

async function worker(upstream: string, env: Record<string, string> = {}, extra: string[] = []) {
  const out = await runMindgw(
    ["worker", "--connect", CONNECT, "--upstream", upstream, "--models", "m1", ...extra],
    { env: { MINDGW_WORKER_TOKEN: TOKEN, ...env }, timeoutMs: 15_000 },
  );
  return {
    code: out.code,
    leaked: holds(out.stderr, UPSTREAM_KEY) || holds(out.stderr, TOKEN),
    stderr: out.stderr,
  };
}

describe("a key where the worker's --upstream or --connect URL goes", () => {
  test("--upstream KEY --upstream-key URL (swapped): exit 2, the key not echoed", async () => {
    const out = await worker(UPSTREAM_KEY, {}, ["--upstream-key", UPSTREAM]);
    expect({ code: out.code, leaked: out.leaked }).toEqual({ code: 2, leaked: false });
    expect(out.stderr).toContain("--upstream: it reads as a key, not a URL");
  });

  test("the upstream key (from MINDGW_UPSTREAM_KEY) in the URL's path: refused before it is sent, exit 2", async () => {
    const out = await worker(`${UPSTREAM}/${UPSTREAM_KEY}`, { MINDGW_UPSTREAM_KEY: UPSTREAM_KEY });
    expect({ code: out.code, leaked: out.leaked }).toEqual({ code: 2, leaked: false });
  });

  test("--connect with the worker token in its path, or a key as --connect (swapped with --token): exit 2, unechoed, before any connection", async () => {
    for (const connect of [`${CONNECT}/${TOKEN}`, TOKEN, `wss://gw.example,${UPSTREAM_KEY}`]) {
      const out = await runMindgw(
        ["worker", "--connect", connect, "--upstream", UPSTREAM, "--models", "m1"],
        {
          env: { MINDGW_WORKER_TOKEN: TOKEN },
          timeoutMs: 15_000,
        },
      );
      expect({
        connect,
        code: out.code,
        leaked: holds(out.stderr, TOKEN) || holds(out.stderr, UPSTREAM_KEY),
      }).toEqual({
        connect,
        code: 2,
        leaked: false,
      });
      expect(out.stderr).toContain("--connect");
    }
  });

  test("a key's shape as --upstream's host (a port and path after it, or a scheme before it): exit 2, unechoed", async () => {
    for (const upstream of [`${UPSTREAM_KEY}:8000/v1`, `http://${UPSTREAM_KEY}/v1`]) {
      const out = await worker(upstream);
      expect({ upstream, code: out.code, leaked: out.leaked }).toEqual({ upstream, code: 2, leaked: false });
      expect(out.stderr).toContain("--upstream: it reads as a key, not a URL");
    }
  });

  test("the worker token as --upstream: exit 2, unechoed", async () => {
    const out = await worker(TOKEN);
    expect({ code: out.code, leaked: out.leaked }).toEqual({ code: 2, leaked: false });
    expect(out.stderr).toContain("--upstream: it holds the worker token or the upstream key");
  });
});
