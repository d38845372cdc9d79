/**
 * The examples of README.md and docs/*.md work as written: users copy them. Each fenced block is
 * checked by its language against the real thing (the config schema, tsc with the project's
 * settings on the package's exports, promtool, the stores' own schemas, the CLI's commander
 * definitions); a block of a language this file does not know fails until it is taught one. A
 * block that cannot be checked as it stands says why in a `<!-- not-checked: reason -->` above it.
 */
import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { cliProgram } from "../../src/cli/run-cli.ts";
import { parseConfig } from "../../src/config/load-config.ts";
import { parseConfigYaml } from "../../src/config/parse-config-yaml.ts";
import { loadYaml } from "../../src/config/yaml-text.ts";
import { postgresFixture } from "../../src/storage/postgres/postgres-storage-fixture.ts";
import { openSqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { runCliCaptured } from "../../src/testing/run-cli-captured.ts";
import { tempDir } from "../e2e/harness/temp-dir.ts";
import { clientSetUps } from "./client-set-ups.ts";
import { blocksOf, codeSpans, docBlocks, placeOf, ROOT, USER_DOCS } from "./doc-blocks.ts";
import {
  cliRefusal,
  commandProblems,
  commentFlagProblems,
  mindgwCommands,
  secretVariables,
  shellLines,
} from "./doc-commands.ts";
import { promtoolProblems } from "./promtool.ts";

/** The languages checked below; `text` and a bare fence are output or drawings, shown, not run. */
const CHECKED = ["yaml", "ts", "typescript", "json", "toml", "sql", "sh", "bash"];
const SHOWN = ["text", ""];

test("every block is of a language this file checks, and every mark says why", () => {
  const blocks = USER_DOCS.flatMap(blocksOf);
  expect(blocks.length).toBeGreaterThan(25);
  const unknown = blocks.filter((block) => ![...CHECKED, ...SHOWN].includes(block.language));
  expect(unknown.map((block) => `${placeOf(block)} ${block.language}`)).toEqual([]);
  const unsaid = blocks.filter((block) => block.notChecked !== undefined && block.notChecked.length < 10);
  expect(unsaid.map(placeOf)).toEqual([]);
});

describe("yaml", () => {
  // The config loader reads YAML with a library it loads first (config/yaml-text.ts).
  beforeAll(() => loadYaml());

  /** A value for each `${VAR}` a block reads, of the shape its field wants where that matters. */
  const envFor = (text: string): Record<string, string> => {
    const shaped: Record<string, string> = {
      DATABASE_URL: "postgres://mindgw:x@db:5432/mindgw",
      REDIS_URL: "redis://redis:6379",
    };
    const names = [...text.matchAll(/\$\{(\w+)/g)].map((match) => match[1] ?? "");
    return Object.fromEntries(names.map((name) => [name, shaped[name] ?? "doc-example-0123456789abcdef"]));
  };

  test("a gateway config, whole or in part, is one the config schema takes", () => {
    const refused: string[] = [];
    let configs = 0;
    for (const block of docBlocks("yaml")) {
      const document = parseConfigYaml(block.text);
      if (isOtherTool(document)) continue;
      configs++;
      // A list of providers is the `providers:` of a config; a mapping is a config's top-level
      // settings, the rest left to their defaults (a config of `{}` is whole: parseConfig({})).
      const config = Array.isArray(document) ? { providers: document } : document;
      try {
        parseConfig(config, envFor(block.text));
      } catch (error) {
        refused.push(`${placeOf(block)}: ${String(error)} ${JSON.stringify(problemsOf(error))}`);
      }
    }
    expect(configs).toBeGreaterThan(10);
    expect(refused).toEqual([]);
  });

  test("a Prometheus scrape config or rule file passes promtool", () => {
    const prometheus = docBlocks("yaml").filter((block) => {
      const document = parseConfigYaml(block.text);
      return isOtherTool(document) && ("scrape_configs" in document || "groups" in document);
    });
    expect(prometheus.length).toBeGreaterThan(0);
    const dir = tempDir("mindgw-doc-prometheus-");
    try {
      const problems = prometheus.flatMap((block) =>
        promtoolProblems(block.text, dir.file(`${block.line}.yml`)).map((p) => `${placeOf(block)}: ${p}`),
      );
      expect(problems).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });

  test("the Grafana dashboard's queries are PromQL promtool takes", async () => {
    const dashboard = (await Bun.file(join(ROOT, "docs/observability/mindgw-dashboard.json")).json()) as {
      panels: { targets?: { expr: string }[] }[];
    };
    // Each query a recording rule of one file, Grafana's own range variable given a value.
    const rules = dashboard.panels
      .flatMap((panel) => panel.targets ?? [])
      .map((target, at) => ({
        record: `dashboard:query_${at}`,
        expr: target.expr.replaceAll("$__rate_interval", "5m"),
      }));
    expect(rules.length).toBeGreaterThan(10);
    const dir = tempDir("mindgw-doc-dashboard-");
    try {
      const text = stringify({ groups: [{ name: "dashboard", rules }] });
      expect(promtoolProblems(text, dir.file("dashboard.yml"))).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });
});

/** What is no gateway config: Prometheus's files, Kubernetes manifests, Compose files. */
function isOtherTool(document: unknown): document is Record<string, unknown> {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return false;
  return ["scrape_configs", "groups", "apiVersion", "services"].some((key) => key in document);
}

const problemsOf = (error: unknown): unknown =>
  error !== null && typeof error === "object" && "problems" in error ? error.problems : undefined;

test("ts blocks and inline client set-ups compile against the package's exports with the project's settings", async () => {
  // docs/EMBEDDING.md's blocks are compiled by src/embedding-types.test.ts, in their order and with
  // what they leave to the reader declared (`auth`, `storage`, …): one example across blocks.
  const blocks = docBlocks("ts", "typescript").filter((block) => block.file !== "docs/EMBEDDING.md");
  expect(blocks.length).toBeGreaterThan(0);
  expect(await Bun.file(join(ROOT, "src/embedding-types.test.ts")).text()).toContain('"docs/EMBEDDING.md"');
  const dir = tempDir("mindgw-doc-ts-");
  try {
    // A project of its own, as an app beside the package sets one up: the package's dependencies
    // installed, "mindgw" its exports (package.json's "."), the settings `bun run typecheck` uses.
    const project = join(dir.path, "app");
    mkdirSync(project);
    symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
    // Each block a module of its own (`export {}`): one block's names are not another's.
    const modules = blocks.map((block) => ({
      file: `${block.file.replace(/\W/g, "-")}-${block.line}.ts`,
      source: `${block.text}\nexport {};\n`,
    }));
    // And the client set-ups the docs write inline (README.md's, the table of CLIENTS.md).
    const setUps = clientSetUps();
    expect(setUps.count).toBeGreaterThan(6);
    modules.push({ file: "client-set-ups.ts", source: setUps.source });
    await Promise.all(modules.map((module) => Bun.write(join(project, module.file), module.source)));
    const settings = (await Bun.file(join(ROOT, "tsconfig.json")).json()) as {
      compilerOptions: Record<string, unknown>;
    };
    const exports = (await Bun.file(join(ROOT, "package.json")).json()) as { exports: { ".": string } };
    await Bun.write(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          ...settings.compilerOptions,
          paths: { mindgw: [join(ROOT, exports.exports["."])] },
        },
        files: modules.map((module) => module.file),
      }),
    );
    // One past the test's bound is killed by bun:test itself, as it kills whatever a timed-out
    // test spawned; a finally would not run then (the timeout is an uncatchable exception).
    const compiling = Bun.spawn([join(ROOT, "node_modules/.bin/tsc"), "-p", project], { stdout: "pipe" });
    const output = await new Response(compiling.stdout).text();
    expect(output).toBe("");
    expect(await compiling.exited).toBe(0);
  } finally {
    dir.cleanup();
  }
  // A bound for a hung tsc, not a timing assertion: one run is seconds, more on shared cores.
}, 90_000);

test("json blocks parse, toml blocks parse", () => {
  for (const block of docBlocks("json")) expect(() => JSON.parse(block.text)).not.toThrow();
  const toml = docBlocks("toml");
  expect(toml.length).toBeGreaterThan(0);
  for (const block of toml) expect(() => Bun.TOML.parse(block.text)).not.toThrow();
});

test("PROVIDERS.md's sample of `mindgw models` is what it prints for the routes the sample shows", async () => {
  const sample = docBlocks("text").find(
    (block) => block.file === "docs/PROVIDERS.md" && block.text.startsWith("MODEL "),
  );
  expect(sample).toBeDefined();
  // The providers its ROUTE column names, as a config writes them (their keys are never used).
  const providers: Record<string, string> = {
    claude: "{ name: claude, type: anthropic, api_key: k }",
    oa: "{ name: oa, type: openai, api_key: k }",
    xai: "{ name: xai, type: openai, preset: xai, api_key: k }",
  };
  const routes = (sample?.text.split("\n\n")[0] ?? "")
    .split("\n")
    .slice(1)
    .map((row) => row.split(/\s+/))
    .map(([model = "", route = ""]) => ({ model, route: route.split("/") }));
  const config = [
    "providers:",
    ...[...new Set(routes.map(({ route }) => route[0] ?? ""))].map((name) => `  - ${providers[name]}`),
    "models:",
    ...routes.map(
      ({ model, route }) => `  - { name: ${model}, routes: [{ provider: ${route[0]}, model: ${route[1]} }] }`,
    ),
  ].join("\n");
  const dir = tempDir("mindgw-doc-models-");
  try {
    await Bun.write(dir.file("config.yaml"), config);
    const run = await runCliCaptured(["models", "-c", dir.file("config.yaml")]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout.trimEnd()).toBe(sample?.text.trimEnd() ?? "");
  } finally {
    dir.cleanup();
  }
});

describe("sql blocks run on a store this release made", () => {
  const blocks = () => {
    const found = docBlocks("sql");
    expect(found.length).toBeGreaterThan(0);
    return found;
  };

  test("SQLite", async () => {
    const dir = tempDir("mindgw-doc-sql-");
    try {
      const path = dir.file("mindgw.db");
      await openSqliteStorage(path).close();
      const db = new Database(path);
      try {
        for (const block of blocks()) expect(() => db.run(block.text), placeOf(block)).not.toThrow();
      } finally {
        db.close();
      }
    } finally {
      dir.cleanup();
    }
  });

  const postgres = postgresFixture();
  test("PostgreSQL", async () => {
    const { sql } = await postgres.opened();
    for (const block of blocks())
      await sql.unsafe(block.text).catch((error: unknown) => {
        throw new Error(`${placeOf(block)}: ${String(error)}`);
      });
  }, 60_000);
});

describe("shell", () => {
  test("each `mindgw …` command of a block is one the CLI defines and parses, its flags (its comments' too) included", async () => {
    const program = await cliProgram();
    const problems: string[] = [];
    let commands = 0;
    for (const block of docBlocks("sh", "bash")) {
      const lines = shellLines(block.text);
      for (const problem of commentFlagProblems(program, lines))
        problems.push(`${placeOf(block)} ${problem}`);
      for (const line of lines)
        for (const words of mindgwCommands(line)) {
          commands++;
          const said = commandProblems(program, words);
          // A whole command (no `a | b` shorthand) is also one the CLI's parser takes as written,
          // its arguments and values too; each parse on a program of its own, as each run has.
          const whole = said.length === 0 && !words.some((word) => word.includes("|"));
          const refusal = whole ? await cliRefusal(await cliProgram(), words) : undefined;
          for (const problem of [...said, ...(refusal === undefined ? [] : [refusal])])
            problems.push(`${placeOf(block)} mindgw ${words.join(" ")}: ${problem}`);
        }
    }
    expect(commands).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  test("no command puts a secret's variable on its command line, which every user of the host reads (`ps`): the flag's environment variable is read as it is", () => {
    // The flags whose value is a credential, each read from its variable when not given
    // (MINDGW_ADMIN_KEY, MINDGW_WORKER_TOKEN, MINDGW_UPSTREAM_KEY): `--token $MINDGW_WORKER_TOKEN`
    // has the shell copy the token into the worker's argv, against DEPLOYMENT.md's "never on a
    // command line" (README.md's worker example did, before this release).
    // However the line runs it: before this release only a line starting `mindgw` was read.
    expect(
      [
        "sudo mindgw worker --token $MINDGW_WORKER_TOKEN",
        "docker run --rm mindgw worker --token=$T --upstream http://x/v1",
        'FOO=1 ./dist/mindgw keys list --admin-key "$K"',
        "mindgw worker --upstream-key $U",
        "MINDGW_WORKER_TOKEN=$T mindgw worker",
      ].map(secretVariables),
    ).toEqual([
      ["--token $MINDGW_WORKER_TOKEN"],
      ["--token $T"],
      ["--admin-key $K"],
      ["--upstream-key $U"],
      [],
    ]);
    const exposed: string[] = [];
    for (const block of docBlocks("sh", "bash"))
      for (const line of shellLines(block.text))
        for (const secret of secretVariables(line)) exposed.push(`${placeOf(block)} ${secret}`);
    expect(exposed).toEqual([]);
  });

  test("each inline `mindgw …` command names a subcommand and flags the CLI has", async () => {
    const program = await cliProgram();
    const problems: string[] = [];
    // A span that names a command: not a span's name (`mindgw {front_door}`, `mindgw responses_socket`)
    // nor output (`mindgw 0.1.0+1a2b3c4`).
    const spans = codeSpans().filter((span) => /^mindgw (-|…|[a-z]+\b)/.test(span.text));
    expect(spans.length).toBeGreaterThan(50);
    for (const span of spans)
      for (const words of mindgwCommands(span.text))
        for (const problem of commandProblems(program, words))
          problems.push(`${span.file}:${span.line} \`${span.text}\`: ${problem}`);
    expect(problems).toEqual([]);
  });

  test("each `bun run` names a script of package.json, and `bun@` the Bun this project pins", async () => {
    const { scripts } = (await Bun.file(join(ROOT, "package.json")).json()) as {
      scripts: Record<string, string>;
    };
    const text = docBlocks("sh", "bash")
      .map((block) => block.text)
      .join("\n");
    const runs = [...text.matchAll(/\bbun run ([\w:-]+)/g)].map((match) => match[1] ?? "");
    expect(runs.length).toBeGreaterThan(3);
    expect(runs.filter((name) => !(name in scripts))).toEqual([]);
    // The pin is the Bun .ci/run installs, not the one running this test (a newer one on a dev box).
    const pin = /^BUN_VERSION=([\d.]+)$/m.exec(await Bun.file(join(ROOT, ".ci/run")).text())?.[1];
    expect(pin).toBeDefined();
    const said = [...text.matchAll(/\bbun@([\d.]+)/g)].map((match) => match[1]);
    expect(said.length).toBeGreaterThan(0);
    for (const version of said) expect(version).toBe(pin);
  });
});
