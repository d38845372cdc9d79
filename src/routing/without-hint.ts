import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import type { CallerNames } from "./caller-param.ts";
import type { RefusedHint } from "./refused-hint.ts";

/**
 * The call without the refused hint, which is named among what the translation left out; or, for
 * a bound, with the value that fits (nothing the caller sent is left out); or, for an effort level,
 * with the lower one the refusal names, named as well (it did not go as asked). Its other hints stay,
 * each for the upstream to refuse in turn.
 */
export function withoutHint(adapted: AdaptedCall, hint: RefusedHint): AdaptedCall {
  if (hint.also !== undefined) {
    const { also, ...first } = hint;
    return also.reduce(withoutHint, withoutHint(adapted, first));
  }
  const hints = othersThan(adapted.hints, hint.path);
  if (hint.renamed !== undefined) {
    const { [hint.path]: value, ...others } = adapted.body;
    const body = { ...others, [hint.renamed]: adapted.body[hint.renamed] ?? value };
    // A same-dialect call's bytes are the caller's, with the old name: its body is sent instead.
    const native = adapted.native && { ...adapted.native, rewritten: true };
    return { ...adapted, body, hints, ...(native ? { native } : {}) };
  }
  if (hint.fits !== undefined)
    return { ...adapted, body: { ...adapted.body, [hint.path]: hint.fits }, hints };
  const keys = hint.path.split(".");
  const body =
    hint.level === undefined ? withoutPath(adapted.body, keys) : withValue(adapted.body, keys, hint.level);
  const dropped = adapted.dropped ?? [];
  return {
    ...adapted,
    body,
    dropped: dropped.includes(hint.callerName) ? dropped : [...dropped, hint.callerName],
    hints,
  };
}

/** A copy of `body` with `value` at `path` (`output_config.effort`), the objects on the way copied. */
function withValue(body: JsonObject, [key, ...rest]: readonly string[], value: string): JsonObject {
  if (key === undefined) return body;
  if (rest.length === 0) return { ...body, [key]: value };
  const inner = body[key];
  return { ...body, [key]: withValue(isJsonObject(inner) ? inner : {}, rest, value) };
}

/** `hints` but the one at `path`; undefined when none is left. */
function othersThan(hints: CallerNames | undefined, path: string): CallerNames | undefined {
  if (hints === undefined) return undefined;
  const { [path]: _refused, ...others } = hints;
  return Object.keys(others).length > 0 ? others : undefined;
}

/** A copy of `body` without the field at `path`; an object it leaves empty goes too. */
function withoutPath(body: JsonObject, [key, ...rest]: readonly string[]): JsonObject {
  if (key === undefined) return body;
  const { [key]: value, ...others } = body;
  if (rest.length === 0) return others;
  if (!isJsonObject(value)) return body;
  const inner = withoutPath(value, rest);
  return Object.keys(inner).length === 0 ? others : { ...others, [key]: inner };
}
