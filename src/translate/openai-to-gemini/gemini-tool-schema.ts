import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * A reference this cannot write out: one to itself, into another document, to nothing, or with a
 * malformed %-escape; or references that would write out past the bound.
 */
class Unwritable extends Error {}

/** Keywords whose values are data, not schemas: a `$ref` key in them is no reference. */
const DATA = new Set(["const", "enum", "default", "examples", "example"]);

/**
 * Keywords whose values name schemas: a name there (a parameter `default`, a definition `enum`, a
 * property `$ref`) is no keyword, its value a schema.
 */
const NAMED = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);

/**
 * The most nodes (each object, array and value) writing out may make: ten times the schema's
 * own, or 10,000 if more. A definition used a few times over (pydantic's, zod's) writes out
 * within it; a chain of definitions each referencing the next twice doubles at every step (22
 * steps in 2 kB took 44 s and 247 MB, the event loop held), so past it the schema goes as given.
 * Bound by the schema's own size, the work stays linear in what the caller sent.
 */
const GROWTH = 10;
const FLOOR = 10_000;

/**
 * A function's JSON Schema as Gemini's `parametersJsonSchema` takes it. Gemini resolves `$ref`
 * only in part — a reference into `$defs` from inside `anyOf` is its 400 "reference to undefined
 * schema at properties.x.anyOf.1", one beside other keywords "$ref 'X' was set alongside
 * unsupported fields" — where pydantic and zod write both. So each local reference (`#/$defs/X`,
 * `#/definitions/X`, any `#/…` pointer) is written out in place, its own keywords (a
 * `description`) kept over the target's, and `$defs`/`definitions` go. A schema with a reference
 * that cannot be written out (recursive, to another document, to nothing, with a malformed
 * %-escape) goes as given, for Gemini to judge. The root's `$schema` (Claude Code's tools name
 * draft 2020-12) names the dialect, nothing the model reads, and goes.
 */
export function geminiToolSchema(schema: JsonObject): JsonObject {
  const { $schema: _dialect, ...rest } = schema;
  if (!hasRef(rest)) return rest;
  try {
    const writing = { root: rest, left: Math.max(FLOOR, GROWTH * size(rest)) };
    const {
      $defs: _defs,
      definitions: _definitions,
      ...written
    } = writtenOut(rest, writing, []) as JsonObject;
    return written;
  } catch (error) {
    if (error instanceof Unwritable) return rest;
    throw error;
  }
}

function hasRef(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasRef);
  if (!isJsonObject(node)) return false;
  if (typeof node.$ref === "string") return true;
  for (const [key, value] of Object.entries(node)) {
    if (DATA.has(key)) continue;
    if (named(key, value) ? Object.values(value).some(hasRef) : hasRef(value)) return true;
  }
  return false;
}

/** Whether `value`, under `key`, maps names to schemas. */
function named(key: string, value: unknown): value is JsonObject {
  return NAMED.has(key) && isJsonObject(value);
}

/** How many nodes `node` is: itself, and each object's and array's values. */
function size(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + size(item), 1);
  if (!isJsonObject(node)) return 1;
  return Object.values(node).reduce((sum: number, value) => sum + size(value), 1);
}

/** The schema references point into, and how many more nodes writing out may make. */
interface Writing {
  readonly root: JsonObject;
  left: number;
}

/** `node` with every reference in it written out; `trail` the references being written. */
function writtenOut(node: unknown, writing: Writing, trail: readonly string[]): unknown {
  if (--writing.left < 0) throw new Unwritable();
  if (Array.isArray(node)) return node.map((item) => writtenOut(item, writing, trail));
  if (!isJsonObject(node)) return node;
  const out: JsonObject = {};
  const ref = node.$ref;
  if (typeof ref === "string") {
    if (trail.includes(ref)) throw new Unwritable();
    const target = writtenOut(pointed(writing.root, ref), writing, [...trail, ref]);
    if (!isJsonObject(target)) throw new Unwritable();
    Object.assign(out, target);
  }
  for (const [key, value] of Object.entries(node))
    if (key !== "$ref") out[key] = DATA.has(key) ? value : keywordOut(key, value, writing, trail);
  return out;
}

/** The value of keyword `key` with every reference in it written out. */
function keywordOut(key: string, value: unknown, writing: Writing, trail: readonly string[]): unknown {
  if (!named(key, value)) return writtenOut(value, writing, trail);
  if (--writing.left < 0) throw new Unwritable();
  // fromEntries, as a parameter named __proto__ set by assignment would be the prototype, lost.
  return Object.fromEntries(
    Object.entries(value).map(([name, schema]) => [name, writtenOut(schema, writing, trail)]),
  );
}

/** What the local JSON Pointer `ref` (`#/$defs/Target`) names in `root`. */
function pointed(root: JsonObject, ref: string): unknown {
  if (!ref.startsWith("#")) throw new Unwritable();
  let at: unknown = root;
  for (const step of ref.slice(1).split("/").slice(1)) {
    const key = decoded(step).replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isJsonObject(at) || !Object.hasOwn(at, key)) throw new Unwritable();
    at = at[key];
  }
  return at;
}

/** `step` with its %-escapes decoded; a malformed one (`%E0`) makes the reference Unwritable. */
function decoded(step: string): string {
  try {
    return decodeURIComponent(step);
  } catch {
    throw new Unwritable();
  }
}
