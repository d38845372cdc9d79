/**
 * `admin_ui.session_idle_timeout` across nodes (docs/ADMIN-UI.md, Idle timeout): two gateways on one
 * PostgreSQL database, their wall clocks stepped together (libfaketime, skewed-clock.ts). Use on one
 * node keeps the session on the other; unused, it ends on whichever asks, for good on both.
 */
import { afterAll, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { signIn } from "./harness/session-sign-in.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
/** Both nodes' wall clock: the host's at the start, stepped ahead by the test. */
const clock = steppableClock(clockDir.path, 0);
const fx = gatewayFixture({ fake: null, gateway: false });

/** Steps the nodes' clock `minutes` ahead of the host's and waits until each reads so (its Date header). */
async function nodesAt(minutes: number, nodes: readonly GatewayProcess[]) {
  clock.step(minutes * 60);
  for (const node of nodes)
    await waitFor(
      `the node's clock ${minutes} min ahead of the host's`,
      async () => {
        const response = await fetch(`${node.url}/healthz`);
        await response.arrayBuffer();
        const ahead = Date.parse(response.headers.get("date") ?? "") - Date.now();
        return Math.abs(ahead - minutes * 60_000) < 20_000;
      },
      20_000,
    );
}

test("on PostgreSQL, use on one node keeps the session on the other; unused, it ends on every node, saying why once", async () => {
  const postgres = fx.own(await startPostgres());
  const config = {
    storage: { driver: "postgres", url: await postgres.createDatabase("idle"), sslmode: "disable" },
    providers: [{ name: "demo", type: "mock" }],
    admin_ui: { session_idle_timeout: "5m" },
  };
  const a = await fx.spawn({ config, env: clock.env });
  const b = await fx.spawn({ config, env: clock.env });
  const session = await signIn(a.url, a.adminKey ?? "");
  const poll = (node: GatewayProcess) => fetch(`${node.url}/admin/api/status`, { headers: session });
  const use = (node: GatewayProcess) =>
    fetch(`${node.url}/admin/api/status`, { headers: { ...session, "x-user-activity": "1" } });

  await nodesAt(4, [a, b]);
  expect((await use(b)).status).toBe(200);
  // Eight minutes after sign-in on A, four after use on B: A reads the use B stored.
  await nodesAt(8, [a, b]);
  expect((await poll(a)).status).toBe(200);
  // Polled since, never used: the node that asks first ends it, saying it was idle; then it is gone.
  await nodesAt(10, [a, b]);
  const idle = await poll(b);
  expect(idle.status).toBe(401);
  expect(idle.headers.get("x-session-ended")).toBe("idle");
  expect(await idle.json()).toMatchObject({ error: { code: "unauthorized" } });
  const gone = await use(a);
  expect(gone.status).toBe(401);
  expect(gone.headers.get("x-session-ended")).toBeNull();
}, 120_000);
