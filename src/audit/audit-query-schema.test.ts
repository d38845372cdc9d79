import { afterAll, describe, expect, test } from "bun:test";
import { badRequest } from "../core/gateway-error.ts";
import { parseInput } from "../http/parse-input.ts";
import { shadowSchemas } from "../shadow/shadow-api-schema.ts";
import { auditQuerySchema } from "./audit-query-schema.ts";

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
    test(`${name}: a time with Z or an offset, or epoch ms, is the same instant anywhere`, () => {
      for (const value of [
        "2026-12-05T17:52:00Z",
        "2026-12-06T02:52:00+09:00",
        "2026-12-05T17:52:00.000Z",
        String(AT),
        AT,
      ])
        expect(parseInput(schema, { from: value, to: value })).toMatchObject({ from: AT, to: AT });
    });

    test(`${name}: a time without Z or an offset, or a bare date, is a 400 naming the field`, () => {
      for (const field of ["from", "to"])
        for (const value of ["2026-12-05T17:52:00", "2026-12-05 17:52", "2026-12-05", "yesterday"])
          expect(() => parseInput(schema, { [field]: value })).toThrow(
            badRequest(
              `${field}: expected epoch milliseconds or an ISO 8601 time with Z or an offset (2025-01-31T12:00:00Z)`,
              field,
            ),
          );
    });
  }
});
