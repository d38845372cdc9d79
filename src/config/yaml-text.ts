type Yaml = typeof import("yaml");

/**
 * The yaml library, loaded with the first config file read or printed rather than at start: on
 * the embedded defaults the gateway never parses YAML and does not hold it (docs/BENCHMARKS-HISTORY.md,
 * idle RSS).
 */
const yaml = (): Yaml => require("yaml") as Yaml;

export const parseYaml = (text: string): unknown => yaml().parse(text);

export const stringifyYaml = (value: unknown): string => yaml().stringify(value);
