import { expect, test } from "bun:test";
import { shadowSchemas } from "./shadow-api-schema.ts";
import { shadowFilter } from "./shadow-filter.ts";

const query = (input: Record<string, string>) => shadowSchemas().query.parse(input);

test("a query's filters, in the store's names; the tenant its reader may see in place of its own", () => {
  const all = query({ model: "m", tenant: "asked", key_id: "key_1", from: "1000", to: "2000", limit: "5" });
  expect(shadowFilter(all, "team-a")).toEqual({
    model: "m",
    tenant: "team-a",
    keyId: "key_1",
    from: 1000,
    to: 2000,
  });
  expect(shadowFilter(all, all.tenant)).toMatchObject({ tenant: "asked" });
  // Nothing asked, nothing narrowed: every pair, and no field set to undefined.
  expect(shadowFilter(query({}), undefined)).toEqual({});
});
