/**
 * The document without its top-level `x-` keys: compose's extension fields, a place for anchors
 * that is no setting (`x-openai: &openai { type: openai, … }`, then `<<: *openai` in `providers:`).
 * They are read for their anchors only: not validated, and their `${VAR}`s not resolved.
 */
export function withoutExtensionFields(document: unknown): unknown {
  if (!isMapping(document)) return document;
  return Object.fromEntries(Object.entries(document).filter(([key]) => !isExtensionField(key)));
}

/** The document's top-level `x-` keys, which `mindgw config check` names as read for anchors only. */
export function extensionFieldNames(document: unknown): string[] {
  return isMapping(document) ? Object.keys(document).filter(isExtensionField) : [];
}

const isExtensionField = (key: string) => key.startsWith("x-");

const isMapping = (document: unknown): document is Record<string, unknown> =>
  document !== null && typeof document === "object" && !Array.isArray(document);
