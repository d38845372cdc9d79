import { core } from "zod";
import { isFields } from "./plain-fields.ts";

/**
 * What zod would make of a value: `true` it takes it and reads it unchanged (loose objects keep
 * every field, so its copy equals the value, key order aside), `false` it refuses it, `undefined`
 * not known here (a kind of schema, a check or a case this walk does not judge). Both answers must
 * be zod's: `false` too, since a union goes on to its next option on it.
 */
export type Verdict = boolean | undefined;
type Judge = (value: unknown) => Verdict;

/**
 * The zod release this walk was checked against (accepts-unchanged.test.ts runs it against zod).
 * Under any other — an embedder's package manager may resolve another — every answer is "ask
 * zod": a new release may read a definition it knows differently.
 */
export const CHECKED_ZOD = "4.6.7";

/** Whether the zod at hand is the one checked against. */
export const isCheckedZod = (version: { major: number; minor: number; patch: number }): boolean =>
  `${version.major}.${version.minor}.${version.patch}` === CHECKED_ZOD;

/** Not known here: the caller asks zod. */
const unknown: Judge = () => undefined;
/** Anything: `z.unknown()`, `z.any()`. */
const anything: Judge = () => true;

/** A number's classes: `z.int()` is a number format, a check of its own. */
const NUMBER = [
  "ZodNumber",
  "$ZodNumber",
  "ZodNumberFormat",
  "$ZodNumberFormat",
  "$ZodCheckNumberFormat",
  "$ZodCheck",
];

/**
 * The classes (`_zod.traits`) a judged kind of schema may be made of, besides `$ZodType` and
 * `ZodType`. A schema of another (a subclass with a parse of its own, as `z.exactOptional` is
 * of `optional`; zod/mini's classes) is not judged.
 */
const TRAITS: Readonly<Record<string, readonly string[]>> = {
  unknown: ["ZodUnknown", "$ZodUnknown"],
  any: ["ZodAny", "$ZodAny"],
  string: ["ZodString", "_ZodString", "$ZodString"],
  boolean: ["ZodBoolean", "$ZodBoolean"],
  number: NUMBER,
  /** A number's checks: `int()` (a number format, itself a schema) and lower bounds. */
  "number check": [...NUMBER, "$ZodCheckGreaterThan"],
  literal: ["ZodLiteral", "$ZodLiteral"],
  enum: ["ZodEnum", "$ZodEnum"],
  optional: ["ZodOptional", "$ZodOptional"],
  nullable: ["ZodNullable", "$ZodNullable"],
  lazy: ["ZodLazy", "$ZodLazy"],
  object: ["ZodObject", "$ZodObject", "$ZodObjectJIT"],
  array: ["ZodArray", "$ZodArray"],
  union: ["ZodUnion", "$ZodUnion", "ZodDiscriminatedUnion", "$ZodDiscriminatedUnion", "ZodXor", "$ZodXor"],
  record: ["ZodRecord", "$ZodRecord"],
};

/** True when a schema's (or a check's) classes are all among those of `kind` (or every schema's). */
function knownTraits(of: { _zod: object }, kind: string): boolean {
  const traits = "traits" in of._zod ? of._zod.traits : undefined;
  const allowed = TRAITS[kind];
  if (!allowed || !(traits instanceof Set)) return false;
  for (const trait of traits)
    if (trait !== "$ZodType" && trait !== "ZodType" && !allowed.includes(trait)) return false;
  return true;
}

/** True when the def has keys beyond `type`, `known` and an empty `checks`: a schema this walk cannot judge. */
function hasExtraKeys(def: object, known: readonly string[]): boolean {
  for (const [key, value] of Object.entries(def))
    if (
      key !== "type" &&
      !known.includes(key) &&
      !(key === "checks" && Array.isArray(value) && value.length === 0)
    )
      return true;
  return false;
}

/** Both verdicts hold: false wins, then not known. */
const and = (a: Verdict, b: Verdict): Verdict => (a === false || b === false ? false : a && b);

/** The fields of a number check (or of `z.int()`'s def, which carries its own). */
type NumberCheck = { check?: string; format?: string; value?: unknown; inclusive?: boolean };
/** A number check's def keys judged here (`error` is only its message). */
const NUMBER_CHECK_KEYS = ["check", "format", "value", "inclusive", "abort", "error"];

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
  const checks = def.checks ?? [];
  // A check of another class, or with keys not judged here (`when`), is zod's to run.
  for (const check of checks)
    if (!knownTraits(check, "number check") || hasExtraKeys(check._zod.def, NUMBER_CHECK_KEYS))
      return unknown;
  const tests = [...checks.map((check): core.$ZodCheckDef => check._zod.def), ...own].map(numberCheck);
  if (tests.some((test) => test === undefined)) return unknown;
  const all = tests as ((value: number) => boolean)[];
  return (value) => typeof value === "number" && Number.isFinite(value) && all.every((test) => test(value));
}

