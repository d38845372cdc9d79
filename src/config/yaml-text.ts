import { onDemand } from "../core/on-demand.ts";

/**
 * The yaml library, loaded with the first config file read (`readConfigText`, the watcher) or
 * printed, never at start on the embedded defaults, where the gateway parses no YAML.
 */
const yaml = onDemand("YAML", "loadYaml", () => import("yaml"));

export const loadYaml = yaml.load;

/** The text's YAML; a `NotLoadedError` (core/on-demand.ts) before `loadYaml`. */
export const parseYaml = (text: string): unknown => yaml.get().parse(text);

export const stringifyYaml = (value: unknown): string => yaml.get().stringify(value);
