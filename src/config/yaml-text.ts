type Yaml = typeof import("yaml");

let yaml: Yaml | undefined;

/**
 * Loads the yaml library if it is not yet: with the first config file read (`readConfigText`, the
 * watcher) or printed, never at start on the embedded defaults, where the gateway parses no YAML.
 * An `import()`, not a `require()` on first use: the executable keeps what is imported in a chunk
 * of its own, read only when imported, where what is required is bundled into the code read at
 * start (docs/BENCHMARKS.md, idle RSS).
 */
export async function loadYaml(): Promise<void> {
  yaml ??= await import("yaml");
}

function loadedYaml(): Yaml {
  if (yaml === undefined) throw new Error("YAML is read or written before the library is loaded (loadYaml)");
  return yaml;
}

export const parseYaml = (text: string): unknown => loadedYaml().parse(text);

export const stringifyYaml = (value: unknown): string => loadedYaml().stringify(value);
