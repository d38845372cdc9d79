import { onDemand } from "../core/on-demand.ts";

/**
 * The yaml library, loaded with the first config file read (`readConfigText`, the watcher) or
 * printed, never at start on the embedded defaults, where the gateway parses no YAML.
 */
const yaml = onDemand("YAML", "loadYaml", () => import("yaml"));

export const loadYaml = yaml.load;

/**
 * The text's YAML; a `NotLoadedError` (core/on-demand.ts) before `loadYaml`. Merge keys
 * (`<<: *base`) are merged, as YAML 1.1 and most tools read them: one provider's settings repeated
 * for another by an anchor, its own keys winning (the library's default keeps `<<` as a key, which
 * the strict schema refused as an unknown field).
 */
export const parseYaml = (text: string): unknown => yaml.get().parse(text, { merge: true });

export const stringifyYaml = (value: unknown): string => yaml.get().stringify(value);
