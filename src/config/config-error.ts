import { withoutShapes } from "../core/credential-shapes.ts";

/**
 * An invalid config: every problem found, each prefixed with the path it is at. `warnings`: what the
 * YAML library read in the file but warned of (`readConfigFile`), kept for `config check` to say,
 * since a tag read as no tag is often why a field is refused (`port: !env PORT` is the word "PORT").
 * `file`: the config file whose settings these problems are in, where they name no file themselves
 * (`server.prot: unknown field`), so that the CLI says which (a file given by MINDGW_CONFIG, or by a
 * unit file's -c, is on no command line the reader sees).
 */
export class ConfigError extends Error {
  /**
   * Each problem with any credential of a known shape replaced: a message may quote the value it
   * refuses, and a variable misnamed in a template (`backoff: ${OPENAI_API_KEY}`) holds a key.
   */
  readonly problems: readonly string[];

  constructor(
    problems: readonly string[],
    readonly warnings: readonly string[] = [],
    readonly file?: string,
  ) {
    const said = problems.map(withoutShapes);
    super(said.join("\n"));
    this.name = "ConfigError";
    this.problems = said;
  }
}

/** `["models", 1, "routes", 0, "provider"]` → `models[1].routes[0].provider`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}
