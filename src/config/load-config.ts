import { dirname, isAbsolute, resolve } from "node:path";
import { NotLoadedError } from "../core/on-demand.ts";
import { SYSTEM_CA_STORE } from "../storage/postgres/system-ca-store.ts";
import { ConfigError, type FieldProblem, firstProblems, placeInFile, sayProblems } from "./config-error.ts";
import { type Config, configSchema, WORKERS_PROVIDER } from "./config-schema.ts";
import { withoutExtensionFields } from "./extension-fields.ts";
import { EnvReferenceError, interpolateEnv } from "./interpolate-env.ts";
import { metricsListenClash } from "./metrics-config.ts";
import { configYamlPlaces, parseConfigYaml } from "./parse-config-yaml.ts";
import { sslModeProblems } from "./postgres-ssl-mode.ts";
import { providerPathsFrom } from "./provider-paths.ts";
import { MAX_STREAMED_CONFIG, readConfigBytes, StreamedConfigTooLarge } from "./read-config-bytes.ts";
import { readFailure } from "./read-failure.ts";
import { repeatedModelNames } from "./repeated-model-names.ts";
import { shadowProblems } from "./shadow-targets.ts";
import { storageFileProblems } from "./storage-files.ts";
import { tenantCrossCheck } from "./tenant-cross-check.ts";
import { type YamlProblem, YamlProblems } from "./yaml-problems.ts";
import { loadYaml } from "./yaml-text.ts";

export type Env = Record<string, string | undefined>;

/** What `mindgw serve` runs on with no config file: the mock provider, SQLite under ./data. */
export const EMBEDDED_DEFAULTS = {
  providers: [{ name: "mock", type: "mock" }],
  models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
};

/** Validates an already-parsed document (YAML or object) into a Config, or throws ConfigError. */
export function parseConfig(document: unknown, env: Env = process.env): Config {
  return validConfig(document, env, { place: (config) => config, checkFiles: false });
}

/**
 * How `validConfig` reads a document. `place` puts its relative paths in place; `checkFiles`: the
 * files it names that are read only later (storage-files.ts) checked too. `file` and `text` when
 * it was read from a config file: each problem is then placed in the text (config-error.ts).
 */
interface Validation {
  readonly place: (config: Config) => Config;
  readonly checkFiles: boolean;
  readonly file?: { readonly path: string; readonly text: string };
}

/** `document` validated into a Config, or every problem found in one ConfigError. */
function validConfig(document: unknown, env: Env, validation: Validation): Config {
  const written = withoutExtensionFields(document ?? {});
  let interpolated: unknown;
  const said = (problems: readonly (FieldProblem | string)[], named = false): ConfigError => {
    const { file } = validation;
    // Placed only once refused: the text is parsed again for its places (yaml-text.ts).
    const source = {
      ...(named ? {} : { values: { written, read: interpolated } }),
      ...(file && { file: file.path, placeOf: configYamlPlaces(file.text) }),
    };
    return new ConfigError(sayProblems(problems, source), [], file?.path);
  };
  try {
    interpolated = interpolateEnv(written, env);
  } catch (error) {
    // Its words name the variable already.
    if (error instanceof EnvReferenceError) throw said(error.problems, true);
    throw error;
  }
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    throw said(
      result.error.issues.flatMap((issue): FieldProblem[] =>
        // Name the misspelt field itself (`server.prot`), not only the object holding it.
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => ({ path: [...issue.path, key], words: "unknown field", atKey: true }))
          : [
              {
                path: issue.path,
                words: issue.message,
                // A type error, an option that is not one: the words say only what was expected.
                valueUnsaid: issue.code === "invalid_type" || issue.code === "invalid_value",
              },
            ],
      ),
    );
  }
  const config = validation.place(result.data);
  const problems = [
    ...crossCheck(config),
    ...(validation.checkFiles ? storageFileProblems(config.storage) : []),
  ];
  if (problems.length > 0) throw said(problems);
  return config;
}

