import type { core } from "zod";

/**
 * What zod would make of a value: `true` it takes it and reads it unchanged (loose objects keep
 * every field, so its copy equals the value), `false` it refuses it, `undefined` not known here
 * (a kind of schema, a check or a case this walk does not judge).
 */
export type Verdict = boolean | undefined;
type Judge = (value: unknown) => Verdict;

const isFields = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Not known here: the caller asks zod. */
const unknown: Judge = () => undefined;

/** True when the def has keys beyond `type`, `known` and an empty `checks`: a schema this walk cannot judge. */
function hasExtraKeys(def: { checks?: unknown[] }, known: readonly string[]): boolean {
  for (const key of Object.keys(def))
    if (key !== "type" && !known.includes(key) && !(key === "checks" && (def.checks?.length ?? 0) === 0))
      return true;
  return false;
}

/** Both verdicts hold: false wins, then not known. */
const and = (a: Verdict, b: Verdict): Verdict => (a === false || b === false ? false : a && b);

/** The fields of a number check (or of `z.int()`'s def, which carries its own). */
type NumberCheck = { check?: string; format?: string; value?: unknown; inclusive?: boolean };

/** A number check as a test of the value, or undefined for one not judged here. */
function numberCheck(check: NumberCheck) {
  if (check.check === "number_format" && check.format === "safeint")
    return (value: number) => Number.isSafeInteger(value);
  if (check.check === "greater_than" && typeof check.value === "number") {
    const bound = check.value;
    return check.inclusive ? (value: number) => value >= bound : (value: number) => value > bound;
  }
  return undefined;
}

/** zod's number: finite, and its checks (`int()`: the safe integers; lower bounds). */
function numberJudge(def: core.$ZodNumberDef & { check?: string; format?: string }): Judge {
  const own: NumberCheck[] = def.check
    ? [{ check: def.check, ...(def.format ? { format: def.format } : {}) }]
    : [];
  const checks: NumberCheck[] = [
    ...(def.checks ?? []).map((check): core.$ZodCheckDef => check._zod.def),
    ...own,
  ];
  const tests = checks.map(numberCheck);
  if (tests.some((test) => test === undefined)) return unknown;
  const all = tests as ((value: number) => boolean)[];
  return (value) => typeof value === "number" && Number.isFinite(value) && all.every((test) => test(value));
}

function objectJudge(def: core.$ZodObjectDef): Judge {
  const fields = Object.entries(def.shape).map(([key, field]) => ({
    key,
    judge: judgeOf(field),
    optional: field._zod.def.type === "optional",
  }));
  // A loose object keeps unknown fields; a stripping or strict one with any is not judged here.
  const loose = def.catchall?._zod.def.type === "unknown";
  return (value) => {
    if (!isFields(value)) return false;
    if (!loose) for (const key of Object.keys(value)) if (!Object.hasOwn(def.shape, key)) return undefined;
    let verdict: Verdict = true;
    for (const { key, judge, optional } of fields) {
      // An absent field is judged only where zod's answer is plain: an optional one, or one refusing undefined.
      const field =
        optional || Object.hasOwn(value, key)
          ? judge(value[key])
          : judge(undefined) === false
            ? false
            : undefined;
      if (field === false) return false;
      verdict = and(verdict, field);
    }
    return verdict;
  };
}

/** Every item taken (an array's, or a record's values). */
function everyItem(items: Iterable<unknown>, judge: Judge): Verdict {
  let verdict: Verdict = true;
  for (const item of items) {
    const one = judge(item);
    if (one === false) return false;
    verdict = and(verdict, one);
  }
  return verdict;
}

/**
 * zod's union takes the first option that takes the value, so each one before must refuse it for
 * sure; an exclusive one (a discriminated union, `z.xor`) takes a value exactly one option takes.
 */
