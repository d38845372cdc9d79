import { expect, test } from "bun:test";
import { createLogger } from "../log/logger.ts";
import { textTable } from "./text-table.ts";

test("a name with escape sequences and line breaks cannot rewrite the terminal table", () => {
  const table = textTable([["NAME", (name: string) => name]], ["ok", "evil\u001b[2J\nroot"]);
  expect(table).not.toContain("\u001b");
  expect(table.split("\n").length).toBe(4); // title, two rows, final newline
  expect(table).toContain("evil\\u001b[2J\\nroot");
});

test("a log line stays one line whatever a message carries", () => {
  const lines: string[] = [];
  createLogger({ write: (line) => lines.push(line) }).warn(
    "worker w\n2026-11-30T00:00:00Z error forged\u001b[31m",
  );
  expect(lines[0]?.split("\n").length).toBe(2);
  expect(lines[0]).not.toContain("\u001b");
});
