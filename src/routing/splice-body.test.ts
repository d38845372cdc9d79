import { describe, expect, test } from "bun:test";
import type { ReceivedRequest } from "./dispatch.ts";
import { asReceived, spliceBody, splicedFor } from "./splice-body.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (out: Uint8Array | undefined) => (out ? new TextDecoder().decode(out) : undefined);
const splice = (body: string, model: string, forceUsage = false) =>
  text(spliceBody(bytes(body), JSON.parse(body), model, forceUsage));

describe("spliceBody", () => {
  test("replaces only the model, keeping every other byte (order, spacing, unknown fields)", () => {
    const body =
      '{ "x_unknown": {"a" : [1,2]},\n  "model" : "gpt-4o",  "messages":[{"role":"user","content":"hi"}]}';
    expect(splice(body, "llama-3")).toBe(body.replace('"gpt-4o"', '"llama-3"'));
  });

  test("the same model name sends the bytes as received", () => {
    const body = '{"model":"m","z":1}';
    const raw = bytes(body);
    expect(spliceBody(raw, JSON.parse(body), "m", false)).toBe(raw);
  });

  test("forced usage is added as the first key, valid JSON, the rest untouched", () => {
    const out = splice(' {"model":"a","stream":true,"messages":[]}', "b", true);
    expect(out).toBe(' {"stream_options":{"include_usage":true},"model":"b","stream":true,"messages":[]}');
    expect(JSON.parse(out ?? "")).toEqual({
      stream_options: { include_usage: true },
      model: "b",
      stream: true,
      messages: [],
    });
  });

  test("a body that is a view into a larger buffer is read from its own start and length", () => {
    const body = '{"model":"a","stream":true}';
    const backing = bytes(`xx${body}yy`);
    const view = backing.subarray(2, 2 + body.length);
    expect(text(spliceBody(view, JSON.parse(body), "b", true))).toBe(
      '{"stream_options":{"include_usage":true},"model":"b","stream":true}',
    );
    expect(text(spliceBody(view, JSON.parse(body), "a", true))).toBe(
      '{"stream_options":{"include_usage":true},"model":"a","stream":true}',
    );
    expect(text(backing)).toBe(`xx${body}yy`);
  });

  test("a model name is written as a JSON string (quotes and unicode escaped)", () => {
    const out = splice('{"model":"a"}', 'we"ird/é');
    expect(JSON.parse(out ?? "")).toEqual({ model: 'we"ird/é' });
  });

  test('a string value "model" or a quoted word inside content is not a key', () => {
    const body = '{"messages":[{"content":"say \\"model\\": yes","name":"model"}],"model":"a"}';
    expect(JSON.parse(splice(body, "b") ?? "")).toEqual({ ...JSON.parse(body), model: "b" });
  });

  test("declines when a splice is not certain: a nested model key, escapes, stream_options present", () => {
    expect(splice('{"model":"a","metadata":{"model":"x"}}', "b")).toBeUndefined();
    expect(splice('{"model":"\\u0061"}', "b")).toBeUndefined();
    expect(splice('{"model":"a","stream_options":{"x":1}}', "b", true)).toBeUndefined();
  });

  test("the model key written twice is never passed on as sent, even when the model stays (routed on the last)", () => {
    // JSON.parse keeps the last key: the gateway authorised "allowed"; an upstream keeping the
    // first would serve "secret".
    for (const body of [
      '{"model":"secret","messages":[],"model":"allowed"}',
      '{"model":"secret","mod\\u0065l":"allowed"}',
      '{"mod\\u0065l":"secret","model":"allowed"}',
    ]) {
      expect(JSON.parse(body).model).toBe("allowed");
      expect(splice(body, "allowed")).toBeUndefined();
      expect(splice(body, "allowed", true)).toBeUndefined();
      expect(splice(body, "upstream-name")).toBeUndefined();
    }
  });
});

describe("splicedFor: the bytes a request holds, for route after route", () => {
  const sent =
    '{ "x_unknown": {"a" : [1,2]},\n  "model" : "gpt-4o",  "stream":true, "messages":[{"role":"user","content":"hi"}]}';
  const received = (): ReceivedRequest => ({
    bytes: bytes(sent),
    body: JSON.parse(sent),
    headers: {},
    query: "",
  });

  test("a renamed splice is held in place of the received bytes, and each route after gets what a splice of those would give", () => {
    const request = received();
    const asReceived = request.bytes;
    // Retries, failovers and a shadow's copy, to models of other names and the client's own, a
    // stream's usage forced or not: each the bytes a splice of the received ones gives.
    const routes: [string, boolean][] = [
      ["llama-3", false],
      ["llama-3", true],
      ["gpt-4o", true],
      ["a-much-longer-upstream-model-name/with-a-slash", false],
      ["gpt-4o", false],
      ["m", true],
    ];
    for (const [model, force] of routes) {
      const out = splicedFor(request, model, force);
      expect([model, force, text(out)]).toEqual([
        model,
        force,
        text(spliceBody(bytes(sent), JSON.parse(sent), model, force)),
      ]);
      expect(request.bytes).toBe(out as Uint8Array<ArrayBuffer>);
    }
    // The received bytes are no longer held: the last splice is. Each splice is a buffer of its
    // own; the received one was never written (`ReceivedRequest.bytesAudited` reads on that).
    expect(request.bytes).not.toBe(asReceived);
    expect(text(asReceived)).toBe(sent);
    expect(request.spliced).toMatchObject({ model: "m", forced: true });
  });

  test("the bytes as received are given back from whichever splice is held (the audit row's body)", () => {
    const request = received();
    expect(text(asReceived(request))).toBe(sent);
    for (const [model, force] of [
      ["llama-3", true],
      ["a-much-longer-upstream-model-name/with-a-slash", false],
      ["m", true],
    ] as const) {
      splicedFor(request, model, force);
      expect(text(asReceived(request))).toBe(sent);
    }
    expect(asReceived({ ...request, bytes: undefined })).toBeUndefined();
  });

  test("the client's own model, usage not forced, is the received bytes themselves, held as they are", () => {
    const request = received();
    const asReceived = request.bytes;
    expect(splicedFor(request, "gpt-4o", false)).toBe(asReceived);
    expect(request.bytes).toBe(asReceived);
    expect(request.spliced).toBeUndefined();
  });

  test("a retry on the route just tried gets the bytes it was sent, not another copy", () => {
    const request = received();
    const first = splicedFor(request, "llama-3", false);
    expect(splicedFor(request, "llama-3", false)).toBe(first);
  });

  test("a body a splice is unsure of is never held: each route serialises the parsed body", () => {
    const twice = '{"model":"secret","messages":[],"model":"allowed"}';
    const request: ReceivedRequest = { bytes: bytes(twice), body: JSON.parse(twice), headers: {}, query: "" };
    const asReceived = request.bytes;
    expect(splicedFor(request, "upstream-name", false)).toBeUndefined();
    expect(splicedFor(request, "allowed", true)).toBeUndefined();
    expect(request.bytes).toBe(asReceived);
    // Usage forced on a body that names its own stream options: serialised, whichever is held.
    const options = '{"model":"a","stream":true,"stream_options":{"include_usage":false}}';
    const held: ReceivedRequest = {
      bytes: bytes(options),
      body: JSON.parse(options),
      headers: {},
      query: "",
    };
    expect(text(splicedFor(held, "b", false))).toBe(options.replace('"a"', '"b"'));
    expect(splicedFor(held, "c", true)).toBeUndefined();
  });
});
