import { expect, test } from "bun:test";
import { droppedHeaderValue } from "./dropped-header.ts";

test("names a header can carry go as they are; any other is percent-encoded, so the Response is made", () => {
  const value = droppedHeaderValue(["tools.web_search", "名前", "a\nb", "x,y", "p%q"]);
  expect(value).toBe("tools.web_search, %E5%90%8D%E5%89%8D, a%0Ab, x%2Cy, p%25q");
  expect(new Response("", { headers: { "x-mindgw-dropped": value } }).headers.get("x-mindgw-dropped")).toBe(
    value,
  );
  expect(decodeURIComponent("%E5%90%8D%E5%89%8D")).toBe("名前");
});

test("a list past 2 KB names what fits and how many more", () => {
  const names = Array.from({ length: 500 }, (_, i) => `field_${i}`);
  const value = droppedHeaderValue(names);
  expect(value.length).toBeLessThan(2100);
  expect(value.startsWith("field_0, field_1, ")).toBe(true);
  const shown = value.split(", ").filter((part) => part.startsWith("field_")).length;
  expect(value.endsWith(`…(${500 - shown} more)`)).toBe(true);
});
