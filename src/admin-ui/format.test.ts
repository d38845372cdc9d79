import { describe, expect, test } from "bun:test";
import { statusClass } from "./format.ts";

describe("statusClass", () => {
  test("a status's colour class follows the audit filters' classes, a 101 upgrade its own", () => {
    expect([101, 200, 204, 304, 429, 503].map(statusClass)).toEqual(["s1", "s2", "s2", "s3", "s4", "s5"]);
  });
});
