/**
 * One `mindgw serve` on PostgreSQL (harness/postgres-node-fixture.ts, split from
 * postgres-node.test.ts) with a worker connected: a stream, a cancel and a failover through it,
 * `kill -9` of the node and PostgreSQL restarted under load.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { allAuditRows } from "./harness/audit-kit.ts";
import { expectKillKept, killWhenCommitted } from "./harness/kill-when-committed.ts";
import { backgroundLoad } from "./harness/node-load.ts";
import { ownNodeConfig, postgresNodeFixture } from "./harness/postgres-node-fixture.ts";
import {
  createKey as createWorkerKey,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A server of the file's own: a test kills PostgreSQL under load and starts it again.
const pg = postgresNodeFixture({ ownServer: true });
const { fx, chat, admin, errorCode } = pg;

describe("a worker connected to the node", () => {
  let worker: WorkerProcess | undefined;
  let workerToken: string;
  const startWorker = async () => {
    worker = spawnWorker({
      gateway: fx.gw.url,
      token: workerToken,
      upstream: `${fx.fake.url}/v1`,
      name: "w1",
      models: ["fake-model"],
    });
    await waitForWorkers(fx.gw.url, fx.adminKey, ["w1"]);
  };

  beforeAll(async () => {
    workerToken = await createWorkerKey(fx.gw.url, fx.adminKey, {
      name: "fleet",
      role: "worker",
      models: ["*"],
    });
    fx.defer(() => worker?.stop("SIGKILL"));
    await startWorker();
  }, 60_000);

  test("serves a stream through the worker, audited once as worker:w1", async () => {
    const streamed = await chat(fx.adminKey, { model: "pooled", stream: true, id: "pg-stream" });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    expect(await streamed.text()).toContain("data: [DONE]");
    const rows = await waitFor("the stream's audit row", async () => {
      const found = (await auditRecords(admin())).filter((r) => r.requestId === "pg-stream");
      return found.length > 0 ? found : undefined;
    });
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ route: "worker:w1", status: 200, stream: true });
  });

  test("a client that leaves cancels the generation on the worker", async () => {
    const abort = new AbortController();
    const response = await chat(fx.adminKey, {
      model: "pooled",
      stream: true,
      // The tunnel carries no client headers: the fake reads its behaviour from the text.
      content: "long [[fake:chunkDelay=200,chunks=200]]",
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.cancel().catch(() => {});
    await waitFor(
      "the upstream request behind the worker to be aborted",
      async () => (await fx.fake.requests()).some((r) => r.outcome === "aborted"),
      10_000,
    );
  }, 30_000);

  test("kill -9 of the node under load: requests in flight fail, the restarted node serves, the worker reconnects, no row acknowledged before the kill is lost", async () => {
    const { key } = await createKey(admin(), { name: "kill-load" });
    const inFlight = await chat(fx.adminKey, {
      model: "pooled",
      stream: true,
      content: "long [[fake:chunkDelay=200,chunks=100]]",
    });
    expect(inFlight.status).toBe(200);
    const reading = inFlight.text().catch((error: unknown) => String(error));
    // Not capped: the kill must find it still sending however long the rows take to commit.
    const load = backgroundLoad((_turn, id) => chat(key, { id }), { prefix: "kill" });
    const killLoad = async (startedBefore?: number) =>
      (await allAuditRows(admin(), `key=kill-load${startedBefore ? `&to=${startedBefore}` : ""}`)).map(
        (r) => r.requestId,
      );
    let acknowledged: string[] = [];
    try {
      await waitFor("load to build up", () => load.answered.size >= 100, 30_000);
      acknowledged = await killWhenCommitted(fx.gw.proc, load.answered.keys(), (answeredBy) =>
        killLoad(answeredBy + 1),
      );
    } finally {
      await load.stop();
    }
    expect(await reading).not.toContain("data: [DONE]");
    // Requests sent as the node died got no answer; none got an error status.
    expect(load.statuses).toContain(0);
    expect(load.statuses.filter((s) => s !== 200 && s !== 0)).toEqual([]);
    await fx.restart({ port: fx.gw.port });
    expect((await chat(fx.adminKey)).status).toBe(200);
    await waitForWorkers(fx.gw.url, fx.adminKey, ["w1"], 30_000);
    const served = await chat(fx.adminKey, { model: "pooled", id: "after-kill" });
    expect(served.status).toBe(200);
    // RELIABILITY.md: a kill loses at most the records still in the writer's queue or in the
    // batch being sent; every committed batch is in the database.
    expectKillKept(await killLoad(), load.sent, acknowledged);
    const worker = await waitFor("the row of the request after the restart", async () =>
      (await auditRecords(admin())).find((r) => r.requestId === "after-kill"),
    );
    expect(worker.route).toBe("worker:w1");
  }, 90_000);

  test("PostgreSQL restarted under load: 503 audit_unavailable while it is down, served again without a restart; a node that owes no spend stops cleanly meanwhile", async () => {
    // A node that serves nothing: its stop during the outage has no spend to write.
    const idle = await fx.spawn({
      config: ownNodeConfig(await pg.postgres.createDatabase("idle-at-outage")),
    });
    const load = backgroundLoad((_turn, id) => chat(fx.adminKey, { id }), { prefix: "pg-down" });
    await waitFor("load to be under way", () => load.statuses.length >= 20);
    try {
      await pg.postgres.kill();
      // RELIABILITY.md reads `stop: the limits policy (spend flush) failed` as spend left unwritten
      // (`audit import` without `--no-spend`): an idle node's stop never reads the totals back to say it.
      expect(await idle.stop()).toBe(0);
      expect(idle.stderr.all).not.toContain("spend flush");
      let probe = 0;
      // When the refused request was sent and answered: its row is found by arrival time among
      // the load's (a refusal comes before authentication, so the row has no key to filter on).
      let sentAt = 0;
      let answeredAt = 0;
      const refused = await waitFor(
        "a 503",
        async () => {
          sentAt = Date.now();
          const response = await chat(fx.adminKey, { id: `pg-probe-${++probe}` });
          answeredAt = Date.now();
          return response.status === 503 ? response : undefined;
        },
        15_000,
      );
      const refusedId = `pg-probe-${probe}`;
      // DEPLOYMENT.md: a lost database gives 503 `storage_unavailable`, and `audit_unavailable`
      // for requests whose audit row cannot be written. Every request here is audited, so once
      // the audit writer has failed a batch (which happens first under load) that is the code,
      // even for a key this node never saw; `/readyz` turns 503.
      expect(await errorCode(refused)).toBe("audit_unavailable");
      const unseen = await chat("mgw_never_seen_by_this_node_0123456789");
      expect(unseen.status).toBe(503);
      expect(await errorCode(unseen)).toBe("audit_unavailable");
      expect((await fetch(`${fx.gw.url}/readyz`)).status).toBe(503);
      await pg.postgres.start();
      await waitFor("the node to serve again", async () => (await chat(fx.adminKey)).status === 200, 20_000);
      const before = load.statuses.length;
      await waitFor(
        "the load to be served again",
        () => load.statuses.slice(before).filter((s) => s === 200).length >= 10,
        20_000,
      );
      // The record of the refused request waited in the queue and is written now.
      const row = await waitFor(
        `the audit row of ${refusedId}`,
        async () =>
          (
            await auditRecords(admin(), {
              status: "503",
              from: String(sentAt - 1),
              to: String(answeredAt + 1),
            })
          ).find((r) => r.requestId === refusedId),
        20_000,
      );
      expect(row).toMatchObject({ status: 503, errorClass: "audit_unavailable" });
    } finally {
      await load.stop();
    }
    // Served or refused with a clear 503 — never another error, never a dropped connection.
    expect(load.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(load.statuses).toContain(503);
  }, 60_000);

  test("the worker lost while it holds a request: the request fails over to the next route and is answered", async () => {
    const before = (await fx.fake.requests()).length;
    const pending = chat(fx.adminKey, {
      model: "pooled",
      id: "failover",
      content: "slow [[fake:delay=30000]]",
    });
    await waitFor("the worker to hold the request", async () => (await fx.fake.requests()).length > before);
    await worker!.stop("SIGKILL");
    const response = await pending;
    expect(response.status).toBe(200);
    const row = await waitFor("the failover's audit row", async () =>
      (await auditRecords(admin())).find((r) => r.requestId === "failover"),
    );
    expect(row.status).toBe(200);
    // A failed tunnel attempt names the worker it had picked, as a served one does.
    expect(row.attempts?.[0]).toMatchObject({
      route: "worker:w1",
      outcome: "failed",
      errorClass: "worker_lost",
    });
    expect(row.attempts?.at(-1)).toMatchObject({ route: "provider:mock", outcome: "ok" });
    expect(row.route).toBe("provider:mock");
  }, 30_000);
});
