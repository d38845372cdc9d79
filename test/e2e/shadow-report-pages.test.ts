import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// `mindgw shadow report --json` printed the newest 20 pairs and a nextCursor, with no flag to read
// the page it names, nor a larger one: a script could never read a model's pairs past the 20th.
// --cursor and --limit are the API's own (`/admin/api/shadow`), through a gateway and with -c.

const PAIRS = 23;
const fx = gatewayFixture({
  fakeRoutes: false,
  config: {
    providers: [
      { name: "primary", type: "mock" },
      { name: "twin", type: "mock" },
    ],
    models: [
      {
        name: "m1",
        routes: [{ provider: "primary", model: "m1" }],
        shadow: { provider: "twin", model: "m1", sample: 1 },
      },
    ],
  },
});

const report = async (...args: string[]) => {
  const out = await runMindgw(["shadow", "report", "--json", ...args]);
  expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(out.stdout) as ShadowPage;
};
const remote = (...args: string[]) => report(...args, "--gateway", fx.gw.url, "--admin-key", fx.adminKey);
const local = (...args: string[]) => report(...args, "-c", fx.gw.configPath);

describe("shadow report's pages", () => {
  test("--cursor reads the page nextCursor names, and --limit its size: every pair, once, through a gateway and with -c", async () => {
    const key = await createKey({ url: fx.gw.url, adminKey: fx.adminKey }, { name: "caller" });
    for (let i = 0; i < PAIRS; i++) {
      const res = await fetch(fx.url("/v1/chat/completions"), {
        method: "POST",
        headers: { ...bearer(key.key), "content-type": "application/json" },
        body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: `hi ${i}` }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    await waitFor(
      "every pair recorded",
      async () => (await remote("--limit", "500")).records.length === PAIRS,
      30_000,
    );

    for (const read of [remote, local]) {
      const first = await read();
      expect(first.records).toHaveLength(20);
      expect(first.nextCursor).not.toBeNull();
      const second = await read("--cursor", first.nextCursor ?? "");
      expect({ pairs: second.records.length, next: second.nextCursor }).toEqual({
        pairs: PAIRS - 20,
        next: null,
      });
      const ids = new Set([...first.records, ...second.records].map((r) => r.id));
      expect(ids.size).toBe(PAIRS);
      const small = await read("--limit", "5");
      expect(small.records.map((r) => r.id)).toEqual(first.records.slice(0, 5).map((r) => r.id));
    }
  });

  test('--limit 0, 501 or abc and --cursor "" are usage errors naming the flag (exit 2)', async () => {
    for (const args of [
      ["--limit", "0"],
      ["--limit", "501"],
      ["--limit", "abc"],
      ["--cursor", ""],
    ]) {
      const out = await runMindgw([
        "shadow",
        "report",
        ...args,
        "--gateway",
        fx.gw.url,
        "--admin-key",
        fx.adminKey,
      ]);
      expect({ args, code: out.code, stdout: out.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(out.stderr).toContain(`mindgw: ${args[0]}: `);
    }
  });

  test("--cursor naming no pair is refused as audit's bad cursor: a 400 through the API, exit 2 through a gateway and with -c", async () => {
    // It was read as an empty page, with exit 0: a script following a wrong cursor was told nothing.
    const api = await fetch(fx.url("/admin/api/shadow?cursor=garbage"), { headers: bearer(fx.adminKey) });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { error: { param: string } }).error.param).toBe("cursor");
    const words =
      "--cursor: names no pair: not a page's next cursor, or its pair was pruned since (leave it out to read from the newest)";
    for (const target of [
      ["--gateway", fx.gw.url, "--admin-key", fx.adminKey],
      ["-c", fx.gw.configPath],
    ]) {
      const out = await runMindgw(["shadow", "report", "--cursor", "garbage", ...target]);
      expect({ code: out.code, stdout: out.stdout }).toEqual({ code: 2, stdout: "" });
      expect(out.stderr).toContain(words);
    }
  });
});
