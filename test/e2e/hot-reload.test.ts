import { describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ask, hotReloadFixture, model } from "./harness/hot-reload-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 2, config hot reload through the binary: the file is replaced by rename (as deploy
 * tools do); a valid edit swaps in without a restart while in-flight requests finish on the
 * old config; an invalid edit is rejected, logged and shown in the admin status, and the old
 * config keeps serving until a later valid edit.

 * (harness/hot-reload-fixture.ts). Restart-only settings: hot-reload-restart-only.test.ts; what a
 * reload carries over from the start: hot-reload-carried-over.test.ts.
 */

const hr = hotReloadFixture();
const { fx, providers, client, status, servedBy, waitForStatus, waitForVersion } = hr;

describe("hot reload", () => {
  test("a valid edit swaps in without a restart; an in-flight stream finishes on the old config", async () => {
    expect(await servedBy("m1")).toBe("m1-a");
    expect(await servedBy("m2")).toBe(404);
    const before = await status();

    const stream = await client().chat.completions.create({
      model: "m1",
      messages: ask("[[fake:chunks=20,chunk-delay=100]] a long story"),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);

    // m1 moves to `b`, and m2 appears.
    await fx.gw.writeConfig({ providers: providers(), models: [model("m1", "b"), model("m2", "b")] });
    await waitForVersion(before.config.version + 1);
    expect(await servedBy("m2")).toBe("m2-b");
    expect(await servedBy("m1")).toBe("m1-b");

    // The stream that started before the reload still comes from `a`, whole.
    let chunks = 1;
    let text = first.done ? "" : (first.value.choices[0]?.delta.content ?? "");
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunks++;
      text += next.value.choices[0]?.delta.content ?? "";
    }
    expect(chunks).toBeGreaterThanOrEqual(20);
    expect(text.length).toBeGreaterThan(0);
    const streamed = hr.a.requests.find((r) => (r.body as { stream?: boolean }).stream === true);
    expect(await streamed?.settled).toBe("completed");
    // Info lines are written within 10 ms, not at once (src/log/batched-write.ts).
    await waitFor("the reload logged", () => fx.gw.stderr.all.includes("config reloaded"));
  });

  test("an invalid edit is rejected: logged, shown in the status, old config keeps serving", async () => {
    const before = await status();
    await fx.gw.writeConfig({
      providers: providers(),
      models: [
        model("m1", "b"),
        model("m2", "b"),
        { name: "m3", routes: [{ provider: "opnai", model: "x" }] },
      ],
    });
    const rejected = await waitForStatus("the rejection in the status", (current) =>
      Boolean(current.config.lastReloadError),
    );
    expect(rejected.config.lastReloadError).toContain(
      'models[2].routes[0].provider: unknown provider "opnai"',
    );
    expect(rejected.config.version).toBe(before.config.version);
    await waitFor("the rejection on stderr", () => fx.gw.stderr.match(/config change rejected/));
    expect(fx.gw.stderr.all).toContain('unknown provider "opnai"');
    expect(await servedBy("m2")).toBe("m2-b");
    expect(await servedBy("m3")).toBe(404);

    // SIGHUP while the file still says the same: rejected still, not "nothing to reload".
    const from = fx.gw.stderr.all.length;
    fx.gw.proc.kill("SIGHUP");
    const answer = await waitFor("the SIGHUP's answer", () =>
      fx.gw.stderr.all.slice(from).match(/config file unchanged and still rejected.*\n.*/),
    );
    expect(answer[0]).toContain('models[2].routes[0].provider: unknown provider "opnai"');
    expect(fx.gw.stderr.all.slice(from)).not.toContain("nothing to reload");
  });

  test("a rejection's log line and status place each problem in the file: file:line:column, a plain value quoted, a variable named", async () => {
    const rejection = async (lines: string[]) => {
      const from = fx.gw.stderr.all.length;
      await fx.gw.writeConfig(`${lines.join("\n")}\n`);
      await waitFor("the rejection on stderr", () =>
        fx.gw.stderr.all.slice(from).includes("config change rejected"),
      );
      return { logged: fx.gw.stderr.all.slice(from), status: (await status()).config.lastReloadError };
    };
    // A text log record is one line: the newlines in its message are written escaped, as "\\n".
    const models = "models: [{ name: m1, routes: [{ provider: a, model: m1-a }] }]";
    const unset = await rejection([
      "providers:",
      `  - { name: a, type: openai, base_url: \${MINDGW_E2E_UNSET_URL} }`,
      models,
    ]);
    const unsetSaid = `${fx.gw.configPath}:2:40: providers[0].base_url: environment variable MINDGW_E2E_UNSET_URL is not set`;
    expect(unset.logged).toContain(
      `config change rejected, still serving the previous config:\\n${unsetSaid}`,
    );
    expect(unset.status).toBe(unsetSaid);
    const literal = await rejection([
      "providers:",
      `  - { name: a, type: openai, base_url: "${hr.a.url}/v1" }`,
      models,
      "log: { format: txt }",
    ]);
    const literalSaid = `${fx.gw.configPath}:4:16: log.format: Invalid option: expected one of "text"|"json" (got "txt")`;
    expect(literal.logged).toContain(
      `config change rejected, still serving the previous config:\\n${literalSaid}`,
    );
    expect(literal.status).toBe(literalSaid);
    expect(await servedBy("m2")).toBe("m2-b");
  });

  test("broken YAML is rejected the same way", async () => {
    const before = await status();
    await fx.gw.writeConfig("models: [ { name: m4\nproviders: : :\n");
    const rejected = await waitForStatus(
      "the YAML rejection",
      (current) => current.config.lastReloadError?.includes("not valid YAML") === true,
    );
    expect(rejected.config.version).toBe(before.config.version);
    expect(await servedBy("m1")).toBe("m1-b");
  });

  test("a later valid edit is picked up and clears the error", async () => {
    const before = await status();
    await fx.gw.writeConfig({ providers: providers(), models: [model("m1", "a"), model("m3", "a")] });
    const after = await waitForVersion(before.config.version + 1);
    expect(after.config.lastReloadError).toBeNull();
    expect(await servedBy("m3")).toBe("m3-a");
    expect(await servedBy("m1")).toBe("m1-a");
    // m2 left the config, so it is gone.
    expect(await servedBy("m2")).toBe(404);
  });
});

