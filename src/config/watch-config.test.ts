import { afterEach, expect, spyOn, test } from "bun:test";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForValue } from "../testing/wait-for.ts";
import type { Config } from "./config-schema.ts";
import { REFUSED_FOR_NOW, type WatchOptions, watchConfig } from "./watch-config.ts";
import * as yamlText from "./yaml-text.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

/** A watch on `path` recording its verdicts and holds; `verdict(n)` waits (bounded) for the nth. */
function watched(path: string, options: WatchOptions = {}) {
  const verdicts: (Config | Error)[] = [];
  const held: string[] = [];
  const watch = watchConfig(
    path,
    {
      onValid: (config) => {
        verdicts.push(config);
      },
      onInvalid: (error) => {
        verdicts.push(error);
      },
      onHeld: (reason) => {
        held.push(reason);
      },
    },
    { settleMs: 20, ...options },
  );
  cleanup.push(() => watch.stop());
  const verdict = (count: number) => waitForValue(`reload verdict #${count}`, () => verdicts[count - 1]);
  return Object.assign(verdict, { verdicts, held, watch });
}

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-watch-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "mindgw.yaml");
  writeFileSync(path, text);
  return path;
}

/**
 * A wait the test ends: confirmation reads happen exactly when the test says. Settle reads follow
 * at once: every write these tests make is done before they await, so no time needs to pass for
 * two reads to agree.
 */
function confirmGate() {
  const pending: (() => void)[] = [];
  const wait = (_ms: number, why: "settle" | "confirm") =>
    why === "settle" ? Promise.resolve() : new Promise<void>((resolve) => pending.push(resolve));
  const release = () => {
    for (const resolve of pending.splice(0)) resolve();
  };
  return { wait, release };
}

// A file written in two parts: the first part alone is valid YAML and a valid config, with the
// models (and everything after them) not yet written.
const PROVIDERS = "providers:\n  - { name: p, type: openai, base_url: 'http://127.0.0.1:9/v1' }\n";
const modelsPart = (...names: string[]) =>
  `models:\n${names.map((name) => `  - { name: ${name}, routes: [{ provider: p, model: x }] }\n`).join("")}`;

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
  expect((rejected as Error).message).toBe(
    `${path}:1:42: models[0].routes[0].provider: unknown provider "opnai"`,
  );

  // Writes in quick succession settle into one reload of the final content.
  replace(path, "models: [{ name: m, routes: [{ provider: opnai, model: x }] }]\n");
  replace(path, "server: { port: 3 }\n");
  expect(((await verdict(3)) as Config).server.port).toBe(3);
});

test("a reload parses the new text once: the applied config's document is kept, not parsed again", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1", "m2"));
  const parses = spyOn(yamlText, "parseYaml");
  cleanup.push(() => parses.mockRestore());
  const verdict = watched(path, { wait: () => Promise.resolve() });
  replace(path, PROVIDERS + modelsPart("m1", "m2", "m3"));
  await verdict(1);
  // The start's text once (kept for the next change), the new text once.
  expect(parses).toHaveBeenCalledTimes(2);
  replace(path, PROVIDERS + modelsPart("m1", "m2", "m3", "m4"));
  await verdict(2);
  expect(parses).toHaveBeenCalledTimes(3);
});

test("a file caught half-written (still valid YAML) is not applied; the whole file is", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1"));
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });

  // Written in place in two parts, as a copy over the file or an editor without rename would.
  const fd = openSync(path, "w");
  writeSync(fd, PROVIDERS);
  const reason = await waitForValue("the half-written file held", () => verdict.held[0]);
  expect(reason).toContain("removes models");
  writeSync(fd, modelsPart("m1", "m2"));
  closeSync(fd);
  gate.release();

  const applied = (await verdict(1)) as Config;
  expect(applied.models.map((model) => model.name)).toEqual(["m1", "m2"]);
  // Every reload queued by the writes has run: the half file was never applied.
  await verdict.watch.reload();
  expect(verdict.verdicts).toHaveLength(1);
});

