import { expect, test } from "bun:test";
import { RecentSchemas } from "./recent-schemas.ts";

test("a schema sent again is reshaped once; the least recently used goes first; one too large is not kept", () => {
  const reshaped: string[] = [];
  const recent = new RecentSchemas((schema) => {
    reshaped.push(String(schema.title));
    return { ...schema, reshaped: true };
  }, 2);
  const a = recent.get({ title: "a" });
  expect(recent.get({ title: "a" })).toBe(a);
  recent.get({ title: "b" });
  recent.get({ title: "a" }); // a is now the newest
  recent.get({ title: "c" }); // b goes
  recent.get({ title: "a" });
  recent.get({ title: "b" });
  expect(reshaped).toEqual(["a", "b", "c", "b"]);
  expect(recent.size).toBe(2);
  const large = { title: "x".repeat(70_000) };
  recent.get(large);
  recent.get(large);
  expect(reshaped.length).toBe(6);
  expect(recent.size).toBe(2);
});
