import type { Config } from "./config-schema.ts";
import { parseConfigYaml } from "./parse-config-yaml.ts";

/** A config as the watcher last read it: the file's text and what it validated to. */
export interface ReadConfig {
  readonly text: string;
  readonly config: Config;
}

/** The top-level keys a config file spells out (what a truncation would cut off). */
function sectionsOf(text: string): string[] {
  try {
    const document: unknown = parseConfigYaml(text);
    return document && typeof document === "object" ? Object.keys(document) : [];
  } catch {
    return [];
  }
}

const isEmpty = (value: unknown) =>
  Array.isArray(value)
    ? value.length === 0
    : value === undefined || (typeof value === "object" && value !== null && Object.keys(value).length === 0);

/**
 * What a change removes wholesale, as a file cut off mid-write would: top-level sections the
 * previous file had and this one lacks, lists and maps that were filled and are now empty, and
 * every model at once. Empty when the change only edits, adds or removes some entries.
 */
export function removedSections(previous: ReadConfig, next: ReadConfig): string[] {
  const removed = new Set<string>();
  const kept = new Set(sectionsOf(next.text));
  for (const section of sectionsOf(previous.text)) if (!kept.has(section)) removed.add(section);
  const before = previous.config as Record<string, unknown>;
  const after = next.config as Record<string, unknown>;
  for (const [section, value] of Object.entries(before))
    if (!isEmpty(value) && (Array.isArray(value) || section === "prices") && isEmpty(after[section]))
      removed.add(section);
  const models = new Set(next.config.models.map((model) => model.name));
  if (previous.config.models.length > 0 && !previous.config.models.some((model) => models.has(model.name)))
    removed.add("models");
  return [...removed];
}
