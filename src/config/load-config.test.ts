// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { postgresOptions } from "../storage/open-storage.ts";
import { postgresUrl } from "../storage/postgres/postgres-client.ts";
import { ConfigError } from "./config-error.ts";
import { openFileConfigSource } from "./config-source.ts";
import { loadConfigFile } from "./load-config.ts";

describe("loadConfigFile", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const file = async (text: string) => {
    dir = mkdtempSync(join(tmpdir(), "mindgw-config-"));
    const path = join(dir, "mindgw.yaml");
    await Bun.write(path, text);
    return path;
  };

  test("storage.sslrootcert (or the URL's own) missing or a folder: a config error naming the field and the path, at load", async () => {
    // It passed config check, then serve exited 1 with "Unable to access caFile path", naming neither.
    const postgres = (extra: string) =>
      `storage: { driver: postgres, url: "postgres://db:5432/mindgw${extra}", sslmode: verify-full, sslrootcert: ca.pem }\n`;
    const path = await file(postgres(""));
    const refusal = async (text: string) => {
      await Bun.write(path, text);
      return ((await loadConfigFile(path, {}).catch((error: unknown) => error)) as ConfigError).problems;
    };
    const ca = join(dirname(path), "ca.pem");
    const what = "(the PEM file of the CA that signs the server's certificate)";
    expect(await refusal(postgres(""))).toEqual([
      `${path}:1:99: storage.sslrootcert: ${ca}: no such file ${what}`,
    ]);
    expect(await refusal(postgres("?sslrootcert=/nonexistent/root.pem"))).toEqual([
      `storage.url's sslrootcert: /nonexistent/root.pem: no such file ${what}`,
    ]);
    expect(await refusal(postgres(`?sslrootcert=${tmpdir()}`))).toEqual([
      `storage.url's sslrootcert: ${tmpdir()}: a folder, not a file ${what}`,
    ]);
    await Bun.write(ca, "-----BEGIN CERTIFICATE-----\n");
    await Bun.write(path, postgres(""));
    expect((await loadConfigFile(path, {})).storage.sslrootcert).toBe(ca);
  });

  test("sslrootcert=system (libpq's system CA store, in the URL or the field) is no file: accepted as written, and it means verify-full, as libpq", async () => {
    // It was refused as "storage.url's sslrootcert: system: no such file"; Bun's client takes it.
    const inUrl = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslmode=verify-full&sslrootcert=system' }\n",
    );
    expect((await loadConfigFile(inUrl, {})).storage.url).toContain("sslrootcert=system");
    // Without a sslmode it connected with prefer: a certificate not checked, or no TLS at all.
    const inField = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslrootcert: system }\n",
    );
    const storage = (await loadConfigFile(inField, {})).storage;
    expect(storage.sslrootcert).toBe("system");
    expect(postgresUrl(postgresOptions(storage))).toBe(
      "postgres://db:5432/mindgw?sslmode=verify-full&sslrootcert=system",
    );
    const urlOnly = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslrootcert=system' }\n",
    );
    expect(postgresUrl(postgresOptions((await loadConfigFile(urlOnly, {})).storage))).toBe(
      "postgres://db:5432/mindgw?sslrootcert=system&sslmode=verify-full",
    );
    const plain = await file("storage: { driver: postgres, url: 'postgres://db:5432/mindgw' }\n");
    expect(postgresUrl(postgresOptions((await loadConfigFile(plain, {})).storage))).toBe(
      "postgres://db:5432/mindgw?sslmode=prefer",
    );
  });

  test("sslrootcert=system with a weaker sslmode is refused, as libpq refuses it", async () => {
    const refused = async (text: string) =>
      (
        (await loadConfigFile(await file(text), {}).catch((error: unknown) => error)) as ConfigError
      ).problems.map((problem) => problem.replace(/^.*mindgw\.yaml:\d+:\d+: /, ""));
    const why =
      "with sslrootcert system: the system's CA store is used with verify-full only, as libpq refuses a weaker mode (write verify-full, or leave sslmode out)";
    expect(
      await refused(
        "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslmode: prefer, sslrootcert: system }\n",
      ),
    ).toEqual([`storage.sslmode: prefer ${why}`]);
    expect(
      await refused(
        "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslmode=verify-ca&sslrootcert=system' }\n",
      ),
    ).toEqual([`storage.url's sslmode: verify-ca ${why}`]);
  });

  test("a missing storage.sslrootcert is said with the config's other problems, not after them", async () => {
    const path = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslrootcert: ca.pem }\nmodels: [{ name: m, routes: [{ provider: opnai, model: x }] }]\n",
    );
    const refused = (await loadConfigFile(path, {}).catch((error: unknown) => error)) as ConfigError;
    // In the order the file writes them: the store's line first.
    expect(refused.problems).toEqual([
      `${path}:1:77: storage.sslrootcert: ${join(dirname(path), "ca.pem")}: no such file (the PEM file of the CA that signs the server's certificate)`,
      `${path}:2:42: models[0].routes[0].provider: unknown provider "opnai"`,
    ]);
  });

  test("reads YAML with interpolation", async () => {
    const path = await file("server:\n  port: ${PORT:-9090}\nproviders:\n  - { name: demo, type: mock }\n");
    const config = await loadConfigFile(path, {});
    expect(config.server.port).toBe(9090);
    expect(config.providers[0]?.name).toBe("demo");
  });

  test("a missing file and broken YAML are config errors that say so", async () => {
    const missing = await loadConfigFile("/nonexistent/mindgw.yaml", {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toContain("no such file");
    // `mindgw serve -c` reads through the watched source: the same words.
    for (const load of [loadConfigFile, openFileConfigSource]) {
      const folder = await load(tmpdir(), {}).catch((e: unknown) => e);
      expect((folder as ConfigError).message).toBe(`${tmpdir()}: a folder, not a config file`);
    }
    const path = await file("models: [ { name: m\n  : :\n");
    const broken = await loadConfigFile(path, {}).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ConfigError);
    expect((broken as ConfigError).message).toContain("not valid YAML");
    // Placed as a refused field is, each error on a line of its own: no excerpt, no "at line" words.
    for (const problem of (broken as ConfigError).problems)
      expect(problem).toMatch(
        new RegExp(`^${RegExp.escape(path)}:\\d+:\\d+: not valid YAML: [^\\n]+[^:\\n]$`),
      );
    expect((broken as ConfigError).message).not.toContain("at line");
  });

  test("a device or a pipe is read for what it holds: -c /dev/null is an empty file, not a missing one", async () => {
    const empty = await loadConfigFile("/dev/null", {}).catch((e: unknown) => e);
    expect((empty as ConfigError).message).toBe("/dev/null: the file is empty");
    // A file that is there and cannot be read is a config error naming it (exit 2), not a raw EACCES.
    const notAFolder = await loadConfigFile("/dev/null/config.yaml", {}).catch((e: unknown) => e);
    expect((notAFolder as ConfigError).message).toBe("/dev/null/config.yaml: no such file");
  });

  test("a device or a pipe that never ends (-c /dev/zero) is refused past 8 MiB, not read until memory runs out", async () => {
    const endless = await loadConfigFile("/dev/zero", {}).catch((e: unknown) => e);
    expect(endless).toBeInstanceOf(ConfigError);
    expect((endless as ConfigError).message).toBe(
      "/dev/zero: not a file, and it gave more than 8 MiB: not a config file",
    );
  });

  test("relative storage paths resolve from the config file's folder, not the working directory", async () => {
    const path = await file("storage: { path: ./state/gw.db }\n");
    expect((await loadConfigFile(path, {})).storage.path).toBe(join(dirname(path), "state/gw.db"));
    const defaults = await file("server: {}\n");
    expect((await loadConfigFile(defaults, {})).storage.path).toBe(join(dirname(defaults), "data/mindgw.db"));
    const absolute = await file("storage: { path: /var/lib/mindgw/gw.db }\n");
    expect((await loadConfigFile(absolute, {})).storage.path).toBe("/var/lib/mindgw/gw.db");
  });

  test("a provider's relative credential files resolve from the config file's folder too: service_account, entra.federated_token_file", async () => {
    const path = await file(
      [
        "providers:",
        "  - { name: v, type: vertex, project: p, location: us-central1, service_account: ./keys/sa.json }",
        '  - { name: i, type: vertex, project: p, location: us-central1, service_account: \'{"type": "service_account"}\' }',
        "  - { name: az, type: azure, base_url: 'https://r.openai.azure.com', api_version: v1,",
        "      entra: { tenant_id: t, client_id: c, federated_token_file: token } }",
        "",
      ].join("\n"),
    );
    const [vertex, inline, azure] = (await loadConfigFile(path, {})).providers;
    expect(vertex?.service_account).toBe(join(dirname(path), "keys/sa.json"));
    // Inline JSON is no path.
    expect(inline?.service_account).toBe('{"type": "service_account"}');
    expect(azure?.entra?.federated_token_file).toBe(join(dirname(path), "token"));
  });

  test("an empty file, or one that is not a mapping, is rejected (a deploy gone wrong, not 'no routes')", async () => {
    for (const text of ["", "  \n\n", "# only a comment\n", "just text\n", "- a\n- b\n"]) {
      await expect(loadConfigFile(await file(text), {})).rejects.toBeInstanceOf(ConfigError);
    }
    // A file of only defaults is still a valid config, when it says so.
    expect((await loadConfigFile(await file("server: {}\n"), {})).server.port).toBe(8080);
  });
});