/**
 * A field absent from the value, as zod's object reads it (its `handlePropertyResult`): one both
 * optional in and out (`.optional()`) is left out, nothing added; one not optional in is run on
 * `undefined`, and refused if that is; anything else is zod's.
 */
function absentJudge(field: core.$ZodType, judge: Judge): () => Verdict {
  const { optin, optout } = field._zod;
  if (optin === "optional" && optout === "optional") return () => true;
  if (optin !== undefined) return () => undefined;
  return () => (judge(undefined) === false ? false : undefined);
}

function objectJudge(def: core.$ZodObjectDef): Judge {
  const shape = def.shape;
  const fields = Object.entries(shape).map(([key, field]) => {
    const judge = judgeOf(field);
    return { key, judge, absent: absentJudge(field, judge) };
  });
  // Fields not in the shape: a stripping object (no catchall) drops them (not judged here); a
  // loose one (`z.unknown()`) keeps every one, as it is; another catchall judges each.
  const rest = def.catchall ? judgeOf(def.catchall) : undefined;
  return (value) => {
    if (!isFields(value)) return false;
    // zod leaves an own `__proto__` (JSON.parse makes one of `"__proto__": …`) out of its copy.
    if (Object.hasOwn(value, "__proto__")) return undefined;
    let verdict: Verdict = true;
    if (rest !== anything)
      for (const key of Object.keys(value)) {
        if (Object.hasOwn(shape, key)) continue;
        const field = rest ? rest(value[key]) : undefined;
        if (field === false) return false;
        verdict = and(verdict, field);
      }
    for (const { key, judge, absent } of fields) {
      const field = Object.hasOwn(value, key) ? judge(value[key]) : absent();
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
  const key = def.keyType;
  if (key._zod.def.type !== "string" || !knownTraits(key, "string") || hasExtraKeys(key._zod.def, []))
    return unknown;
  const item = judgeOf(def.valueType);
  return (value) => {
    if (!isFields(value)) return false;
    // As an object's: zod leaves an own `__proto__` out of its copy.
    if (Object.hasOwn(value, "__proto__")) return undefined;
    return item === anything ? true : everyItem(Object.values(value), item);
  };
}

/** The judge of one kind of schema, or `unknown` for a kind (or a def with keys) not judged here. */
function compile(schema: core.$ZodType): Judge {
  const def = schema._zod.def;
  if (!knownTraits(schema, def.type)) return unknown;
  const plain = (known: readonly string[], judge: () => Judge) =>
    hasExtraKeys(def, known) ? unknown : judge();
  switch (def.type) {
    case "unknown":
    case "any":
      return plain([], () => anything);
    case "string":
      return plain([], () => (value) => typeof value === "string");
    case "boolean":
      // `error` is only its refusal's words (anthropic-schema.ts's `stream`).
      return plain(["error"], () => (value) => typeof value === "boolean");
    case "number":
      return plain(["checks", "check", "abort", "format"], () => numberJudge(def as core.$ZodNumberDef));
    case "literal":
    case "enum": {
      // The values zod's own parse looks the value up in (a TypeScript enum's names are not among them).
      const values = schema._zod.values;
      if (!values) return unknown;
      return plain(
        [def.type === "enum" ? "entries" : "values"],
        () => (value) => values.has(value as core.util.Primitive),
      );
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
      // Resolved at the first judgment, not here: a lazy schema may hold itself. zod caches the
      // resolved schema in its def (`_cachedInner`).
      return plain(
        ["getter", "_cachedInner"],
        () => (value) => judgeOf((schema as core.$ZodLazy)._zod.innerType)(value),
      );
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
/**
 * Each schema's judge, made once: kept by the schema's identity, which its built-on-first-use
 * holder keeps for the process's life (openAISchemas() and the others). Never derive a schema per
 * call (a `.omit()` in a request's path): each would compile a judge of its own, kept until the
 * schema is collected.
 */
function judgeOf(schema: core.$ZodType): Judge {
  let judge = judges.get(schema);
  if (!judge) {
    judge = compile(schema);
    judges.set(schema, judge);
  }
  return judge;
}

/** Under a zod release other than the one checked against, nothing is judged. */
const judging = isCheckedZod(core.version);

/**
 * Whether `schema` (zod 4) would take `value`, a JSON value (as `JSON.parse` makes it: plain
 * objects and arrays), and read it unchanged, judged without copying anything, by a judge made
 * once per schema from its definition: the kinds the translators' schemas use (loose objects,
 * arrays, unions, records, strings, numbers with `int` and lower bounds, booleans, enums,
 * literals, optional, nullable, lazy, unknown). Anything else (a check on a string, a transform,
 * a default, a class or a def key it does not know, another zod release) answers `undefined`,
 * and the caller asks zod. A request of ~50 KB (a Codex or Claude Code turn) is judged without
 * zod copying each of its objects (docs/BENCHMARKS-HISTORY.md, session 18).
 */
export function acceptsUnchanged(schema: core.$ZodType, value: unknown): Verdict {
  return judging ? judgeOf(schema)(value) : undefined;
}