test("a file caught truncated or cut into invalid YAML is held, not refused; the whole file applies with no refusal between", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1"));
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });

  // Truncated in place (open "w") and caught before the writer's first bytes: an empty file.
  const fd = openSync(path, "w");
  expect(await waitForValue("the emptied file held", () => verdict.held[0])).toContain("the change removes");
  // Then caught mid-way, inside a flow mapping: not valid YAML.
  writeSync(fd, `${PROVIDERS}models:\n  - { name: m1, routes: [{ provi`);
  gate.release();
  await waitForValue("the cut file held", () => verdict.held[1]);
  writeSync(fd, "der: p, model: y }] }\n");
  closeSync(fd);
  gate.release();

  expect(((await verdict(1)) as Config).models[0]?.routes[0]?.model).toBe("y");
  await verdict.watch.reload();
  expect(verdict.verdicts).toHaveLength(1);
});

test("an invalid edit with no sign of a cut is refused at once, without a hold", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1"));
  const verdict = watched(path, { wait: confirmGate().wait });
  replace(path, `${PROVIDERS}models:\n  - { name: m1, routes: [{ provider: opnai, model: x }] }\n`);
  expect(await verdict(1)).toBeInstanceOf(Error);
  expect(verdict.held).toEqual([]);
});

test("a change that removes every model applies once the file still reads the same", async () => {
  const path = tempConfig(`${PROVIDERS + modelsPart("m1", "m2")}tenants:\n  - { name: t1 }\n`);
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });

  replace(path, PROVIDERS);
  const reason = await waitForValue("the removal held", () => verdict.held[0]);
  expect(reason).toContain("removes models, tenants");
  expect(verdict.verdicts).toHaveLength(0);
  gate.release();
  const applied = (await verdict(1)) as Config;
  expect(applied.models).toEqual([]);
  expect(applied.tenants).toEqual([]);
});

test("edits that keep every section apply without a hold", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1", "m2"));
  const verdict = watched(path, { wait: confirmGate().wait });
  replace(path, PROVIDERS + modelsPart("m2", "m3"));
  expect(((await verdict(1)) as Config).models.map((model) => model.name)).toEqual(["m2", "m3"]);
  expect(verdict.held).toEqual([]);
});

test("a file cut mid-list at a line end, its writer pausing, is held; the whole file applies", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1", "m2", "m3"));
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });

  // An in-place writer (rsync --inplace, a tool flushing as it goes) pausing after the first
  // model of four: a valid config that has lost m2 and m3.
  const fd = openSync(path, "w");
  writeSync(fd, PROVIDERS + modelsPart("m1"));
  const reason = await waitForValue("the cut file held", () => verdict.held[0]);
  expect(reason).toBe(
    "the change removes models (3 → 1); applied only if the file still reads the same in 2000 ms",
  );
  writeSync(fd, modelsPart("m2", "m3", "m4").replace("models:\n", ""));
  closeSync(fd);
  gate.release();

  const applied = (await verdict(1)) as Config;
  expect(applied.models.map((model) => model.name)).toEqual(["m1", "m2", "m3", "m4"]);
  await verdict.watch.reload();
  expect(verdict.verdicts).toHaveLength(1);
});

test("a file cut mid-line (a value cut short, still valid) is held; the whole file applies", async () => {
  const route = (model: string) =>
    `${PROVIDERS}models:\n  - name: m1\n    routes:\n      - provider: p\n        model: ${model}\n`;
  const path = tempConfig(route("llama-8b"));
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });

  // Cut in the middle of the edited value: nothing is missing, but the model reads `llama-7`.
  const fd = openSync(path, "w");
  writeSync(fd, route("llama-7").trimEnd());
  expect(await waitForValue("the cut file held", () => verdict.held[0])).toStartWith(
    "the change ends mid-line;",
  );
  writeSync(fd, "0b\n");
  closeSync(fd);
  gate.release();

  const applied = (await verdict(1)) as Config;
  expect(applied.models[0]?.routes[0]?.model).toBe("llama-70b");
  expect(verdict.held).toHaveLength(1);
});

