import { afterAll, describe, expect, test } from "bun:test";
import { badRequest } from "../core/gateway-error.ts";
import { queryParameters } from "../http/docs/json-schema.ts";
import { parseInput } from "../http/parse-input.ts";
import { shadowSchemas } from "../shadow/shadow-api-schema.ts";
import { auditQuerySchema, INSTANT_FORMS } from "./audit-query-schema.ts";

// A process far from UTC: a bound read in the local zone would land nine hours off.
const zone = process.env.TZ;
process.env.TZ = "Asia/Tokyo";
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const AT = Date.UTC(2026, 11, 5, 17, 52);

describe("audit and shadow time bounds, in a process set to TZ=Asia/Tokyo", () => {
  test("the process reads local times nine hours off UTC (the premise)", () => {
    expect(new Date("2026-12-05T17:52:00").getTime()).toBe(AT - 9 * 3_600_000);
  });

  for (const [name, schema] of [
    ["audit", auditQuerySchema],
    ["shadow", shadowSchemas().query],
  ] as const) {
    test(`${name}: a time with Z or an offset (±HH:MM, ±HHMM as date +%FT%T%z prints it), to the minute or finer, or epoch ms, is the same instant anywhere`, () => {
      for (const value of [
        "2026-12-05T17:52:00Z",
        "2026-12-05T17:52Z",
        "2026-12-05t17:52:00z",
        "2026-12-06T02:52:00+09:00",
        "2026-12-06T02:52:00+0900",
        "2026-12-06T02:52+0900",
        "2026-12-05T12:52:00-0500",
        "2026-12-05T17:52:00.000Z",
        String(AT),
        AT,
      ])
        expect(parseInput(schema, { from: value, to: value })).toMatchObject({ from: AT, to: AT });
    });

    test(`${name}: the API's document says which forms from and to take`, () => {
      const bounds = queryParameters(schema).filter((p) => p.name === "from" || p.name === "to");
      expect(bounds).toHaveLength(2);
      for (const bound of bounds) expect(String(bound.description)).toContain(INSTANT_FORMS);
    });

    test(`${name}: a bare date is its UTC midnight, whatever the process's zone`, () => {
      expect(parseInput(schema, { from: "2026-12-05", to: "2026-12-06" })).toMatchObject({
        from: Date.UTC(2026, 11, 5),
        to: Date.UTC(2026, 11, 6),
      });
    });

    test(`${name}: a time without Z or an offset, or no time at all, is a 400 naming the field and the forms it takes`, () => {
      for (const field of ["from", "to"])
        for (const value of [
          "2026-12-05T17:52:00",
          "2026-12-05T17:52",
          "2026-12-05 17:52",
          "2026-13-05",
          "2026-12-05T25:00Z",
          "2026-12-05T17:52+9",
          "yesterday",
        ])
          expect(() => parseInput(schema, { [field]: value })).toThrow(
            badRequest(
              `${field}: expected epoch milliseconds, a date (2025-01-31: its UTC midnight), or an ISO 8601 date-time with Z or an offset (2025-01-31T12:00Z, 2025-01-31T12:00:00+09:00, 2025-01-31T21:00:00+0900 as \`date +%FT%T%z\` prints it); a time without Z or an offset is refused`,
              field,
            ),
          );
    });

    test(`${name}: epoch milliseconds too many to hold exactly are a 400 that says so, not a date-time's words`, () => {
      for (const field of ["from", "to"])
        for (const value of ["99999999999999999999", "9007199254740992", "9".repeat(400)])
          expect(() => parseInput(schema, { [field]: value })).toThrow(
            badRequest(`${field}: epoch milliseconds past 9007199254740991 (2^53 - 1) are refused`, field),
          );
      expect(parseInput(schema, { from: "9007199254740991" })).toMatchObject({ from: 9007199254740991 });
    });
  }
});
