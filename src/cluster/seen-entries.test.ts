import { expect, test } from "bun:test";
import type { NodeEntry } from "./node-entry.ts";
import { SeenEntries } from "./seen-entries.ts";

const entry = (instance: string, at: number, url: string): NodeEntry => ({
  id: "n",
  instance,
  at,
  url,
  workers: [],
});

test("of two reads of one process's entry, the later written stands, in whichever order they answered", () => {
  const seen = new SeenEntries();
  seen.beatBegins();
  seen.noticeRead("n", entry("p", 2000, "http://newer"));
  seen.beatRead([entry("p", 1000, "http://older")]);
  expect(seen.all().map((e) => e.url)).toEqual(["http://newer"]);
});

test("a successor under the node's id whose clock is behind its predecessor's is read at once, not once its clock catches up", () => {
  const seen = new SeenEntries();
  seen.beatRead([entry("predecessor", 1_000_000, "http://old-host")]);
  seen.beatBegins();
  seen.beatRead([entry("successor", 400_000, "http://new-host")]);
  expect(seen.all().map((e) => e.url)).toEqual(["http://new-host"]);
  seen.noticeRead("n", entry("successor", 400_200, "http://new-host"));
  expect(seen.all().map((e) => e.at)).toEqual([400_200]);
});
