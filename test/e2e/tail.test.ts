import { beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { MINDGW } from "./harness/binary.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { createKey, spawnWorker, type WorkerProcess, waitForWorkers } from "./harness/spawn-worker.ts";
import { startTmux, type TmuxSession } from "./harness/tmux.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 7, the interactive `mindgw tail`: the compiled binary in a real pseudo-terminal
 * (a private tmux server per test) against the real gateway binary, read off the screen.
 */

let fake: FakeUpstream;
let gw: GatewayProcess;
let worker: WorkerProcess | undefined;
let adminKey: string;
const keys: Record<"alice" | "bob", string> = { alice: "", bob: "" };

async function chat(url: string, key: string, model: string, text?: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(key),
    body: chatBody(model, text),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The SGR colour just before a status code: green 32, yellow 33, red 31. */
const STATUS_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[(\\d+)m\\s*(\\d{3})`);

/** Table lines: they start with the request's clock time. */
const tableRows = (screen: string) => screen.split("\n").filter((line) => /^\d\d:\d\d:\d\d /.test(line));
const finishedRow = (key: string, model: string, status: number) =>
  new RegExp(`${key}\\s+${model}\\s+\\S+\\s+${status}\\b`);
const hasRow = (screen: string, key: string, model: string, status: number) =>
  tableRows(screen).some((line) => finishedRow(key, model, status).test(line));

/** The admin API's reads, as the web UI polls them: `n` rounds of status, keys and workers. */
async function adminCalls(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const path of ["status", "keys", "workers"]) {
      const res = await fetch(`${gw.url}/admin/api/${path}`, { headers: bearer(adminKey) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  }
}

/** `mindgw tail` on `url` in a fresh pseudo-terminal, the admin key from the environment. */
async function openTail(
  url = gw.url,
  key = adminKey,
  size = { width: 160, height: 40 },
  args: string[] = [],
) {
  const command = [MINDGW, "tail", "--gateway", url, ...args];
  const tmux = startTmux(command, { ...size, env: { MINDGW_ADMIN_KEY: key } });
  try {
    await tmux.waitForScreen("the tail to go live", (s) => s.includes("● live"));
  } catch (error) {
    tmux.kill();
    throw error;
  }
  return tmux;
}

async function withTail(body: (tmux: TmuxSession) => Promise<void>, args: string[] = []): Promise<void> {
  let tmux: TmuxSession | undefined;
  try {
    tmux = await openTail(gw.url, adminKey, undefined, args);
    await body(tmux);
  } finally {
    tmux?.kill();
  }
}

const fx = gatewayFixture({ models: ["m1", "m2"] });

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  keys.alice = await createKey(gw.url, adminKey, { name: "alice", role: "user" });
  keys.bob = await createKey(gw.url, adminKey, { name: "bob", role: "user" });
  const token = await createKey(gw.url, adminKey, { name: "gpu-token", role: "worker" });
  worker = spawnWorker({ gateway: gw.url, token, upstream: `${fake.url}/v1`, name: "gpu-a", models: ["m3"] });
  fx.defer(() => worker?.stop());
  await waitForWorkers(gw.url, adminKey, ["gpu-a"]);
}, 30_000);

describe("mindgw tail in a terminal", () => {
  test("rows show key name, model, route and status; the header sums up the last minute", async () => {
    await withTail(async (tmux) => {
      expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      expect(await chat(gw.url, keys.bob, "m2")).toBe(200);
      expect(await chat(gw.url, keys.alice, "nope")).toBe(404);
      const screen = await tmux.waitForScreen("three finished rows", (s) => s.includes("(last 1m, 3 req)"));
      expect(screen).toMatch(/TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TTFB\s+TOTAL\s+TOK IN\/OUT/);
      expect(screen).toMatch(/alice\s+m1\s+provider:fake\s+200/);
      expect(screen).toMatch(/bob\s+m2\s+provider:fake\s+200/);
      expect(screen).toMatch(/alice\s+nope\s+-\s+404/);
      expect(tableRows(screen)).toHaveLength(3);
      // Newest first.
      expect(tableRows(screen)[0]).toContain("nope");
      for (const part of ["req/s", "5xx 0.0%", "4xx 33.3%", "p50", "p95", "tok/s"])
        expect(screen).toContain(part);
      // The tail's own workers polling is not a row.
      expect(screen).not.toContain("bootstrap-admin");
    });
  }, 30_000);

  test("admin API calls made meanwhile are neither rows nor counted; --admin shows them, a hides them", async () => {
    await withTail(async (tmux) => {
      await adminCalls(3);
      expect(await chat(gw.url, keys.alice, "nope")).toBe(404);
      const screen = await tmux.waitForScreen("alice's row", (s) => hasRow(s, "alice", "nope", 404));
      expect(tableRows(screen)).toHaveLength(1);
      // Only the 404 counts: nine admin 200s would have read as a 4xx share of 10%.
      expect(screen).toContain("(last 1m, 1 req)");
      expect(screen).toContain("4xx 100.0%");
      expect(screen).not.toContain("bootstrap-admin");
    });
    await withTail(
      async (tmux) => {
        await adminCalls(3);
        expect(await chat(gw.url, keys.alice, "nope")).toBe(404);
        const screen = await tmux.waitForScreen(
          "the admin calls and alice's row",
          (s) => hasRow(s, "alice", "nope", 404) && /\(last 1m, (\d+) req\)/.test(s),
        );
        expect(screen).toContain("[+admin]");
        expect(
          tableRows(screen).filter((line) => /bootstrap-admin\s+-\s+-\s+200\b/.test(line)).length,
        ).toBeGreaterThanOrEqual(9);
        expect(Number(screen.match(/\(last 1m, (\d+) req\)/)?.[1])).toBeGreaterThanOrEqual(10);
        tmux.sendKeys("a");
        const hidden = await tmux.waitForScreen("admin calls hidden", (s) => !s.includes("[+admin]"));
        expect(tableRows(hidden)).toHaveLength(1);
        expect(hidden).toContain("(last 1m, 1 req)");
      },
      ["--admin"],
    );
  }, 40_000);

  test("rows are requests: a client that says it is the tail is one, requests sharing an id are one each; the tail's own polling is none, --admin or not", async () => {
    const since = Date.now();
    await withTail(
      async (tmux) => {
        const send = async (key: string, model: string, headers: Record<string, string>, text?: string) => {
          const res = await fetch(`${gw.url}/v1/chat/completions`, {
            method: "POST",
            headers: { ...bearer(key), ...headers },
            body: chatBody(model, text),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          return res.status;
        };
        // The tail reads the workers list as it goes live: wait for that call's audit row. These
        // reads are admin calls of their own, shown with --admin: counted, to be told apart.
        let reads = 0;
        const polled = await waitFor("the tail's workers read in the audit log", async () => {
          reads++;
          const res = await fetch(`${gw.url}/admin/api/audit?limit=50`, { headers: bearer(adminKey) });
          const { records } = (await res.json()) as { records: AuditRecord[] };
          return records.find((r) => r.requestId.startsWith("mindgw-tail-") && r.startedAt >= since);
        });
        expect(polled.userAgent).toBe("mindgw-tail");
        expect(await send(keys.alice, "m1", { "user-agent": "mindgw-tail/1.0" })).toBe(200);
        // Two callers' requests under one id, in flight together, the first to start the last to end.
        const shared = { "x-request-id": "job-42" };
        const seen = fake.requests.length;
        const alices = send(keys.alice, "m2", shared, "slow [[fake:delay=400]]");
        // Bob's call starts once alice's has reached the upstream, while hers waits on it there
        // (a fixed pause before it would not say hers had even started on a slow machine).
        await waitFor("alice's slow call at the upstream", () =>
          fake.requests.slice(seen).some((r) => JSON.stringify(r.body).includes("slow [[fake:delay=400]]")),
        );
        expect(await Promise.all([alices, send(keys.bob, "m2", shared)])).toEqual([200, 200]);
        const screen = await tmux.waitForScreen("the three calls' rows", (s) =>
          [hasRow(s, "alice", "m1", 200), hasRow(s, "alice", "m2", 200), hasRow(s, "bob", "m2", 200)].every(
            Boolean,
          ),
        );
        // The admin calls shown are this test's audit reads alone, never the tail's own.
        const admin = tableRows(screen).filter((line) => /bootstrap-admin\s+-\s+-\s+200\b/.test(line));
        expect(admin).toHaveLength(reads);
        expect(tableRows(screen)).toHaveLength(3 + reads);
        expect(screen).toContain(`(last 1m, ${3 + reads} req)`);
      },
      ["--admin"],
    );
  }, 40_000);

  test("space pauses: new traffic waits off-screen until space resumes", async () => {
    await withTail(async (tmux) => {
      expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      await tmux.waitForScreen("alice's row", (s) => hasRow(s, "alice", "m1", 200));
      tmux.sendKeys("Space");
      const newSincePause = (s: string) => Number(s.match(/PAUSED \+(\d+) new/)?.[1] ?? Number.NaN);
      // The tail's own workers polling is never counted: no row of it would show.
      expect(newSincePause(await tmux.waitForScreen("PAUSED", (s) => s.includes("PAUSED +")))).toBe(0);
      expect(await chat(gw.url, keys.bob, "m2")).toBe(200);
      // Bob's request (its two events, started and finished) is one new, yet the table is frozen.
      const paused = await tmux.waitForScreen("1 new while paused", (s) => newSincePause(s) === 1);
      expect(tableRows(paused)).toHaveLength(1);
      expect(paused).not.toContain("bob");
      tmux.sendKeys("Space");
      const resumed = await tmux.waitForScreen("bob's row after resume", (s) => hasRow(s, "bob", "m2", 200));
      expect(resumed).not.toContain("PAUSED");
      expect(tableRows(resumed)).toHaveLength(2);
    });
  }, 30_000);

  test("/ model:m2 Enter shows only m2 rows, old and new", async () => {
    await withTail(async (tmux) => {
      expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      expect(await chat(gw.url, keys.bob, "m2")).toBe(200);
      await tmux.waitForScreen(
        "two rows",
        (s) => hasRow(s, "alice", "m1", 200) && hasRow(s, "bob", "m2", 200),
      );
      tmux.sendKeys("/");
      await tmux.waitForScreen("the filter prompt", (s) => s.includes("filter>"));
      tmux.type("model:m2");
      tmux.sendKeys("Enter");
      const filtered = await tmux.waitForScreen("the filter applied", (s) => s.includes("[model:m2]"));
      expect(tableRows(filtered)).toHaveLength(1);
      expect(tableRows(filtered)[0]).toMatch(finishedRow("bob", "m2", 200));
      expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      expect(await chat(gw.url, keys.alice, "m2")).toBe(200);
      const after = await tmux.waitForScreen("alice's m2 row", (s) => hasRow(s, "alice", "m2", 200));
      expect(tableRows(after).every((line) => /\sm2\s/.test(line))).toBe(true);
      expect(tableRows(after)).toHaveLength(2);
    });
  }, 30_000);

  test("w toggles the workers pane; arrows and Enter open a request's detail", async () => {
    await withTail(async (tmux) => {
      tmux.sendKeys("w");
      const pane = await tmux.waitForScreen("the workers pane", (s) => s.includes("WORKERS (1)"));
      expect(pane).toMatch(/gpu-a\s+m3\s+0\/8 ok/);
      tmux.sendKeys("w");
      await tmux.waitForScreen("the pane gone", (s) => !s.includes("WORKERS"));
      expect(await chat(gw.url, keys.bob, "m1")).toBe(200);
      await tmux.waitForScreen("bob's row", (s) => hasRow(s, "bob", "m1", 200));
      tmux.sendKeys("Down", "Enter");
      const detail = await tmux.waitForScreen("the detail view", (s) => s.includes("Esc or Enter closes"));
      expect(detail).toMatch(/request req_\S+/);
      expect(detail).toMatch(/keyName\s+bob/);
      expect(detail).toMatch(/route\s+provider:fake/);
      tmux.sendKeys("Escape");
      await tmux.waitForScreen("the table back", (s) => hasRow(s, "bob", "m1", 200));
    });
  }, 30_000);

  test("a worker that drains reads `draining` in the workers pane, in yellow, its call still counted; once it has left, never `lost`, and why in place of its models", async () => {
    const token = await createKey(gw.url, adminKey, { name: "leaving-token", role: "worker" });
    const leaving = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "gpu-b",
      models: ["m4"],
    });
    const holding = new AbortController();
    try {
      await waitForWorkers(gw.url, adminKey, ["gpu-a", "gpu-b"]);
      await withTail(async (tmux) => {
        tmux.sendKeys("w");
        await tmux.waitForScreen("gpu-b in the pane", (s) => /gpu-b\s+m4\s+0\/8 ok/.test(s));
        // gpu-b holds a call its upstream never answers: it drains, still connected, till that ends.
        const held = fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: bearer(adminKey),
          body: chatBody("m4", "drain hold [[fake:hang]]"),
          signal: holding.signal,
        }).catch(() => undefined);
        await waitFor("the upstream to have gpu-b's call", () =>
          fake.requests.some((r) => JSON.stringify(r.body).includes("drain hold")),
        );
        leaving.proc.kill("SIGTERM");
        const screen = await tmux.waitForScreen("gpu-b draining", (s) =>
          /gpu-b\s+m4\s+1\/8 draining/.test(s),
        );
        expect(screen).toMatch(/gpu-a\s+m3\s+0\/8 ok/);
        const row = tmux
          .screen(true)
          .split("\n")
          .find((line) => line.includes("gpu-b"));
        expect(row).toMatch(new RegExp(`${String.fromCharCode(27)}\\[33mdraining`));
        holding.abort();
        await held;
        // Its call over, it leaves of itself (a second signal would stop it at once: no drain).
        expect(
          await waitFor("gpu-b to exit, drained", () => leaving.proc.exitCode ?? undefined, 20_000),
        ).toBe(0);
        // Gone as it said it would: `left`, not red, and why in place of its models (as the web
        // UI's Workers page says it), until the pane's next refresh drops it.
        const paneRow = /gpu-b\s+.*\d+\/8 .*/;
        const seen = new Set<string>();
        await waitFor(
          "gpu-b dropped from the pane at its next refresh",
          () => {
            const row = tmux
              .screen(true)
              .split("\n")
              .find((line) => paneRow.test(line));
            if (row !== undefined) seen.add(row);
            return row === undefined;
          },
          15_000,
          50,
        );
        const red = `${String.fromCharCode(27)}[31m`;
        expect([...seen].filter((row) => row.includes("lost") || row.includes(red))).toEqual([]);
        const colourless = (row: string) =>
          row.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
        expect([...seen].map(colourless)).toContainEqual(
          expect.stringMatching(/gpu-b\s+connection closed \(1000 drained\)\s+0\/8 left/),
        );
      });
    } finally {
      holding.abort();
      await leaving.stop("SIGKILL");
    }
    await waitForWorkers(gw.url, adminKey, ["gpu-a"]);
  }, 60_000);

  test("follows resizes: at 100x30 the table fits, at 50x12 columns drop and rows are cut", async () => {
    await withTail(async (tmux) => {
      for (let i = 0; i < 4; i++) expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      expect(await chat(gw.url, keys.bob, "nope")).toBe(404);
      await tmux.waitForScreen("five rows", (s) => s.includes("(last 1m, 5 req)"));
      tmux.resize(100, 30);
      expect(tmux.format("#{pane_width}x#{pane_height}")).toBe("100x30");
      expect(await chat(gw.url, keys.bob, "m2")).toBe(200);
      const wide = await tmux.waitForScreen("the redraw at 100 columns", (s) => hasRow(s, "bob", "m2", 200));
      // Titles end with the last column: nothing wrapped or was cut at 100 columns.
      expect(wide).toMatch(/^TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TTFB\s+TOTAL\s+TOK IN\/OUT$/m);
      expect(tableRows(wide)).toHaveLength(6);
      for (const line of tableRows(wide)) expect(line).toMatch(/ \d+\/\d+$/);
      // Shrinking must leave no wrapped remains of the wider frame: exactly one fresh frame, from the top.
      tmux.resize(50, 12);
      const narrow = await tmux.waitForScreen("the redraw at 50x12", (s) =>
        /^TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TOTAL$/m.test(s),
      );
      const lines = narrow.split("\n");
      expect(lines[0]).toMatch(/^mindgw tail .*● live$/);
      expect(lines[1]).toMatch(/^req\/s /);
      expect(lines[2]).toMatch(/^TIME /);
      expect(lines.slice(3, -1).every((line) => /^\d\d:\d\d:\d\d /.test(line))).toBe(true);
      expect(lines.at(-1)).toMatch(/^space pause/);
      expect(lines.length).toBeLessThan(12);
      tmux.sendKeys("q");
      expect((await tmux.waitForExit()).code).toBe(0);
    });
  }, 30_000);

  test("status cells are coloured by class", async () => {
    await withTail(async (tmux) => {
      expect(await chat(gw.url, keys.alice, "m1")).toBe(200);
      expect(await chat(gw.url, keys.alice, "nope")).toBe(404);
      expect(await chat(gw.url, keys.alice, "m2", "[[fake:status=502]]")).toBe(502);
      await tmux.waitForScreen("three rows", (s) => s.includes("(last 1m, 3 req)"));
      const coloured = tmux.screen(true);
      const cell = (model: string) =>
        coloured
          .split("\n")
          .find((l) => l.includes(` ${model} `))
          ?.match(STATUS_COLOUR);
      expect(cell("m1")?.slice(1)).toEqual(["32", "200"]);
      expect(cell("nope")?.slice(1)).toEqual(["33", "404"]);
      expect(cell("m2")?.slice(1)).toEqual(["31", "502"]);
    });
  }, 30_000);

  test("q quits with exit 0 and gives the terminal back", async () => {
    await withTail(async (tmux) => {
      expect(tmux.format("#{alternate_on} #{cursor_flag}")).toBe("1 0");
      tmux.sendKeys("q");
      expect(await tmux.waitForExit()).toEqual({ code: 0, ttyRestored: true });
      // The alternate screen is gone, the cursor is back, and the shell's screen shows again.
      expect(tmux.format("#{alternate_on} #{cursor_flag}")).toBe("0 1");
      expect(tmux.screen()).not.toContain("mindgw tail");
    });
  }, 30_000);

  test("Ctrl-C quits the same way", async () => {
    await withTail(async (tmux) => {
      tmux.sendKeys("C-c");
      expect(await tmux.waitForExit()).toEqual({ code: 0, ttyRestored: true });
      expect(tmux.format("#{alternate_on}")).toBe("0");
    });
  }, 30_000);

  // SIGINT: Ctrl-C reaches the view as a key, but as a signal from `kill -INT`, or where stdin is no
  // terminal (`mindgw tail < /dev/null`); it ended the tail with 130 where the rest end it with 0.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} quits the same way`, async () => {
      await withTail(async (tmux) => {
        // The pane runs the wrapper shell; the tail is its only child.
        const shell = tmux.format("#{pane_pid}");
        const children = Bun.spawnSync(["ps", "-o", "pid=", "--ppid", shell]).stdout.toString().trim();
        expect(children).toMatch(/^\d+$/);
        process.kill(Number(children), signal);
        expect(await tmux.waitForExit()).toEqual({ code: 0, ttyRestored: true });
        expect(tmux.format("#{alternate_on} #{cursor_flag}")).toBe("0 1");
      });
    }, 30_000);
  }

  test("a rejected admin key: one line, exit 2, the terminal restored", async () => {
    const tmux = startTmux([MINDGW, "tail", "--gateway", gw.url, "--admin-key", "mgw_not_a_real_key"]);
    try {
      expect(await tmux.waitForExit()).toEqual({ code: 2, ttyRestored: true });
      const lines = tmux.screen().split("\n").filter(Boolean);
      expect(lines).toEqual([
        `mindgw tail: admin key rejected by ${gw.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`,
        "[exited 2; tty restored]",
      ]);
    } finally {
      tmux.kill();
    }
  }, 30_000);
});

describe("reconnect", () => {
  test("a gateway restart on the same port shows reconnecting, then live, then new traffic", async () => {
    const config = fakeRoutesConfig(fake.url, ["m1"]);
    let first: GatewayProcess | undefined;
    let second: GatewayProcess | undefined;
    let tmux: TmuxSession | undefined;
    try {
      first = await fx.spawn({ config });
      const key = first.adminKey ?? "";
      tmux = await openTail(first.url, key);
      expect(await first.stop("SIGTERM")).toBe(0);
      await tmux.waitForScreen("the reconnecting status", (s) => /reconnecting in \d+s \(/.test(s));
      second = await fx.spawn({ config, dir: first.dir, port: first.port });
      await tmux.waitForScreen("live again", (s) => s.includes("● live"), 20_000);
      expect(await chat(second.url, key, "m1")).toBe(200);
      await tmux.waitForScreen("the new row", (s) => hasRow(s, "bootstrap-admin", "m1", 200));
    } finally {
      tmux?.kill();
    }
  }, 60_000);
});
