import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "./config-schema.ts";
import { watchConfig } from "./watch-config.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

/** The next verdict the watcher reaches, or a failure after a bounded wait. */
function watched(path: string) {
  const verdicts: (Config | Error)[] = [];
  const watch = watchConfig(
    path,
    { onValid: (config) => verdicts.push(config), onInvalid: (error) => verdicts.push(error) },
    20,
  );
  cleanup.push(() => watch.stop());
  return async (count: number): Promise<Config | Error> => {
    for (let i = 0; i < 500 && verdicts.length < count; i++) await Bun.sleep(10);
    const verdict = verdicts[count - 1];
    if (!verdict) throw new Error(`no reload verdict #${count} within 5 s`);
    return verdict;
  };
}

/** Replaces the file by rename, as deploy tools and editors do. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

test("a replaced file is reloaded; an invalid one is reported; a later valid one is picked up", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-watch-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "mindgw.yaml");
  writeFileSync(path, "server: { port: 1 }\n");
  const verdict = watched(path);

  replace(path, "server: { port: 2 }\n");
  expect(((await verdict(1)) as Config).server.port).toBe(2);

  replace(path, "models: [{ name: m, routes: [{ provider: opnai, model: x }] }]\n");
  const rejected = await verdict(2);
  expect(rejected).toBeInstanceOf(Error);
  expect((rejected as Error).message).toBe('models[0].routes[0].provider: unknown provider "opnai"');

  // Writes in quick succession settle into one reload of the final content.
  replace(path, "models: [{ name: m, routes: [{ provider: opnai, model: x }] }]\n");
  replace(path, "server: { port: 3 }\n");
  expect(((await verdict(3)) as Config).server.port).toBe(3);
});