/** Reads and validates a YAML file. */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<Config> {
  return (await readConfigFile(path, env)).config;
}

/**
 * Reads and validates a YAML file, with the document it was read as: what the config leaves out
 * (its `x-` keys) is found there, not by reading the file again, which a pipe (`-c /dev/stdin`,
 * `-c <(…)`) could not give a second time. `warnings`: what the YAML library read but warned of,
 * each after the file's name and its place (`gw.yaml:5:14: Unresolved tag: !env`); in the
 * ConfigError too when the config is refused.
 */
export async function readConfigFile(
  path: string,
  env: Env = process.env,
): Promise<{ config: Config; document: Record<string, unknown>; warnings: string[] }> {
  const text = await readConfigText(path);
  const warnings: string[] = [];
  try {
    const document = configDocument(path, text, (warning) =>
      warnings.push(`${placeInFile(path, warning.place)}: ${warning.words}`),
    );
    return {
      config: configFromDocument(path, document, env, { checkFiles: true, text }),
      document,
      warnings,
    };
  } catch (error) {
    if (error instanceof ConfigError && warnings.length > 0)
      throw new ConfigError(error.problems, warnings, error.file);
    throw error;
  }
}

/**
 * A config file's text, or a ConfigError that says why there is none (nothing there, a folder, a
 * file this user may not read); the YAML library is loaded with it, to parse it with. Read as any
 * file is, so that a device or a pipe (`-c /dev/null`, `-c <(…)`) is read for what it holds (Bun.file
 * says neither exists), up to 8 MiB (`-c /dev/zero` never ends).
 */
export async function readConfigText(path: string): Promise<string> {
  await loadYaml();
  try {
    return await readConfigBytes(path);
  } catch (error) {
    if (error instanceof StreamedConfigTooLarge)
      throw new ConfigError([
        `${path}: not a file, and it gave more than ${MAX_STREAMED_CONFIG / 1024 / 1024} MiB: not a config file`,
      ]);
    throw new ConfigError([`${path}: ${unreadable(error)}`]);
  }
}

/** Why a config file could not be read: the watcher's words (read-failure.ts), but "no such file" and a folder said plainly. */
function unreadable(error: unknown): string {
  const reason = readFailure(error);
  if (reason === "no such file") return reason;
  return reason === "it is a directory" ? "a folder, not a config file" : `cannot be read: ${reason}`;
}

/**
 * Validates a config file's text already read, as at start (config-source.ts): the files it names
 * that are read only later must be there now.
 */
export function parseConfigText(path: string, text: string, env: Env = process.env): Config {
  return configFromDocument(path, configDocument(path, text), env, { checkFiles: true, text });
}

/**
 * A config file's YAML document, refused as the file's own error when it is empty, not YAML, or
 * not a mapping; the last two are problems in what it holds, as a refused field is, so the error
 * names the file as a schema's does (`invalid config: gw.yaml`); `warned`: as `parseYaml`'s. Parsing is most of what a reload of a large file
 * costs (hundreds of ms for a few thousand models), so a watcher parses each text once and keeps
 * the document (watch-config.ts).
 */
export function configDocument(
  path: string,
  text: string,
  warned?: (warning: YamlProblem) => void,
): Record<string, unknown> {
  // An empty file is a deploy that went wrong (truncated, not yet written), never "no routes".
  if (text.trim() === "") throw new ConfigError([`${path}: the file is empty`]);
  let document: unknown;
  try {
    document = parseConfigYaml(text, warned);
  } catch (error) {
    // Not the file's fault: the gateway parsed before loading the library.
    if (error instanceof NotLoadedError) throw error;
    // Each at its place, as a refused field is (config-error.ts), in the order the file writes
    // them; the first of them only (`firstProblems`).
    if (error instanceof YamlProblems)
      throw new ConfigError(
        firstProblems(
          error.problems.map(
            (problem) => `${placeInFile(path, problem.place)}: not valid YAML: ${problem.words}`,
          ),
          "YAML error",
        ),
        [],
        path,
      );
    const reason = error instanceof Error ? (error.message.split("\n")[0] ?? "") : "unreadable";
    throw new ConfigError([`${path}: not valid YAML: ${reason}`], [], path);
  }
  if (document === null || typeof document !== "object" || Array.isArray(document))
    throw new ConfigError([`${path}: expected a mapping of settings (server:, models:, …)`], [], path);
  return document as Record<string, unknown>;
}

