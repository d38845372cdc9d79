/**
 * What each parsed config's file (or document) set itself, env interpolated, before the schema
 * filled in its defaults. Held beside the config, not in it: a config is plain data, compared and
 * copied field by field.
 */
const setByFile = new WeakMap<object, unknown>();

/** Remembers `document` as what `config` was parsed from; returns `config`. */
export function rememberFileSettings<T extends object>(config: T, document: unknown): T {
  setByFile.set(config, document);
  return config;
}

/** `copy` (of `config`, some fields replaced) as parsed from the same document; returns `copy`. */
export function sameFileSettings<T extends object>(copy: T, config: object): T {
  if (setByFile.has(config)) setByFile.set(copy, setByFile.get(config));
  return copy;
}

/**
 * The settings `config` holds that its document set, as the config holds them (durations in ms,
 * paths resolved), without the fields the schema filled in: a release that adds a defaulted field
 * reads the same file to the same settings. Undefined for a config not parsed from a document here
 * (an embedder's own object).
 */
export function fileSettingsOf(config: object): unknown {
  return setByFile.has(config) ? setBy(config, setByFile.get(config)) : undefined;
}

/** `parsed` cut to the fields `raw` names; a value the schema reshaped (a shorthand) is kept whole. */
function setBy(parsed: unknown, raw: unknown): unknown {
  if (Array.isArray(parsed) && Array.isArray(raw) && parsed.length === raw.length)
    return parsed.map((item, i) => setBy(item, raw[i]));
  if (!isRecord(parsed) || !isRecord(raw) || Array.isArray(parsed) || Array.isArray(raw)) return parsed;
  // A field the file names that the schema renamed or dropped stays as written: it still says something.
  return Object.fromEntries(
    Object.keys(raw).map((key) => [key, key in parsed ? setBy(parsed[key], raw[key]) : raw[key]]),
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object";
