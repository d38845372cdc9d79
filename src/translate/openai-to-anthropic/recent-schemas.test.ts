import { expect, test } from "bun:test";
import { RecentSchemas } from "./recent-schemas.ts";

test("a schema sent again is reshaped once; the least recently used goes first; one too large is not kept", () => {
  const reshaped: string[] = [];
  const recent = new RecentSchemas(
    (schema) => {
      reshaped.push(String(schema.title));
      return { ...schema, reshaped: true };
    },
    2 * '{"title":"a"}'.length,
    100,
  );
  const a = recent.get({ title: "a" });
  expect(recent.get({ title: "a" })).toBe(a);
  recent.get({ title: "b" });
  recent.get({ title: "a" }); // a is now the newest
  recent.get({ title: "c" }); // b goes
  recent.get({ title: "a" });
  recent.get({ title: "b" });
  expect(reshaped).toEqual(["a", "b", "c", "b"]);
  expect(recent.size).toBe(2);
  const large = { title: "x".repeat(100) };
  recent.get(large);
  recent.get(large);
  expect(reshaped.length).toBe(6);
  expect(recent.size).toBe(2);
});

test("what is kept is bounded by the texts' length: none past 64 KB, and 4 MB of them at most", () => {
  let reshapes = 0;
  const recent = new RecentSchemas((schema) => {
    reshapes++;
    return { ...schema };
  });
  const sized = (seed: number, length: number) => {
    const title = `${seed}:`;
    return { title, pad: "x".repeat(length - JSON.stringify({ title, pad: "" }).length) };
  };
  for (let seed = 0; seed < 300; seed++) recent.get(sized(seed, 70_000));
  expect(recent.size).toBe(0);
  // An MCP tool's schema of 20–60 KB is kept, reshaped once however often it is sent: 64 of them at most.
  for (let seed = 0; seed < 300; seed++) recent.get(sized(seed, 60_000));
  expect(recent.size).toBe(Math.floor((4 * 1024 * 1024) / 60_000));
  reshapes = 0;
  recent.get(sized(299, 60_000));
  expect(reshapes).toBe(0);
  for (let seed = 0; seed < 300; seed++) recent.get(sized(seed, 16_000));
  expect(recent.size).toBe(Math.floor((4 * 1024 * 1024) / 16_000));
  // The newest are the ones kept, the oldest gone.
  reshapes = 0;
  recent.get(sized(299, 16_000));
  expect(reshapes).toBe(0);
  recent.get(sized(0, 16_000));
  expect(reshapes).toBe(1);
});

test("a schema handed back as it came is not kept: each request keeps its own object", () => {
  let reshapes = 0;
  const recent = new RecentSchemas((schema) => {
    reshapes++;
    return schema;
  });
  // As a schema the reshaping cannot take (a property of any type) comes back.
  const first = { type: "object", properties: { anything: {} } };
  const second = structuredClone(first);
  expect(recent.get(first)).toBe(first);
  expect(recent.get(second)).toBe(second);
  expect(reshapes).toBe(2);
  expect(recent.size).toBe(0);
});
