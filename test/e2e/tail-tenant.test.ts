import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { MINDGW } from "./harness/binary.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { requestIdOf, spawnTail, untilListening } from "./harness/spawn-tail.ts";
import { spawnWorker, waitForWorkers } from "./harness/spawn-worker.ts";
import { chatForId } from "./harness/tail-pipe.ts";
import { startTmux } from "./harness/tmux.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// `mindgw tail --tenant T` through the compiled binary: one tenant's requests (the gateway's
// `?tenant=` on the event stream), its usage errors (exit 2) and the refusal of a tenant's admin
// naming another (docs/OBSERVABILITY.md, "Live view").

const fx = gatewayFixture({
  models: ["m1"],
  config: { tenants: [{ name: "team-a" }, { name: "team-b" }] },
});

const keys = { a: "", b: "", aAdmin: "" };

beforeAll(async () => {
  keys.a = (await createKey(fx.gw, { name: "a-user", tenant: "team-a" })).key;
  keys.b = (await createKey(fx.gw, { name: "b-user", tenant: "team-b" })).key;
  keys.aAdmin = (await createKey(fx.gw, { name: "a-admin", role: "admin", tenant: "team-a" })).key;
});

const tail = (args: string[], adminKey = fx.adminKey) =>
  runMindgw(["tail", "--gateway", fx.gw.url, "--json", ...args], { env: { MINDGW_ADMIN_KEY: adminKey } });

