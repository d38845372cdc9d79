import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathEntries } from "./path-entries.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

function tempRoot(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "mindgw-entries-")));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a plain file is its own name in its folder", () => {
  const root = tempRoot();
  writeFileSync(join(root, "config.yaml"), "{}\n");
  expect(pathEntries(join(root, "config.yaml"))).toEqual([{ dir: root, name: "config.yaml" }]);
});

test("a ConfigMap mount: the file's link, the ..data link, and the file in the current version", () => {
  const root = tempRoot();
  mkdirSync(join(root, "..v1"));
  writeFileSync(join(root, "..v1", "config.yaml"), "{}\n");
  symlinkSync("..v1", join(root, "..data"));
  symlinkSync("..data/config.yaml", join(root, "config.yaml"));
  expect(pathEntries(join(root, "config.yaml"))).toEqual([
    { dir: root, name: "config.yaml" },
    { dir: root, name: "..data" },
    { dir: join(root, "..v1"), name: "config.yaml" },
  ]);
});

test("`..` after a symlink leaves the link's target, as the kernel resolves it", () => {
  const root = tempRoot();
  mkdirSync(join(root, "real", "deep"), { recursive: true });
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "real", "config.yaml"), "{}\n");
  symlinkSync(join(root, "real", "deep"), join(root, "etc", "link"));
  // Spelt out: `join` would fold `link/..` away.
  expect(pathEntries(`${root}/etc/link/../config.yaml`)).toEqual([
    { dir: join(root, "etc"), name: "link" },
    { dir: join(root, "real"), name: "config.yaml" },
  ]);
});

test("a missing file, or a link to one, ends at the first missing entry", () => {
  const root = tempRoot();
  expect(pathEntries(join(root, "absent", "config.yaml"))).toEqual([{ dir: root, name: "absent" }]);
  symlinkSync("gone.yaml", join(root, "config.yaml"));
  expect(pathEntries(join(root, "config.yaml"))).toEqual([
    { dir: root, name: "config.yaml" },
    { dir: root, name: "gone.yaml" },
  ]);
});

test("a symlink loop ends instead of spinning", () => {
  const root = tempRoot();
  symlinkSync("b", join(root, "a"));
  symlinkSync("a", join(root, "b"));
  const entries = pathEntries(join(root, "a"));
  expect(entries.length).toBeGreaterThan(40);
  expect(entries.length).toBeLessThan(50);
});
