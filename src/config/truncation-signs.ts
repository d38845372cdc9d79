import { NotLoadedError } from "../core/on-demand.ts";
import { parseConfigYaml } from "./parse-config-yaml.ts";

/** How many removals a hold names before it counts the rest. */
const NAMED = 5;

/** The file's YAML document; undefined when it is none (the watcher refuses that anyway). */
export function documentOf(text: string): unknown {
  try {
    return parseConfigYaml(text);
  } catch (error) {
    // Not the text's fault: the gateway parsed before loading the library.
    if (error instanceof NotLoadedError) throw error;
    return undefined;
  }
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isFilled = (value: unknown) =>
  Array.isArray(value) ? value.length > 0 : isMapping(value) && Object.keys(value).length > 0;

/**
 * What `next` lacks of `previous`, as YAML documents, at any depth: a key gone (`server.max_body`,
 * a whole section), a list with fewer entries (`models (4 → 2)`), a filled list or mapping now
 * null (`models:` with its entries not yet written). Lists are compared by position: a reordering
 * reads as an edit of each entry, which can only cost a hold.
 */
function removedFrom(previous: unknown, next: unknown, path: string, found: string[]): void {
  if (!isFilled(previous)) return;
  if (next === null || next === undefined) {
    found.push(path);
    return;
  }
  if (Array.isArray(previous)) {
    // A list made into something else is an edit, not a cut.
    if (!Array.isArray(next)) return;
    if (next.length < previous.length) found.push(`${path} (${previous.length} → ${next.length})`);
    for (let i = 0; i < next.length && i < previous.length; i++)
      removedFrom(previous[i], next[i], `${path}[${i}]`, found);
    return;
  }
  if (!isMapping(previous) || !isMapping(next)) return;
  for (const [key, value] of Object.entries(previous)) {
    const at = path ? `${path}.${key}` : key;
    if (key in next) removedFrom(value, next[key], at, found);
    else found.push(at);
  }
}

/**
 * Why a changed config file looks like one read while it was being written in place, its second
 * part still to come: it removes something the previous file had (what follows a cut is simply
 * missing, and the first part of a YAML file is usually valid YAML), or it ends mid-line where
 * the previous file ended with a line break. Empty for a change that only edits values or adds
 * entries: that applies at once, where a removal waits to be read again (watch-config.ts).
 */
export function truncationSigns(previousText: string, nextText: string): string[] {
  return truncationSignsOf(
    { text: previousText, document: documentOf(previousText) },
    { text: nextText, document: documentOf(nextText) },
  );
}

/** A file's text and its YAML document (undefined when it is none), as a watcher keeps them. */
export interface ReadConfig {
  readonly text: string;
  readonly document: unknown;
}

/** `truncationSigns` of texts already parsed: no YAML parsed again. */
export function truncationSignsOf(previous: ReadConfig, next: ReadConfig): string[] {
  const previousText = previous.text;
  const nextText = next.text;
  const removed: string[] = [];
  removedFrom(previous.document, next.document, "", removed);
  const signs: string[] = [];
  if (removed.length > 0) {
    const more = removed.length - NAMED;
    // The whole document gone (an emptied file, or one no longer YAML) is at the root's empty path.
    const named = removed.slice(0, NAMED).map((path) => path || "everything");
    signs.push(`removes ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
  }
  if (previousText.endsWith("\n") && !nextText.endsWith("\n")) signs.push("ends mid-line");
  return signs;
}