describe("mindgw tail --tenant", () => {
  test("shows that tenant's requests alone: another tenant's, sent before, never comes", async () => {
    const proc = spawnTail(["--gateway", fx.gw.url, "--tenant", "team-a"], { MINDGW_ADMIN_KEY: fx.adminKey });
    try {
      await untilListening(proc, () => chatForId(fx.gw.url, keys.a, "m1"));
      const other = await chatForId(fx.gw.url, keys.b, "m1");
      // One stream, in order: team-b's request came first, so it would be printed before this.
      const own = await chatForId(fx.gw.url, keys.a, "m1");
      await proc.finished(own);
      const ids = proc.lines().map(requestIdOf);
      expect(ids).toContain(own);
      expect(ids).not.toContain(other);
      // A configured tenant: no note (its read was answered before these requests were sent).
      expect(proc.stderr.all).toBe("");
    } finally {
      await proc.stop();
    }
  });

  test("the terminal view names the tenant it reads where it names its filters: `[tenant:team-a]` before `[model:m1]`", async () => {
    const command = [MINDGW, "tail", "--gateway", fx.gw.url, "--tenant", "team-a", "--model", "m1"];
    const tmux = startTmux(command, { width: 160, height: 30, env: { MINDGW_ADMIN_KEY: fx.adminKey } });
    try {
      const screen = await tmux.waitForScreen("the tail live, its footer drawn", (s) =>
        /● live[\s\S]*q quit/.test(s),
      );
      expect(screen).toContain("[tenant:team-a] [model:m1] ");
    } finally {
      tmux.kill();
    }
  });

  test("a name no tenant of the gateway's has: a note on stderr beside the live view, which goes on", async () => {
    const proc = spawnTail(["--gateway", fx.gw.url, "--tenant", "nope"], { MINDGW_ADMIN_KEY: fx.adminKey });
    try {
      await waitFor("the note", () => proc.stderr.all.includes("\n"), 30_000);
      expect(proc.stderr.all).toBe(
        "mindgw tail: only tenant nope's requests show, and no tenant of that name is configured (tenants: team-a, team-b): is --tenant right?\n",
      );
      expect(proc.proc.exitCode).toBeNull();
    } finally {
      await proc.stop();
    }
  });

  test("the note is read beside the live view: a gateway slow to answer the tenants read does not hold the view back", async () => {
    // The note was read before the view opened its event stream: against a gateway dropping
    // packets the view waited out each of the note's two reads (5 s apiece). Here a proxy before
    // the gateway holds the tenants read unanswered; the event stream must be asked for meanwhile,
    // and the note still comes once the read is answered.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen = { tenantsHeld: 0, tenantsGaveUp: 0, eventsWhileHeld: 0 };
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === "/admin/api/tenants" && url.searchParams.has("tenant")) {
          seen.tenantsHeld++;
          request.signal.addEventListener("abort", () => seen.tenantsGaveUp++, { once: true });
          await released;
        }
        if (url.pathname === "/admin/api/events" && seen.tenantsHeld > seen.tenantsGaveUp)
          seen.eventsWhileHeld++;
        const upstream = await fetch(fx.url(url.pathname + url.search), {
          headers: request.headers,
          signal: request.signal,
        });
        return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
      },
    });
    const proc = spawnTail(["--gateway", `http://127.0.0.1:${proxy.port}`, "--tenant", "nope"], {
      MINDGW_ADMIN_KEY: fx.adminKey,
    });
    try {
      await waitFor(
        "the event stream asked for",
        () => seen.eventsWhileHeld > 0 || seen.tenantsGaveUp > 0,
        30_000,
      );
      expect(seen).toEqual({ tenantsHeld: 1, tenantsGaveUp: 0, eventsWhileHeld: 1 });
      release();
      await waitFor("the note", () => proc.stderr.all.includes("\n"), 30_000);
      expect(proc.stderr.all).toBe(
        "mindgw tail: only tenant nope's requests show, and no tenant of that name is configured (tenants: team-a, team-b): is --tenant right?\n",
      );
      expect(proc.proc.exitCode).toBeNull();
    } finally {
      release();
      await proc.stop();
      await proxy.stop(true);
    }
  });

  test("given empty, a usage error naming it (exit 2), where it would show every tenant", async () => {
    const result = await tail(["--tenant", ""]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--tenant: empty");
  });

  test("a name longer than the gateway takes: a usage error (exit 2), not retried", async () => {
    const result = await tail(["--tenant", "t".repeat(513)]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: "mindgw: --tenant: at most 512 characters\n",
    });
  });

  test("a tenant's admin naming another tenant is refused in the gateway's words (exit 2)", async () => {
    const result = await tail(["--tenant", "team-b"], keys.aAdmin);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`reads only its own tenant "team-a"`);
    // Its tenant's admin sees its own tenant alone: no note calling team-b unconfigured.
    expect(result.stderr).not.toContain("is --tenant right?");
    expect(result.stderr).not.toContain(keys.aAdmin);
  });

  test("its workers pane reads `/admin/api/workers?tenant=`: the workers the tenant's callers may be routed to", async () => {
    const token = (await createKey(fx.gw, { name: "box-b", tenant: "team-b", role: "worker", models: ["*"] }))
      .key;
    const worker = spawnWorker({ gateway: fx.gw.url, token, upstream: `${fx.fake.url}/v1`, name: "box-b" });
    try {
      await waitForWorkers(fx.gw.url, fx.adminKey, ["box-b"]);
      const workers = async (query: string, key = fx.adminKey) => {
        const res = await fetch(fx.url(`/admin/api/workers${query}`), { headers: bearer(key) });
        return res.status === 200
          ? ((await res.json()) as { workers: { name: string }[] }).workers.map((w) => w.name)
          : res.status;
      };
      expect(await workers("?tenant=team-b")).toEqual(["box-b"]);
      expect(await workers("?tenant=team-a")).toEqual([]);
      expect(await workers("?tenant=team-b", keys.aAdmin)).toBe(403);
      expect(await workers("?tenant=team-a", keys.aAdmin)).toEqual([]);
      expect(await workers("?tenat=team-a")).toBe(400);
    } finally {
      await worker.stop("SIGKILL");
    }
  });

  test("--help lists it", async () => {
    const result = await runMindgw(["tail", "--help"]);
    expect(result.stdout).toContain("--tenant <name>");
  });
});
