import { expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { STRING, TYPES } from "./span-batch-layout.ts";
import { StringTableMirror } from "./string-table.ts";
import { TableBytes, tableBytesOf } from "./table-bytes.ts";

const resource = resourceFromAttributes({ "service.name": "mindgw" });
const scope = { name: "mindgw", version: "1.0.0" };

/**
 * Batches of spans whose attributes change from one span to the next (two models taking turns,
 * a token count and a flag of each span's own), each encoded as the export thread encodes them
 * (one string table across batches) and checked against the library's bytes.
 */
function encodeTurns(batches: number, spans: number): readonly string[] {
  const writer = new SpanBatchWriter(spans);
  const mirror = new StringTableMirror();
  let table: readonly string[] = [];
  for (let b = 0; b < batches; b++) {
    for (let s = 0; s < spans; s++) {
      const i = b * spans + s;
      writer.begin("chat m", SpanKind.SERVER, resource, scope);
      writer.context("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1, undefined);
      writer.times(1_700_000_000, i, 1_700_000_001, i);
      writer.status(0, undefined);
      writer.setAttribute("gen_ai.request.model", i % 2 === 0 ? "model-a" : "model-b");
      writer.setAttribute("gen_ai.usage.input_tokens", i);
      writer.setAttribute("mindgw.stream", i % 3 === 0);
      writer.setAttribute("mindgw.cost_usd", i % 2 === 0 ? 0.25 : 0.5);
      writer.end();
    }
    const batch = writer.take();
    table = mirror.apply(batch.table);
    const ours = encodeSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
    );
    const spansRead = readSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
    );
    expect(ours).toEqual(ProtobufTraceSerializer.serializeRequest(spansRead));
  }
  return table;
}

test("attributes whose values change every span keep the encoder's store from growing", () => {
  // Each attribute is kept whole in its key's and type's own room, written over when the value
  // changes: kept by appending, two models taking turns grew the store by an attribute a span.
  const table = encodeTurns(40, 256);
  expect(tableBytesOf(table).bytes.length).toBe(16 * 1024);
});

test("a string attribute taking turns among a few values keeps each one's attribute whole", () => {
  // Several models, routes or providers in one batch: a slot that kept only its last value wrote
  // the attribute out from its key and value, and copied it again into the slot, at every turn.
  const table = encodeTurns(2, 64);
  const known = tableBytesOf(table);
  const slot = table.indexOf("gen_ai.request.model") * TYPES + STRING;
  for (const model of ["model-a", "model-b"]) {
    const at = known.pairOffsetOf(slot, table.indexOf(model));
    expect(at).toBeGreaterThanOrEqual(0);
    const kept = known.pairBytes.subarray(at, at + known.pairLengthAt(at));
    expect(new TextDecoder().decode(kept)).toEndWith(model);
  }
});

test("the values a slot keeps stay found, with their bytes, when the slots grow", () => {
  const known = new TableBytes([]);
  const attribute = (text: string) => new DataView(new TextEncoder().encode(text).buffer);
  const slot = 3 * TYPES + STRING;
  for (const value of [1, 2, 3]) known.keepPair(slot, value, attribute(`value ${value}`), 0, 7);
  known.keepPair(60 * TYPES + STRING, 1, attribute("far key"), 0, 7);
  for (const value of [1, 2, 3]) {
    const at = known.pairOffsetOf(slot, value);
    const kept = known.pairBytes.subarray(at, at + known.pairLengthAt(at));
    expect(new TextDecoder().decode(kept)).toBe(`value ${value}`);
  }
  expect(known.pairOffsetOf(slot, 4)).toBe(-1);
});

test("a key's number changing every span, in as many bytes or not, int or double, encodes to the library's bytes", () => {
  // A number's kept attribute has its value written over in place when the new one takes as many
  // bytes (`numberPairOffsetOf`): each span below meets the last one's number in as many varint
  // bytes, in more or fewer, as a double after an int and back, and numbers a double holds oddly.
  const values = [
    10,
    11,
    300,
    301,
    12,
    2 ** 40,
    2 ** 40 + 1,
    -1,
    -2,
    0.5,
    0.25,
    7,
    Number.NaN,
    0.75,
    -0,
    0,
    2 ** 60,
    2 ** 64,
    Number.POSITIVE_INFINITY,
    1e-300,
    3,
    3,
  ];
  const writer = new SpanBatchWriter(values.length);
  values.forEach((value, i) => {
    writer.begin("chat m", SpanKind.SERVER, resource, scope);
    writer.context("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1, undefined);
    writer.times(1_700_000_000, i, 1_700_000_001, i);
    writer.status(0, undefined);
    writer.setAttribute("gen_ai.usage.input_tokens", value);
    writer.setAttribute("mindgw.cost_usd", values[values.length - 1 - i] as number);
    writer.end();
  });
  const batch = writer.take();
  const table = new StringTableMirror().apply(batch.table);
  const ours = encodeSpanBatch(
    batch,
    table,
    () => resource,
    () => scope,
  );
  const spansRead = readSpanBatch(
    batch,
    table,
    () => resource,
    () => scope,
  );
  expect(ours).toBeDefined();
  expect(ours).toEqual(ProtobufTraceSerializer.serializeRequest(spansRead));
});
