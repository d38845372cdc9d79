import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayEvent } from "../../src/audit/gateway-event.ts";
import { webhookSignature } from "../../src/events/webhook-sink.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// `events.webhooks` in config: the compiled gateway POSTs signed batches of the events named.
// A second webhook on `/refuse` is answered 400: its drops are what `/metrics` and the log show.
const SECRET = "a-webhook-secret-of-some-length";
const received: { body: string; events: GatewayEvent[]; valid: boolean }[] = [];
let receiver: ReturnType<typeof Bun.serve>;
let gw: GatewayProcess;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake, defer }) => {
    receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const body = await request.text();
        if (new URL(request.url).pathname === "/refuse") return new Response("no", { status: 400 });
        const [, t, v1] =
          /^t=(\d+),v1=([0-9a-f]+)$/.exec(request.headers.get("x-mindgw-signature") ?? "") ?? [];
        received.push({
          body,
          events: (JSON.parse(body) as { events: GatewayEvent[] }).events,
          valid: v1 === (await webhookSignature(SECRET, Number(t), body)),
        });
        return new Response(null, { status: 204 });
      },
    });
    defer(() => receiver.stop(true));
    return fakeRoutesConfig(fake.url, ["m1"], {
      audit: { bodies: true },
      events: {
        webhooks: [
          {
            url: `http://127.0.0.1:${receiver.port}/hook`,
            secret: SECRET,
            types: ["request.finished"],
            flush: "50ms",
          },
          { url: `http://127.0.0.1:${receiver.port}/refuse`, secret: SECRET, flush: "50ms" },
        ],
      },
    });
  },
});

beforeAll(async () => {
  gw = fx.gw;
});

test("a finished request reaches the webhook, signed, and only the types asked for", async () => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(gw.adminKey ?? ""),
    body: chatBody("m1"),
  });
  expect(res.status).toBe(200);
  const id = res.headers.get("x-request-id");
  const batch = await waitFor("the webhook delivery", () =>
    received.find((b) => b.events.some((e) => e.type === "request.finished" && e.record.requestId === id)),
  );
  expect(batch.valid).toBe(true);
  expect(received.flatMap((b) => b.events.map((e) => e.type)).every((t) => t === "request.finished")).toBe(
    true,
  );
});

test("with audit.bodies on, a delivery carries no body: a credential in the prompt is not in it, in clear or at all", async () => {
  const KEY = "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(gw.adminKey ?? ""),
    body: chatBody("m1", `my key is ${KEY}`),
  });
  expect(res.status).toBe(200);
  const id = res.headers.get("x-request-id");
  const batch = await waitFor("the webhook delivery", () =>
    received.find((b) => b.events.some((e) => e.type === "request.finished" && e.record.requestId === id)),
  );
  const event = batch.events.find((e) => e.type === "request.finished" && e.record.requestId === id);
  expect(event?.type === "request.finished" && Object.keys(event.record)).not.toContain("requestBody");
  expect(batch.body).not.toContain(KEY);
  expect(batch.body).not.toContain("my key is");
});

test("a webhook's drops are counted in /metrics by sink and reason, each reason at 0 until its first", async () => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(gw.adminKey ?? ""),
    body: chatBody("m1"),
  });
  expect(res.status).toBe(200);
  const dropped = (text: string, sink: string, reason: string) =>
    sampleValue(parsePrometheus(text), "mindgw_event_sink_dropped_total", { sink, reason });
  const text = await waitFor("the refused webhook's drop counted", async () => {
    const now = await (await fetch(`${gw.url}/metrics`, { headers: bearer(gw.adminKey ?? "") })).text();
    return (dropped(now, "events.webhooks[1]", "rejected") ?? 0) > 0 ? now : undefined;
  });
  for (const reason of ["queue_full", "rejected", "redirected", "retries_exhausted", "closed"])
    expect(dropped(text, "events.webhooks[0]", reason)).toBe(0);
  expect(dropped(text, "events.webhooks[1]", "closed")).toBe(0);
  // The line says what the receiver answered: its status, never its body.
  expect(gw.stderr.all).toMatch(/webhook events dropped .*reason=rejected error="the receiver answered 400"/);
});
