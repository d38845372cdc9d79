import { afterAll, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { showOnce } from "./show-once.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-show-once-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("written whole to a file (or a terminal, a pipe read): nothing to say", () => {
  const path = join(dir, "out.txt");
  const fd = openSync(path, "w");
  try {
    expect(showOnce("the key\n".repeat(10_000), fd)).toBeUndefined();
  } finally {
    closeSync(fd);
  }
  expect(readFileSync(path, "utf8")).toBe("the key\n".repeat(10_000));
});

test("/dev/null, where a stdout closed at start leads: said, though the write itself succeeds", () => {
  const fd = openSync("/dev/null", "w");
  try {
    expect(showOnce("the key\n", fd)).toBe("stdout is /dev/null (closed, or sent there)");
  } finally {
    closeSync(fd);
  }
});

test("a write that fails (a pipe whose reader is gone, a full disk, a descriptor not open for writing): said with why", () => {
  const fd = openSync(join(dir, "out.txt"), "r");
  try {
    expect(showOnce("the key\n", fd)).toStartWith("stdout cannot be written (");
  } finally {
    closeSync(fd);
  }
  // /dev/full: every write fails ENOSPC, as on a full disk.
  const full = openSync("/dev/full", "w");
  try {
    expect(showOnce("the key\n", full)).toMatch(/^stdout cannot be written \(.*ENOSPC/);
  } finally {
    closeSync(full);
  }
});