describe("hot reload through symlinks", () => {
  /** Whether `model` routes on `target` (a 200), with the key that gateway printed. */
  const routes = async (target: GatewayProcess, model: string) => {
    const response = await fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: ask() }),
    });
    await response.arrayBuffer();
    return response.status === 200;
  };

  test("a Kubernetes ConfigMap update, then an edit of the file its link leads to, are applied", async () => {
    // The tree kubelet mounts (deploy/kubernetes/gateway.yaml mounts one at /etc/mindgw):
    // config.yaml -> ..data/config.yaml, ..data -> ..v1, the files in ..v1/.
    const root = join(fx.dir, "configmap");
    const db = join(fx.dir, "configmap.db");
    const version = (name: string, models: string[]) => {
      mkdirSync(join(root, name), { recursive: true });
      const config = {
        storage: { path: db },
        providers: providers(),
        models: models.map((m) => model(m, "a")),
      };
      writeFileSync(join(root, name, "config.yaml"), stringify(config));
    };
    version("..v1", ["m1"]);
    symlinkSync("..v1", join(root, "..data"));
    symlinkSync("..data/config.yaml", join(root, "config.yaml"));
    const mounted = await fx.spawn({ dir: fx.dir, configPath: join(root, "config.yaml") });
    expect(await routes(mounted, "m1")).toBe(true);
    expect(await routes(mounted, "m-v2")).toBe(false);

    // A ConfigMap update: the new version's folder, then ..data swapped in one rename.
    version("..v2", ["m1", "m-v2"]);
    symlinkSync("..v2", join(root, "..data_tmp"));
    renameSync(join(root, "..data_tmp"), join(root, "..data"));
    await waitFor("the ConfigMap update to apply", () => routes(mounted, "m-v2"));

    // The file the links now lead to, written in place (a symlink to a file edited elsewhere).
    version("..v2", ["m1", "m-v2", "m-edited"]);
    await waitFor("the in-place edit to apply", () => routes(mounted, "m-edited"));
    expect(mounted.stderr.all).not.toContain("rejected");
  });
});