test("a change held when the watch stops is never applied (the gateway is stopping)", async () => {
  const path = tempConfig(PROVIDERS + modelsPart("m1", "m2"));
  const gate = confirmGate();
  const verdict = watched(path, { wait: gate.wait });
  replace(path, PROVIDERS);
  await waitForValue("the removal held", () => verdict.held[0]);
  verdict.watch.stop();
  gate.release();
  // One reload at a time: this one runs once the held one has ended.
  expect(await verdict.watch.reload()).toBe(false);
  expect(verdict.verdicts).toEqual([]);
});

test("a file edited after the config in effect was read, before the watch started, is applied at once", async () => {
  const startedFrom = PROVIDERS + modelsPart("m1");
  const path = tempConfig(PROVIDERS + modelsPart("m1", "m9"));
  // No event will come for that edit: the watch starts after it.
  const verdict = watched(path, { initialText: startedFrom });
  const applied = (await verdict(1)) as Config;
  expect(applied.models.map((model) => model.name)).toEqual(["m1", "m9"]);

  // Started from the text the file still has: nothing to apply.
  const same = watched(tempConfig(startedFrom), { initialText: startedFrom });
  expect(await same.watch.reload()).toBe(false);
  expect(same.verdicts).toEqual([]);
});

test("a file that changes on every settle read is refused as still being written", async () => {
  const path = tempConfig("server: { port: 1 }\n");
  let writes = 0;
  // Each settle read finds the file rewritten since the last one: the injected wait is the
  // writer, so no time has to pass between the reads.
  const wait = async () => {
    if (writes < 25) writeFileSync(path, `server: { port: ${100 + ++writes} }\n`);
  };
  const verdict = watched(path, { wait });
  const refused = (await verdict.watch.reload().then(() => verdict(1))) as Error;
  expect(refused).toBeInstanceOf(Error);
  expect(refused.message).toContain("still being written");
});

test("a Kubernetes ConfigMap update (the ..data symlink swapped) is reloaded", async () => {
  const root = mkdtempSync(join(tmpdir(), "mindgw-configmap-"));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  const version = (name: string, port: number) => {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, "config.yaml"), `server: { port: ${port} }\n`);
  };
  version("..v1", 1);
  symlinkSync("..v1", join(root, "..data"));
  symlinkSync("..data/config.yaml", join(root, "config.yaml"));
  const verdict = watched(join(root, "config.yaml"));

  // What kubelet does: the new version's folder, a new link beside ..data, renamed over it.
  const swap = (name: string) => {
    symlinkSync(name, join(root, "..data_tmp"));
    renameSync(join(root, "..data_tmp"), join(root, "..data"));
  };
  version("..v2", 2);
  swap("..v2");
  expect(((await verdict(1)) as Config).server.port).toBe(2);
  // It then removes the old version; the watch has moved on to the new one.
  rmSync(join(root, "..v1"), { recursive: true });
  version("..v3", 3);
  swap("..v3");
  expect(((await verdict(2)) as Config).server.port).toBe(3);
});

test("the file a symlink leads to, edited in place in another folder, is reloaded", async () => {
  const root = mkdtempSync(join(tmpdir(), "mindgw-linked-"));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "shared"));
  mkdirSync(join(root, "etc"));
  const target = join(root, "shared", "real.yaml");
  writeFileSync(target, "server: { port: 1 }\n");
  symlinkSync(target, join(root, "etc", "mindgw.yaml"));
  const verdict = watched(join(root, "etc", "mindgw.yaml"));
  writeFileSync(target, "server: { port: 2 }\n");
  expect(((await verdict(1)) as Config).server.port).toBe(2);
});

