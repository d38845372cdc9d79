/**
 * Reads an OTLP/protobuf `ExportTraceServiceRequest` into the shape of its OTLP/JSON form (the
 * fields the tests look at), so one receiver checks both encodings. Field numbers are those of
 * opentelemetry-proto's trace.proto, common.proto and resource.proto; written from the wire
 * format alone, independently of the encoders under test.
 */

type Field = { field: number; wire: number; value: number | Uint8Array };

function fieldsOf(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++] ?? 0;
      value += (byte & 127) * scale;
      scale *= 128;
      if (byte < 128) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ field, wire, value: bytes.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 2) {
      const length = varint();
      fields.push({ field, wire, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      fields.push({ field, wire, value: bytes.subarray(at, at + 4) });
      at += 4;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return fields;
}

const all = (fields: Field[], field: number) =>
  fields.filter((f) => f.field === field).map((f) => f.value as Uint8Array);
const one = (fields: Field[], field: number) => fields.find((f) => f.field === field)?.value;
const text = (value: unknown) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : "");
const hex = (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString("hex") : "");

type AnyValue = {
  stringValue?: string;
  intValue?: number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
};

function anyValue(bytes: Uint8Array): AnyValue {
  const f = fieldsOf(bytes)[0];
  if (!f) return {};
  if (f.field === 1) return { stringValue: text(f.value) };
  if (f.field === 2) return { boolValue: f.value === 1 };
  if (f.field === 3) return { intValue: f.value as number };
  if (f.field === 4) {
    const b = f.value as Uint8Array;
    return { doubleValue: new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true) };
  }
  // An ArrayValue: its values, each an AnyValue (field 1).
  if (f.field === 5) return { arrayValue: { values: all(fieldsOf(f.value as Uint8Array), 1).map(anyValue) } };
  return {};
}

const keyValues = (list: Uint8Array[]) =>
  list.map((kv) => {
    const f = fieldsOf(kv);
    return { key: text(one(f, 1)), value: anyValue((one(f, 2) as Uint8Array) ?? new Uint8Array()) };
  });

/** The request as its JSON form would carry it (ids as hex, kind and status code as numbers). */
export function decodeTraceRequest(body: Uint8Array) {
  return {
    resourceSpans: all(fieldsOf(body), 1).map((resourceSpans) => {
      const rs = fieldsOf(resourceSpans);
      const resource = fieldsOf((one(rs, 1) as Uint8Array) ?? new Uint8Array());
      return {
        resource: { attributes: keyValues(all(resource, 1)) },
        scopeSpans: all(rs, 2).map((scopeSpans) => ({
          scope: {
            name: text(one(fieldsOf((one(fieldsOf(scopeSpans), 1) as Uint8Array) ?? new Uint8Array()), 1)),
          },
          spans: all(fieldsOf(scopeSpans), 2).map((spanBytes) => {
            const span = fieldsOf(spanBytes);
            const status = fieldsOf((one(span, 15) as Uint8Array) ?? new Uint8Array());
            return {
              traceId: hex(one(span, 1)),
              spanId: hex(one(span, 2)),
              parentSpanId: hex(one(span, 4)),
              traceState: text(one(span, 3)),
              name: text(one(span, 5)),
              kind: (one(span, 6) as number | undefined) ?? 0,
              attributes: keyValues(all(span, 9)),
              status: { code: (one(status, 3) as number | undefined) ?? 0 },
            };
          }),
        })),
      };
    }),
  };
}
