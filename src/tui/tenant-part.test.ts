import { afterEach, expect, test } from "bun:test";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { waitFor } from "../testing/wait-for.ts";
import { fetchWorkers } from "./fetch-workers.ts";
import { forTenant, resolveGateway } from "./gateway-target.ts";
import { runTail } from "./run-tail.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { finishedEvent, worker } from "./testing/fixtures.ts";
import { textSink } from "./testing/text-sink.ts";

// `mindgw tail --tenant T` against a gateway from before `?tenant=` (the fake ignores the
// parameter, as those did): it sends every tenant's events, and the tail keeps T's part alone,
// as a gateway that reads the parameter selects it (tenants/read-scope.ts).

const gateways: FakeGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

function started(requestId: string, tenant?: string): GatewayEvent {
  return {
    type: "request.started",
    at: 1,
    requestId,
    keyId: `key_${requestId}`,
    keyName: requestId,
    // Absent from a gateway older still, which said no tenant on a started request.
    ...(tenant === undefined ? {} : { tenant }),
    model: "m1",
    frontDoor: "chat",
    stream: false,
  };
}

test("--json: another tenant's requests and workers and the config events are left out; a gap in the stream is still said", async () => {
  const gateway = new FakeGateway().start();
  gateways.push(gateway);
  const stdout = textSink();
  const controller = new AbortController();
  const exit = runTail({
    gateway: gateway.url,
    adminKey: gateway.adminKey,
    tenant: "team-a",
    json: true,
    stdout: stdout.stream,
    stderr: textSink().stream,
    signal: controller.signal,
  });
  await waitFor("connection", () => gateway.liveStreams === 1);
  expect(gateway.urlsSeen.at(-1)).toEndWith("/admin/api/events?tenant=team-a");
  gateway.send(started("b", "team-b"));
  gateway.send(finishedEvent({ requestId: "b", tenant: "team-b" }));
  gateway.send(started("older"));
  gateway.send({ type: "worker.connected", at: 1, worker: worker({ name: "box-b", tenant: "team-b" }) });
  gateway.send({ type: "config.reloaded", at: 1, version: 2 });
  gateway.send(started("a", "team-a"));
  gateway.send({ type: "worker.connected", at: 1, worker: worker({ name: "shared", tenant: "default" }) });
  gateway.send(finishedEvent({ requestId: "a", tenant: "team-a" }));
  gateway.send({ type: "events.missed", at: 2, count: 3 });
  await waitFor("the gap's line", () => stdout.text().includes("events.missed"));
  controller.abort();
  expect(await exit).toBe(0);
  const said = stdout.lines().map((line) => {
    const event = JSON.parse(line) as GatewayEvent;
    if (event.type === "request.started") return `started ${event.requestId}`;
    if (event.type === "request.finished") return `finished ${event.record.requestId}`;
    return "worker" in event ? `${event.type} ${event.worker.name}` : event.type;
  });
  expect(said).toEqual(["started a", "worker.connected shared", "finished a", "events.missed"]);
});

test("the w pane's list: another tenant's workers are left out, the platform's (default) kept", async () => {
  const gateway = new FakeGateway().start();
  gateways.push(gateway);
  gateway.workers = [
    worker({ id: "w_a", name: "box-a", tenant: "team-a" }),
    worker({ id: "w_b", name: "box-b", tenant: "team-b" }),
    worker({ id: "w_s", name: "shared", tenant: "default" }),
  ];
  const resolved = resolveGateway(gateway.url);
  if (!resolved.ok) throw new Error(resolved.error);
  const target = forTenant(resolved.target, "team-a");
  const read = await fetchWorkers(target, gateway.adminKey, new AbortController().signal, "own-1");
  expect(gateway.urlsSeen.at(-1)).toEndWith("/admin/api/workers?tenant=team-a");
  expect(read.kind === "listed" ? read.workers.map((w) => w.name) : read).toEqual(["box-a", "shared"]);
});