test("a missing or unreadable file is a refused change, not 'unchanged'; back again, it applies", async () => {
  const path = tempConfig("server: { port: 1 }\n");
  const verdict = watched(path);
  rmSync(path);
  // The watch sees the removal; a SIGHUP while it is gone says the same.
  const gone = (await verdict(1)) as Error;
  expect(gone).toBeInstanceOf(Error);
  expect(gone.message).toBe(`${path}: cannot be read: no such file`);
  expect(await verdict.watch.reload()).toBe(true);
  expect(((await verdict(2)) as Error).message).toContain("no such file");
  // Back with the very text it had: applied, so the error is over.
  writeFileSync(path, "server: { port: 1 }\n");
  expect(((await verdict(3)) as Config).server.port).toBe(1);

  mkdirSync(`${path}.d`);
  rmSync(path);
  symlinkSync(`${path}.d`, path);
  expect(((await verdict(4)) as Error).message).toBe(`${path}: cannot be read: it is a directory`);
});

/**
 * A watch whose `onValid` refuses for now each config `refuse` picks (what it needs did not load),
 * recording every config it is told; the file already reads `text`, edited from `inForce` before
 * the watch started, so it is read at once and no event comes for it.
 */
function refusingForNow(
  inForce: string,
  text: string,
  refuse: (config: Config) => boolean,
  wait?: WatchOptions["wait"],
) {
  const path = tempConfig(text);
  const told: Config[] = [];
  const held: string[] = [];
  const watch = watchConfig(
    path,
    {
      onValid: async (config) => {
        told.push(config);
        return refuse(config) ? REFUSED_FOR_NOW : undefined;
      },
      onInvalid: () => {},
      onHeld: (reason) => {
        held.push(reason);
      },
    },
    { settleMs: 20, initialText: inForce, ...(wait ? { wait } : {}) },
  );
  cleanup.push(() => watch.stop());
  return { path, told, held, watch };
}

const modelNames = (config: Config | undefined) => config?.models.map((model) => model.name);

test("a config refused for now (what it needs did not load) is read again by the next reload of the same text", async () => {
  let refusals = 1;
  const { told, watch } = refusingForNow(
    PROVIDERS + modelsPart("m1"),
    PROVIDERS + modelsPart("m1", "m2"),
    () => refusals-- > 0,
  );
  await waitForValue("the refused config told", () => told[0]);
  // A SIGHUP once what it needs is loaded: the same text, a change still to apply, not "unchanged".
  expect(await watch.reload()).toBe(true);
  expect(told.map(modelNames)).toEqual([
    ["m1", "m2"],
    ["m1", "m2"],
  ]);
  // Taken now: the same text again is unchanged.
  expect(await watch.reload()).toBe(false);
});

test("after a config refused for now, the next change is compared with the config in force, not the refused one", async () => {
  const gate = confirmGate();
  cleanup.push(gate.release);
  const { path, told, held } = refusingForNow(
    PROVIDERS + modelsPart("m1", "m2"),
    PROVIDERS + modelsPart("m1", "m2", "m3", "m4"),
    (config) => config.models.length === 4,
    gate.wait,
  );
  await waitForValue("the refused config told", () => told[0]);
  // Removes m4 from the refused text, yet adds m3 to the config in force: nothing to hold.
  replace(path, PROVIDERS + modelsPart("m1", "m2", "m3"));
  const taken = await waitForValue("the next change applied or held", () =>
    told.find((config) => config.models.length === 3) ? "applied" : held[0],
  );
  expect(taken).toBe("applied");
  expect(held).toEqual([]);
});

test("a reload does not check the store's CA file again: an unrelated edit applies while it is briefly missing", async () => {
  // The store's settings are restart-only: a reload never opens the file, so a CA file being
  // replaced (missing a moment) must not refuse the edit; start and `config check` check it.
  const storage =
    "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslmode: verify-full, sslrootcert: db-ca.pem }\n";
  const path = tempConfig(`${storage}server: { port: 1 }\n`);
  const verdict = watched(path);
  replace(path, `${storage}server: { port: 2 }\n`);
  expect(((await verdict(1)) as Config).server.port).toBe(2);
});
