import { expect, test } from "bun:test";
import { unsendableInHeader } from "./header-value.ts";

test("a key a header carries passes, its line end around it too; a line break or a control inside it, or a character past Latin-1, does not", () => {
  for (const key of ["mgw_abc", "mgw_abc\r", "mgw_abc\r\n", " mgw_abc\t", "sk-proj-a.b_c~d"])
    expect({ key, why: unsendableInHeader(key) }).toEqual({ key, why: undefined });
  for (const key of ["mgw_a\nmgw_b", "mgw_a\rb", "mgw_\u0000a", "mgw_\u007fa", "mgw_€"])
    expect({ key, refused: unsendableInHeader(key) !== undefined }).toEqual({ key, refused: true });
});