/**
 * The config a file's document (`configDocument`) describes; the document is not changed.
 * `checkFiles`: whether the files it names that the store reads only once it connects
 * (storage-files.ts) must be there now. At start and `config check`, yes; at a reload, no: the
 * store's settings are restart-only, so the reload never opens them, and a CA file briefly
 * missing must not refuse an unrelated edit (nor cost a stat on the event loop at each reload).
 * `text`: what the document was parsed from, where each problem is placed (`file:line:column`).
 */
export function configFromDocument(
  path: string,
  document: Record<string, unknown>,
  env: Env,
  { checkFiles, text }: { checkFiles: boolean; text: string },
): Config {
  const folder = dirname(resolve(path));
  return validConfig(document, env, {
    place: (config) => withPathsFrom(folder, config),
    checkFiles,
    file: { path, text },
  });
}

/**
 * Relative paths in a config file's own fields (the store's, a provider's credential files:
 * provider-paths.ts) mean "beside this file", wherever the command runs
 * from: `mindgw keys list -c deploy/mindgw.yaml` must open the gateway's store, not a new empty one.
 * Not the URL's `?sslrootcert=`: the URL is passed on as written, and read as libpq reads it (a
 * relative path from the working directory). `sslrootcert: system` is libpq's word for the
 * system's CA store, no file.
 */
function withPathsFrom(folder: string, config: Config): Config {
  const { path, sslrootcert } = config.storage;
  const storage = {
    ...config.storage,
    ...(path === ":memory:" || isAbsolute(path) ? {} : { path: resolve(folder, path) }),
    ...(sslrootcert === undefined || sslrootcert === SYSTEM_CA_STORE || isAbsolute(sslrootcert)
      ? {}
      : { sslrootcert: resolve(folder, sslrootcert) }),
  };
  return { ...config, storage, providers: config.providers.map((p) => providerPathsFrom(folder, p)) };
}

/** Rules that span fields: names unique, routes naming providers that exist, what storage a cluster needs. */
function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  const providers = new Set<string>();
  config.providers.forEach((provider, i) => {
    if (providers.has(provider.name))
      problems.push(`providers[${i}].name: duplicate provider "${provider.name}"`);
    providers.add(provider.name);
  });
  const known = (name: string) => providers.has(name) || name === WORKERS_PROVIDER;
  problems.push(...repeatedModelNames(config));
  config.models.forEach((model, i) => {
    model.routes.forEach((route, j) => {
      if (!known(route.provider)) {
        problems.push(`models[${i}].routes[${j}].provider: unknown provider "${route.provider}"`);
      }
    });
  });
  problems.push(...tenantCrossCheck(config));
  problems.push(...metricsListenClash(config.metrics.listen, config.server));
  problems.push(...shadowProblems(config, known));
  if (config.storage.driver === "postgres" && !config.storage.url) {
    problems.push("storage.url: required with driver: postgres (postgres://user:pass@host:5432/db)");
  }
  if (config.storage.driver === "postgres") problems.push(...sslModeProblems(config.storage));
  // Nodes on files of their own would each keep their own keys, spend, audit and stored responses.
  if (config.cluster && config.storage.driver !== "postgres") {
    problems.push(
      "cluster: needs storage.driver: postgres, which every node shares (SQLite is one node's own file)",
    );
  }
  return problems;
}
