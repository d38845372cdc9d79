import { afterAll, describe, expect, test } from "bun:test";
import { Traceparent } from "../../core/traceparent.ts";
import { createLeanFetch } from "./http1/lean-fetch.ts";
import { leanClient } from "./http1/testing/lean-client.ts";
import { ok, rawServer, servers } from "./http1/testing/raw-server.ts";
import { UpstreamPost } from "./upstream-post.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

// A traced attempt's `traceparent` is held by its init as the span's ids (core/traceparent.ts):
// the lean client writes it into the request's bytes, a client that takes header strings reads it
// as text from `headers`. Either way the upstream sees one `traceparent` line with the same value.

const SPAN = new Traceparent(0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c80319c, 0xb7ad6b71, 0x69203331, 1);
const TEXT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const call = { signal: new AbortController().signal, cancel: undefined };
const post = (headers: Record<string, string>, traceparent = SPAN) =>
  new UpstreamPost("up", { ...headers }, '{"model":"m"}', call, traceparent);

/** A head's lines as a set, names in lower case (the two clients order and spell them apart). */
const lines = (request: string) =>
  request
    .split("\r\n")
    .map((line) => line.replace(/^[^ :]+:/, (name) => name.toLowerCase()))
    .sort();
const traceLines = (request: string) => lines(request).filter((line) => line.startsWith("traceparent:"));

describe("an upstream POST holding a span's traceparent", () => {
  test("the lean client writes it from the ids; fetch sends it as text; the heads are the same", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("")));
    const { fetch: lean, fallbackCalls } = leanClient();
    const headers = { "content-type": "application/json", "x-request-id": "req-1" };
    const held = post(headers);
    await (await lean(`${server.url}/v1/chat`, held)).text();
    // Written without being made text: the init still holds it.
    expect(held.heldTraceparent).toBe(SPAN);
    expect(held.headersSoFar).toEqual(headers);
    await (await fetch(`${server.url}/v1/chat`, post(headers))).text();
    const [leanSent = "", fetchSent = ""] = server.state.requests;
    expect(fallbackCalls).toEqual([]);
    expect(traceLines(leanSent)).toEqual([`traceparent: ${TEXT}`]);
    expect(lines(leanSent)).toEqual(lines(fetchSent));
  });

  test("read by a client as strings, it is text among the headers from then on, and written once", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("")));
    const { fetch: lean } = leanClient();
    const init = post({ "x-request-id": "req-2" });
    expect(init.headers).toEqual({ "x-request-id": "req-2", traceparent: TEXT });
    expect(init.heldTraceparent).toBeUndefined();
    // The lean client encoding the same init again (a connection opened for it) finds it as text.
    await (await lean(`${server.url}/v1/chat`, init)).text();
    expect(traceLines(server.state.requests[0] ?? "")).toEqual([`traceparent: ${TEXT}`]);
  });

  test("a spread of the init (a fetch wrapped by an embedder) carries the headers, the traceparent as text", () => {
    const spread = { ...post({ authorization: "Bearer k" }) };
    expect(spread.headers).toEqual({ authorization: "Bearer k", traceparent: TEXT });
    expect(Object.keys(spread).sort()).toEqual(["body", "cancel", "headers", "method"]);
  });

  test("a traceparent the provider's headers give is replaced by the span's", () => {
    const init = post({ traceparent: "00-11111111111111111111111111111111-2222222222222222-01" });
    expect(init.heldTraceparent).toBeUndefined();
    expect(init.headers.traceparent).toBe(TEXT);
  });

  test("beside a header spelt `Traceparent`, the lean client leaves the call to fetch, which joins the two", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("")));
    const fallback = async (input: string | URL | Request, init?: RequestInit) => fetch(input, init);
    const lean = createLeanFetch({ fallback, env: {} });
    await (await lean(`${server.url}/v1/chat`, post({ Traceparent: "given" }))).text();
    await (await fetch(`${server.url}/v1/chat`, post({ Traceparent: "given" }))).text();
    const [leanSent = "", fetchSent = ""] = server.state.requests;
    expect(traceLines(leanSent)).toEqual(traceLines(fetchSent));
    expect(traceLines(fetchSent)).toHaveLength(1);
    expect(traceLines(fetchSent)[0]).toContain(TEXT);
  });

  test("the caller's own traceparent, passed on as text, goes as it came", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("")));
    const { fetch: lean } = leanClient();
    const init = new UpstreamPost("up", { traceparent: TEXT }, "{}", call);
    expect(init.heldTraceparent).toBeUndefined();
    await (await lean(`${server.url}/v1/chat`, init)).text();
    expect(traceLines(server.state.requests[0] ?? "")).toEqual([`traceparent: ${TEXT}`]);
  });
});
