import { describe, expect, test } from "bun:test";
import { fitsOpenAIStrict } from "./fits-openai-strict.ts";

const closed = (properties: Record<string, unknown>, required: unknown[]) => ({
  type: "object",
  additionalProperties: false,
  properties,
  required,
});

describe("fitsOpenAIStrict", () => {
  test("an object closed and requiring each of its properties, all the way down, fits", () => {
    const inner = closed({ b: { type: "string" } }, ["b"]);
    expect(fitsOpenAIStrict(closed({ a: inner }, ["a"]))).toBe(true);
    expect(fitsOpenAIStrict(closed({}, []))).toBe(true);
  });

  test("a property left out of required, or an object left open, anywhere, does not", () => {
    expect(fitsOpenAIStrict(closed({ a: { type: "string" } }, []))).toBe(false);
    expect(fitsOpenAIStrict({ type: "object", properties: { a: { type: "string" } }, required: ["a"] })).toBe(
      false,
    );
    const optionalInside = closed({ b: { type: "string" }, c: { type: "string" } }, ["b"]);
    expect(fitsOpenAIStrict(closed({ a: optionalInside }, ["a"]))).toBe(false);
    // `required` naming what is no property, or no list at all, requires nothing of the properties.
    expect(fitsOpenAIStrict(closed({ a: { type: "string" } }, ["b"]))).toBe(false);
    expect(fitsOpenAIStrict({ ...closed({ a: { type: "string" } }, []), required: "a" })).toBe(false);
  });

  // No clock read: the test's deadline is the bound. Each property searched for in the list of
  // required names took seconds for 100,000 (a 3.5 MB body: time in proportion to the product of
  // the two); a set's look-up takes milliseconds.
  test("100,000 properties, required in the reverse order, are judged in time in proportion to their number", () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `p${i}`);
    const properties = Object.fromEntries(names.map((name) => [name, { type: "string" }]));
    expect(fitsOpenAIStrict(closed(properties, names.toReversed()))).toBe(true);
    expect(fitsOpenAIStrict(closed(properties, names.slice(1).toReversed()))).toBe(false);
  }, 5_000);
});
