import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { openFileConfigSource } from "../config/config-source.ts";
import { silentLogger } from "../log/logger.ts";
import { createGateway, type Gateway } from "./create-gateway.ts";

// A valid file after a rejected one is an undo (config.restored) only when it is the file last
// accepted again; a new restart-only edit written after the rejection is a restart required, so
// that whoever pages on config.restart_required hears of it.

const dir = mkdtempSync(join(tmpdir(), "mindgw-reload-restored-"));
const file = join(dir, "gw.yaml");
const yaml = (level: string, extra = "") =>
  `storage: { path: '${join(dir, "gw.db")}' }\nlog: { level: ${level} }\nproviders:\n  - { name: a, type: mock }\nmodels:\n  - { name: m, routes: [{ provider: a, model: x }] }\n${extra}`;

let gateway: Gateway;
/** The config events published since the test began, without their time. */
const published: Omit<GatewayEvent, "at">[] = [];
const logged: string[] = [];
const keep = (level: string) => (message: string) => logged.push(`${level}: ${message}`);

beforeAll(async () => {
  writeFileSync(file, yaml("info"));
  gateway = await createGateway({
    configSource: await openFileConfigSource(file),
    logger: { ...silentLogger, info: keep("info"), warn: keep("warn"), error: keep("error") },
    events: [
      {
        publish: ({ at: _at, ...event }) => {
          if (event.type.startsWith("config.")) published.push(event);
        },
      },
    ],
    onBootstrapKey: () => {},
  });
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` and reloads; what the reload published and logged of the config. */
async function reloadTo(text: string): Promise<{ published: unknown[]; logged: string[] }> {
  published.length = 0;
  logged.length = 0;
  writeFileSync(file, text);
  await gateway.reload();
  return { published: [...published], logged: logged.filter((line) => line.includes("config")) };
}

test("a new restart-only edit right after a rejected one is a restart required, not the rejection undone", async () => {
  expect((await reloadTo(yaml("info", "bogus: 1\n"))).published).toEqual([
    { type: "config.rejected", error: `${file}:7:1: bogus: unknown field` },
  ]);
  const edit = await reloadTo(yaml("debug"));
  expect(edit.published).toEqual([{ type: "config.restart_required", version: 1, restartRequired: ["log"] }]);
  expect(edit.logged).toEqual([
    "warn: config change not applied: restart required for: log (nothing else changed; version 1 serves on)",
  ]);
});

test("the same file again after a rejection, while a restart-only edit waits, is the rejection undone", async () => {
  expect((await reloadTo(yaml("debug", "bogus: 1\n"))).published).toEqual([
    { type: "config.rejected", error: `${file}:7:1: bogus: unknown field` },
  ]);
  const undo = await reloadTo(yaml("debug"));
  expect(undo.published).toEqual([{ type: "config.restored", version: 1, restartRequired: ["log"] }]);
  expect(undo.logged).toEqual([
    "info: config change applies nothing: the rejected edit is undone, the file as in force; restart still required for: log (version 1 serves on)",
  ]);
});
