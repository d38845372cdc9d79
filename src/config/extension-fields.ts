/**
 * The document without its top-level `x-` keys: compose's extension fields, a place for anchors
 * that is no setting (`x-openai: &openai { type: openai, … }`, then `<<: *openai` in `providers:`).
 * They are read for their anchors only: not validated, and their `${VAR}`s not resolved.
 */
export function withoutExtensionFields(document: unknown): unknown {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return document;
  return Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith("x-")));
}
