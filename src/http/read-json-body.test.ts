import { afterAll, expect, spyOn, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { type JsonRequest, readJsonRequest } from "./read-json-body.ts";
import { RequestAbort } from "./request-abort.ts";

/** A server that reads each request's body as the front door does, and hands back what it read. */
const reads: (JsonRequest | GatewayError)[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    reads.push(await readJsonRequest(request, 1024).catch((error: GatewayError) => error));
    return new Response("ok");
  },
});
afterAll(() => server.stop(true));

async function send(body: Uint8Array<ArrayBuffer>): Promise<JsonRequest | GatewayError> {
  await (await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body })).text();
  const read = reads.shift();
  if (read === undefined) throw new Error("the server read nothing");
  return read;
}

test("a body of declared length: parsed, and its bytes as received (UTF-8, non-ASCII included)", async () => {
  const sent = new TextEncoder().encode(
    '{"model":"m","messages":[{"role":"user","content":"héllo → 世界"}]}',
  );
  const read = (await send(sent)) as JsonRequest;
  expect(read.body).toEqual({ model: "m", messages: [{ role: "user", content: "héllo → 世界" }] });
  expect([...read.bytes]).toEqual([...sent]);
});

test("a leading byte-order mark is read past, and left out of the bytes passed on", async () => {
  const read = (await send(
    new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')]),
  )) as JsonRequest;
  expect(read.body).toEqual({ a: 1 });
  expect(new TextDecoder().decode(read.bytes)).toBe('{"a":1}');
  expect(read.bytes.byteLength).toBe(7);
});

test("a mark left out of the bytes is said (for the audit row to keep), and only then: a malformed sequence is not one", async () => {
  const encoded = (text: string) => new TextEncoder().encode(text);
  const marked = (await send(new Uint8Array([0xef, 0xbb, 0xbf, ...encoded('{"a":1}')]))) as JsonRequest;
  expect(marked.markLeftOut).toBe(true);
  expect(((await send(encoded('{"a":"\uFEFF"}'))) as JsonRequest).markLeftOut).toBe(false);
  // A lone continuation byte and a cut three-byte sequence, each read as U+FFFD: longer, never shorter.
  for (const bad of [[0x80], [0xe2, 0x82]]) {
    const read = (await send(
      new Uint8Array([...encoded('{"a":"'), ...bad, ...encoded('"}')]),
    )) as JsonRequest;
    expect(read.body).toEqual({ a: "\uFFFD" });
    expect(read.markLeftOut).toBe(false);
  }
});

test("over the bound, not JSON, not an object: the caller's errors", async () => {
  const tooLarge = await send(new TextEncoder().encode(`{"a":"${"x".repeat(2000)}"}`));
  const notJson = await send(new TextEncoder().encode("{nope"));
  const notObject = await send(new TextEncoder().encode("[1]"));
  expect([tooLarge, notJson, notObject].map((e) => (e as GatewayError).status)).toEqual([413, 400, 400]);
});

test("a body read told the request's arrival counts its deadline from it: no clock read of its own", async () => {
  const clock = spyOn(performance, "now");
  try {
    // A delay no other read here uses: its deadline list is made under the spy, and reads through it.
    const delayMs = 29_999;
    const request = () => new Request("http://localhost/", { method: "POST", body: '{"a":1}' });
    expect((await readJsonRequest(request(), 1024, delayMs)).body).toEqual({ a: 1 });
    expect(clock).toHaveBeenCalledTimes(1);
    const arrivedMs = performance.now();
    expect((await readJsonRequest(request(), 1024, delayMs, arrivedMs)).body).toEqual({ a: 1 });
    expect(clock).toHaveBeenCalledTimes(2);
  } finally {
    clock.mockRestore();
  }
});

test("a Request whose Content-Length is not its body's is not taken for marked, unless exactly a mark's three bytes short", async () => {
  // An embedder's proxy hands gateway.handle() a body it compacted, under the client's headers.
  const sent = '{ "model": "m", "messages": [] }';
  const forwarded = JSON.stringify(JSON.parse(sent));
  const read = (body: string, length: number) =>
    readJsonRequest(
      new Request("http://localhost/", {
        method: "POST",
        body,
        headers: { "content-length": String(length) },
      }),
      1024,
    );
  expect((await read(forwarded, sent.length)).markLeftOut).toBe(false);
  expect((await read(forwarded, forwarded.length + 1)).markLeftOut).toBe(false);
  expect((await read(forwarded, forwarded.length)).markLeftOut).toBe(false);
  // Nothing tells that from a mark the text dropped: the length is trusted, as the server's framing makes it.
  expect((await read(forwarded, forwarded.length + 3)).markLeftOut).toBe(true);
});

/** A request whose body never arrives: its upload is still under way. */
function uploading(): Request {
  return new Request("http://localhost/", {
    method: "POST",
    headers: { "content-length": "100" },
    body: new ReadableStream({ pull: () => new Promise<void>(() => {}) }),
  });
}

test("a read following the request's abort ends with its reason while the body uploads, and leaves it once read", async () => {
  const request = uploading();
  const abort = new RequestAbort(request.signal);
  const read = readJsonRequest(request, 1024, 30_000, undefined, abort);
  const drained = new GatewayError({ status: 503, code: "unavailable", message: "drain deadline passed" });
  abort.abort(drained);
  expect(await read.catch((error: unknown) => error)).toBe(drained);

  // A body read whole leaves the abort it followed: its later end reaches nothing of the read's.
  const whole = new Request("http://localhost/", { method: "POST", body: '{"a":1}' });
  const after = new RequestAbort(whole.signal);
  const follow = spyOn(after, "follow");
  const unfollow = spyOn(after, "unfollow");
  expect((await readJsonRequest(whole, 1024, 30_000, undefined, after)).body).toEqual({ a: 1 });
  expect([follow.mock.calls.length, unfollow.mock.calls.length]).toEqual([1, 1]);
  expect(unfollow.mock.calls[0]?.[0]).toBe(follow.mock.calls[0]?.[0]);
});
