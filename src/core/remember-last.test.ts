import { expect, test } from "bun:test";
import { rememberLast } from "./remember-last.ts";

test("reads a key once while it is asked in a row, and each other key as its own", () => {
  const read: string[] = [];
  const length = rememberLast((key) => {
    read.push(key);
    return key.length;
  });
  const asked = ["opus", "opus", "haiku", "opus", "opus"];
  expect(asked.map(length)).toEqual([4, 4, 5, 4, 4]);
  expect(read).toEqual(["opus", "haiku", "opus"]);
});

test("an answer that is undefined is remembered as one", () => {
  let reads = 0;
  const none = rememberLast((): undefined => {
    reads++;
    return undefined;
  });
  expect([none("gpt-4o"), none("gpt-4o")]).toEqual([undefined, undefined]);
  expect(reads).toBe(1);
});
