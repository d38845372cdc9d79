import { afterEach, expect, test } from "bun:test";
import { fetchWorkers } from "./fetch-workers.ts";
import { resolveGateway } from "./gateway-target.ts";
import { runTail } from "./run-tail.ts";
import type { TailOutput } from "./tail-options.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { FakeStdin, FakeStdout } from "./testing/fake-terminal.tsx";
import { textSink } from "./testing/text-sink.ts";

const gateways: FakeGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

test("a workers URL that redirects is not followed but refused as the event stream refuses it, naming where it leads: the key never follows it", async () => {
  const gateway = new FakeGateway().start();
  const proxy = new FakeGateway().start();
  gateways.push(gateway, proxy);
  // Another origin (`localhost`, not `127.0.0.1`), as `https://` is.
  proxy.redirectTo = `http://localhost:${gateway.port}/admin/api/workers?token=abc`;
  const resolved = resolveGateway(proxy.url);
  if (!resolved.ok) throw new Error(resolved.error);
  const read = await fetchWorkers(resolved.target, gateway.adminKey, new AbortController().signal, "own-1");
  expect(read).toEqual({
    kind: "redirected",
    message: `${proxy.url} redirects (HTTP 302) to http://localhost:${gateway.port}/admin/api/workers: give --gateway the URL it leads to`,
  });
  expect(gateway.urlsSeen).toEqual([]);
});

test("on a terminal, a workers URL that redirects (the event stream's does not) ends the tail with exit code 2, naming where it leads", async () => {
  const gateway = new FakeGateway().start();
  gateways.push(gateway);
  const elsewhere = `http://localhost:${gateway.port}/admin/api/workers`;
  // A proxy that sends the workers path alone elsewhere.
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) =>
    new URL(input instanceof Request ? input.url : input).pathname === "/admin/api/workers"
      ? new Response(null, { status: 301, headers: { location: elsewhere } })
      : fetch(input, init)) as typeof fetch;
  const stdout = new FakeStdout(100, 30);
  stdout.isTTY = true;
  const stderr = textSink();
  const exit = runTail({
    gateway: gateway.url,
    adminKey: gateway.adminKey,
    json: false,
    stdout: stdout as unknown as TailOutput,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stderr: stderr.stream,
    fetch: fetcher,
    backoff: { initialMs: 20, maxMs: 1500, jitter: 0 },
    flushMs: 10,
    workersRefreshMs: 50,
  });
  expect(await exit).toBe(2);
  expect(stderr.text()).toBe(
    `mindgw tail: ${gateway.url} redirects (HTTP 301) to ${elsewhere}: give --gateway the URL it leads to\n`,
  );
  expect(gateway.workersReads.size).toBe(0);
});
