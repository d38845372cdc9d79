import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { listenToEvents } from "./harness/event-stream.ts";
import { freePort } from "./harness/free-port.ts";
import { ask, hotReloadFixture, model } from "./harness/hot-reload-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Config hot reload through the binary (harness/hot-reload-fixture.ts, split from
 * hot-reload.test.ts): restart-only settings reported, waited on and undone, and rejected edits
 * undone while one waits.
 */

const hr = hotReloadFixture({ gateway: false });
const { fx, providers } = hr;

describe("restart-only settings", () => {
  test("cluster: added to a running node's file is reported as restart required, not joined", async () => {
    // On PostgreSQL, so that the edited file is valid: only what cluster: is changes.
    const postgres = await startPostgres();
    fx.deferTest(() => postgres.stop());
    const config = {
      storage: { driver: "postgres", url: await postgres.createDatabase("reload"), sslmode: "disable" },
      providers: providers(),
      models: [model("m1", "a")],
    };
    const node = await fx.spawn({ config });
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as { config: { version: number; restartRequired: string[] }; cluster?: unknown };
    // A Redis nobody listens on: the node must not try it, or show a cluster in its status.
    const cluster = {
      redis_url: `redis://127.0.0.1:${freePort()}`,
      advertise_url: node.url,
      secret: "0123456789abcdef0123",
    };
    await node.writeConfig({ ...config, models: [model("m1", "a"), model("m2", "a")], cluster });
    const after = await waitFor("the edit to apply", async () => {
      const current = await statusOf();
      return current.config.version === 2 ? current : undefined;
    });
    expect(after.config.restartRequired).toEqual(["cluster"]);
    expect(after.cluster).toBeUndefined();
    await waitFor("the restart-required warning", () =>
      node.stderr.all.includes("restart required for: cluster"),
    );
    // The rest of the edit is applied.
    const m2 = await fetch(`${node.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${node.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m2", messages: ask() }),
    });
    expect(m2.status).toBe(200);
  });

  test("a restart-only edit: SIGHUP says the restart still waits; put back as at start it applies nothing, no new version", async () => {
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as { config: { version: number; restartRequired: string[] } };
    await node.writeConfig({ ...config, workers: { max_message: "2MB" } });
    await waitFor("the restart-required warning", () =>
      node.stderr.all.includes("config change not applied: restart required for: workers.max_message"),
    );
    expect((await statusOf()).config).toMatchObject({ version: 1, restartRequired: ["workers.max_message"] });
    // SIGHUP with the file as it is: unchanged, but the restart it waits for is still said.
    node.proc.kill("SIGHUP");
    await waitFor("the SIGHUP's answer", () =>
      node.stderr.all.includes("config file unchanged; restart still required for: workers.max_message"),
    );
    expect(node.stderr.all).not.toContain("nothing to reload");
    await node.writeConfig(config);
    await waitFor("the edit put back", () =>
      node.stderr.all.includes("restart-only settings back as at start (version 1 serves on)"),
    );
    expect((await statusOf()).config).toMatchObject({ version: 1, restartRequired: [] });
    expect(node.stderr.all).not.toContain("config reloaded");
  });

  test("an edit that undoes a restart-only and a rejected one is published as config.restored: the status's last event says it is over", async () => {
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const stream = listenToEvents(node);
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as {
        config: {
          version: number;
          lastReloadError: string | null;
          restartRequired: string[];
          lastEvent: unknown;
        };
      };
    const configTypes = (): string[] =>
      stream.events.filter((e) => e.type.startsWith("config.")).map((e) => e.type);
    const until = (types: string[]) =>
      waitFor(`config events ${types.join(", ")}`, () => configTypes().length >= types.length, 15_000).then(
        () => expect(configTypes()).toEqual(types),
      );
    try {
      await stream.ready;
      // The auditor's steps: a restart-only edit, then an invalid one, then the file as at start.
      await node.writeConfig({ ...config, server: { idle_timeout: "40s" } });
      await until(["config.restart_required"]);
      await node.writeConfig({ ...config, bogus_top: 1 });
      await until(["config.restart_required", "config.rejected"]);
      await node.writeConfig(config);
      await until(["config.restart_required", "config.rejected", "config.restored"]);
      expect(stream.events.at(-1)).toMatchObject({ type: "config.restored", version: 1 });
      expect((await statusOf()).config).toMatchObject({
        version: 1,
        lastReloadError: null,
        restartRequired: [],
        lastEvent: { type: "config.restored", version: 1 },
      });
      // A rejection alone, undone, says so too.
      const earlier = ["config.restart_required", "config.rejected", "config.restored"];
      await node.writeConfig({ ...config, bogus_top: 1 });
      await until([...earlier, "config.rejected"]);
      await node.writeConfig(config);
      await until([...earlier, "config.rejected", "config.restored"]);
      await waitFor("the log's line", () => node.stderr.all.includes("the rejected edit is undone"));
      // An edit of nothing in force, with nothing pending, settles nothing: no event for it.
      const commented = stringify({ storage: { path: `${node.dir}/mindgw.db` }, ...config });
      await node.writeConfig(`${commented}# a comment\n`);
      await waitFor("the comment read", () => node.stderr.all.includes("nothing in force differs"));
      await node.writeConfig({ ...config, models: [model("m2", "a")] });
      await until([...earlier, "config.rejected", "config.restored", "config.reloaded"]);
    } finally {
      stream.close();
    }
  });
});

describe("a rejected edit undone while a restart-only edit waits", () => {
  test("is published as config.restored carrying what still waits, logged as the undo and counted as restored, not as a second restart_required", async () => {
    // It was config.restart_required with nothing said of the undo, counted restart_required twice.
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const stream = listenToEvents(node);
    const admin = { headers: { authorization: `Bearer ${node.adminKey}` } };
    const configTypes = (): string[] =>
      stream.events.filter((e) => e.type.startsWith("config.")).map((e) => e.type);
    const until = (types: string[]) =>
      waitFor(`config events ${types.join(", ")}`, () => configTypes().length >= types.length, 15_000).then(
        () => expect(configTypes()).toEqual(types),
      );
    try {
      await stream.ready;
      const waiting = { ...config, server: { idle_timeout: "40s" } };
      await node.writeConfig(waiting);
      await until(["config.restart_required"]);
      await node.writeConfig({ ...waiting, bogus_top: 1 });
      await until(["config.restart_required", "config.rejected"]);
      await node.writeConfig(waiting);
      await until(["config.restart_required", "config.rejected", "config.restored"]);
      expect(stream.events.at(-1)).toMatchObject({
        type: "config.restored",
        version: 1,
        restartRequired: ["server.idle_timeout"],
      });
      const status = (await (await fetch(`${node.url}/admin/api/status`, admin)).json()) as {
        config: object;
      };
      expect(status.config).toMatchObject({
        version: 1,
        lastReloadError: null,
        restartRequired: ["server.idle_timeout"],
        lastEvent: { type: "config.restored", restartRequired: ["server.idle_timeout"] },
      });
      await waitFor("the undo logged", () =>
        node.stderr.all.includes(
          "the rejected edit is undone, the file as in force; restart still required for: server.idle_timeout (version 1 serves on)",
        ),
      );
      const metrics = await (await fetch(`${node.url}/metrics`, admin)).text();
      for (const [result, count] of [
        ["restart_required", 1],
        ["rejected", 1],
        ["restored", 1],
        ["applied", 0],
      ] as const)
        expect(metrics).toContain(`mindgw_config_reloads_total{result="${result}"} ${count}\n`);
    } finally {
      stream.close();
    }
  });
});
