import { expect, test } from "bun:test";
import { staleNote } from "./stale-note.ts";

const at = new Date(2026, 0, 2, 9, 5, 7).getTime();

test("figures kept from an earlier read say when they were read once the latest read failed", () => {
  expect(staleNote({ error: "HTTP 503", loadedAt: at })).toBe("as of 09:05:07");
});

test("figures from the latest read, or none read yet, say nothing", () => {
  expect(staleNote({ error: undefined, loadedAt: at })).toBeNull();
  expect(staleNote({ error: "HTTP 503", loadedAt: undefined })).toBeNull();
  expect(staleNote({ error: undefined, loadedAt: undefined })).toBeNull();
});