function unionJudge(def: core.$ZodUnionDef & { inclusive?: boolean }): Judge {
  const options = def.options.map(judgeOf);
  const exclusive = def.inclusive === false;
  return (value) => {
    let taken = 0;
    for (const option of options) {
      const verdict = option(value);
      if (verdict === undefined) return undefined;
      if (verdict && !exclusive) return true;
      if (verdict) taken++;
    }
    return taken === 1;
  };
}

/** `z.record(z.string(), V)`: a plain object whose every value V takes. */
function recordJudge(def: core.$ZodRecordDef): Judge {
  const key = def.keyType._zod.def;
  if (key.type !== "string" || hasExtraKeys(key, [])) return unknown;
  if (def.valueType._zod.def.type === "unknown") return isFields;
  const item = judgeOf(def.valueType);
  return (value) => (isFields(value) ? everyItem(Object.values(value), item) : false);
}

/** The judge of one kind of schema, or `unknown` for a kind (or a def with keys) not judged here. */
function compile(schema: core.$ZodType): Judge {
  const def = schema._zod.def;
  const plain = (known: readonly string[], judge: () => Judge) =>
    hasExtraKeys(def, known) ? unknown : judge();
  switch (def.type) {
    case "unknown":
    case "any":
      return () => true;
    case "string":
      return plain([], () => (value) => typeof value === "string");
    case "boolean":
      return plain([], () => (value) => typeof value === "boolean");
    case "number":
      return plain(["checks", "check", "abort", "format"], () => numberJudge(def as core.$ZodNumberDef));
    case "literal": {
      const values: readonly unknown[] = (def as core.$ZodLiteralDef<core.util.Literal>).values;
      return plain(["values"], () => (value) => values.includes(value));
    }
    case "enum": {
      const values: readonly unknown[] = Object.values((def as core.$ZodEnumDef).entries);
      return plain(["entries"], () => (value) => values.includes(value));
    }
    case "optional":
      return plain(["innerType"], () => {
        const inner = judgeOf((def as core.$ZodOptionalDef).innerType);
        return (value) => (value === undefined ? true : inner(value));
      });
    case "nullable":
      return plain(["innerType"], () => {
        const inner = judgeOf((def as core.$ZodNullableDef).innerType);
        return (value) => (value === null ? true : inner(value));
      });
    case "lazy":
      // Resolved at the first judgment, not here: a lazy schema may hold itself.
      return (value) => judgeOf((schema as core.$ZodLazy)._zod.innerType)(value);
    case "object":
      return plain(["shape", "catchall"], () => objectJudge(def as core.$ZodObjectDef));
    case "array":
      return plain(["element"], () => {
        const item = judgeOf((def as core.$ZodArrayDef).element);
        return (value) => (Array.isArray(value) ? everyItem(value, item) : false);
      });
    case "union":
      return plain(["options", "discriminator", "inclusive"], () => unionJudge(def as core.$ZodUnionDef));
    case "record":
      return plain(["keyType", "valueType"], () => recordJudge(def as core.$ZodRecordDef));
    default:
      return unknown;
  }
}

const judges = new WeakMap<core.$ZodType, Judge>();
/** Each schema's judge, made once (the translators' schemas are module constants). */
function judgeOf(schema: core.$ZodType): Judge {
  let judge = judges.get(schema);
  if (!judge) {
    judge = compile(schema);
    judges.set(schema, judge);
  }
  return judge;
}

/**
 * Whether `schema` (zod 4) would take `value` and read it unchanged, judged without copying
 * anything, by a judge made once per schema from its definition: the kinds the translators'
 * schemas use (loose objects, arrays, unions, records, strings, numbers with `int` and lower
 * bounds, booleans, enums, literals, optional, nullable, lazy, unknown). Anything else (a check on
 * a string, a transform, a default) answers `undefined`, and the caller asks zod. A request of
 * ~50 KB (a Codex or Claude Code turn) is judged without zod copying each of its objects
 * (docs/BENCHMARKS-HISTORY.md, session 18).
 */
export function acceptsUnchanged(schema: core.$ZodType, value: unknown): Verdict {
  return judgeOf(schema)(value);
}
