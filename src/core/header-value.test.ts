import { expect, test } from "bun:test";
import { unsendableInHeader, unsendableKey } from "./header-value.ts";

test("a key a header carries passes, its line end after it too; a line break before it or inside it, a control inside it, or a character past Latin-1, does not", () => {
  for (const key of ["mgw_abc", "mgw_abc\r", "mgw_abc\r\n", " mgw_abc\t", "sk-proj-a.b_c~d"])
    expect({ key, why: unsendableInHeader(key) }).toEqual({ key, why: undefined });
  // A line break before it too: the key follows `Bearer `, so it is inside the value sent, which
  // only the ends of are stripped (a key file whose first line is blank, read by "$(cat keys.txt)").
  for (const key of [
    "mgw_a\nmgw_b",
    "mgw_a\rb",
    "mgw_\u0000a",
    "mgw_\u007fa",
    "mgw_€",
    "\nmgw_abc",
    "\r\nmgw_abc",
  ])
    expect({ key, refused: unsendableInHeader(key) !== undefined }).toEqual({ key, refused: true });
});

test("a key no header carries is said naming where it came from: its flag when given, else its variable", () => {
  const said = "holds a line break, a control character or one no HTTP header carries: give the key alone";
  expect(unsendableKey("mgw_a\nb", "mgw_a\nb", "--admin-key", "MINDGW_ADMIN_KEY")).toBe(
    `--admin-key: ${said}`,
  );
  expect(unsendableKey("mgw_a\nb", undefined, "--admin-key", "MINDGW_ADMIN_KEY")).toBe(
    `MINDGW_ADMIN_KEY: ${said}`,
  );
  expect(unsendableKey("mgw_ab\r\n", "mgw_ab\r\n", "--token", "MINDGW_WORKER_TOKEN")).toBeUndefined();
});
