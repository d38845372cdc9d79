import { expect, test } from "bun:test";
import { droppedHeaderValue } from "./dropped-header.ts";

/** The value as a `Response` carries it: building one throws on a character a header cannot take. */
const carried = (value: string) =>
  new Response("", { headers: { "x-mindgw-dropped": value } }).headers.get("x-mindgw-dropped");

test("names a header can carry go as they are; any other is percent-encoded, so the Response is made", () => {
  const value = droppedHeaderValue(["tools.web_search", "名前", "a\nb", "x,y", "p%q", "x\ud800"]);
  expect(value).toBe("tools.web_search, %E5%90%8D%E5%89%8D, a%0Ab, x%2Cy, p%25q, x%EF%BF%BD");
  expect(carried(value)).toBe(value);
  expect(decodeURIComponent("%E5%90%8D%E5%89%8D")).toBe("名前");
});

test("a list past 2 KB names what fits and how many more, in a value the Response takes", () => {
  const names = Array.from({ length: 500 }, (_, i) => `field_${i}`);
  const value = droppedHeaderValue(names);
  expect(carried(value)).toBe(value);
  expect(value.length).toBeLessThan(2100);
  expect(value.startsWith("field_0, field_1, ")).toBe(true);
  const shown = value.split(", ").filter((part) => part.startsWith("field_")).length;
  expect(value.endsWith(`, ...(${500 - shown} more)`)).toBe(true);
});

test("a first name past 2 KB leaves only the count", () => {
  const value = droppedHeaderValue(["n".repeat(3000), "other"]);
  expect(value).toBe("...(2 more)");
  expect(carried(value)).toBe(value);
});
