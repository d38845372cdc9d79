import { expect, test } from "bun:test";
import { unsendableInHeader } from "./header-value.ts";

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
