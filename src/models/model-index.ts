import { compileGlob, type ModelGlob } from "../auth/model-glob.ts";

/** How a client's model name found its entry in `models:`. */
export interface ModelMatch<P> {
  readonly plan: P;
  /** The entry's `name` (what prices, tenants and the audit's configured model refer to). */
  readonly entry: string;
  /** The name or alias that matched, as written in the config (`claude-*`). */
  readonly pattern: string;
}

/** An exact name's match, with the tenant its entry is scoped to. */
interface Exact<P> extends ModelMatch<P> {
  readonly owner: string | undefined;
}

interface Pattern<P> {
  readonly pattern: string;
  readonly entry: string;
  readonly plan: P;
  readonly owner: string | undefined;
  readonly matcher: ModelGlob;
  readonly specificity: number;
  readonly order: number;
}

/**
 * How a client's model name is known to the config: spelled out as an entry's name or alias
 * (`"named"`), or only matched, by a glob or a connected worker (`"matched"`): then the name is the
 * client's own text, which may hold anything (a key pasted into the wrong field).
 */
export type KnownAs = "named" | "matched";

/** A lookup over every entry, whatever its tenant: the config's own view (prices, metrics labels, `config check`). */
export const EVERY_ENTRY = Symbol("every entry");

/**
 * Whose lookup it is: a caller of a tenant (its name) reaches everyone's entries and its tenant's;
 * a caller outside every configured tenant (null), everyone's alone; `EVERY_ENTRY`, all of them.
 */
export type Reader = string | null | typeof EVERY_ENTRY;

/** Whether `reader` reaches an entry scoped to `owner` (undefined: everyone's). */
const reaches = (reader: Reader, owner: string | undefined): boolean =>
  owner === undefined || reader === EVERY_ENTRY || owner === reader;

/** Literal characters in a pattern: the more a glob spells out, the more specific it is. */
export const specificity = (pattern: string) => pattern.replaceAll("*", "").length;

/**
 * Client model names → `models:` entries. Each entry answers to its `name` and `aliases`; any
 * of them may be a glob (`*` matches any run of characters). An exact name or alias wins; among
 * globs the most specific (most literal characters) wins, and on a tie the one listed first. A
 * lookup for a reader (`Reader`) finds among the entries it reaches alone: another tenant's more
 * specific glob neither takes a name from a caller nor tells it that it exists. With no entry
 * scoped to a tenant every reader reaches every entry, and a lookup costs one comparison more.
 */
export class ModelIndex<P> {
  private readonly exact = new Map<string, Exact<P>>();
  private readonly globs: Pattern<P>[] = [];

  /** `owner`: the tenant the entry is scoped to (`models[].tenant`); undefined for everyone's. */
  add(entry: string, aliases: readonly string[], plan: P, owner?: string): void {
    for (const pattern of [entry, ...aliases]) {
      if (!pattern.includes("*")) {
        if (!this.exact.has(pattern)) this.exact.set(pattern, { plan, entry, pattern, owner });
        continue;
      }
      const order = this.globs.length;
      this.globs.push({
        pattern,
        entry,
        plan,
        owner,
        matcher: compileGlob(pattern),
        specificity: specificity(pattern),
        order,
      });
      this.globs.sort((a, b) => b.specificity - a.specificity || a.order - b.order);
    }
  }

  match(name: string, reader: Reader = EVERY_ENTRY): ModelMatch<P> | undefined {
    const exact = this.exactFor(name, reader);
    if (exact) return exact;
    const glob = this.globFor(name, reader);
    return glob && { plan: glob.plan, entry: glob.entry, pattern: glob.pattern };
  }

  /** `match(name)?.plan` without making the glob match's object (routing and pricing ask this per request). */
  planOf(name: string, reader: Reader = EVERY_ENTRY): P | undefined {
    return (this.exactFor(name, reader) ?? this.globFor(name, reader))?.plan;
  }

  /** The exact name's entry when `reader` reaches it (names are unique over every tenant: repeated-model-names.ts). */
  private exactFor(name: string, reader: Reader): Exact<P> | undefined {
    const exact = this.exact.get(name);
    return exact && reaches(reader, exact.owner) ? exact : undefined;
  }

  /** The most specific glob `reader` reaches that matches `name`. */
  private globFor(name: string, reader: Reader): Pattern<P> | undefined {
    // A loop, not `find` with an arrow: a closure over `name` would make this function's scope an
    // object on every call.
    for (const glob of this.globs) if (reaches(reader, glob.owner) && glob.matcher.test(name)) return glob;
    return undefined;
  }

  /**
   * `match(name)?.pattern` without making the glob match's object: the config's own string (the
   * same one every time), so a name that only a glob matches is never handed back itself.
   */
  patternOf(name: string): string | undefined {
    const exact = this.exact.get(name);
    if (exact) return exact.pattern;
    for (const glob of this.globs) if (glob.matcher.test(name)) return glob.pattern;
    return undefined;
  }

  /** Whether the config spells `name` out or only a glob matches it; undefined when neither. */
  knownAs(name: string, reader: Reader = EVERY_ENTRY): KnownAs | undefined {
    if (this.exactFor(name, reader)) return "named";
    return this.globFor(name, reader) ? "matched" : undefined;
  }

  /** Names a client can send as they are (no globs), for `GET /v1/models`. */
  names(): string[] {
    return [...this.exact.keys()];
  }

  /** Every pattern in the order a lookup tries them: exact names, then globs by specificity. */
  precedence(): { pattern: string; entry: string }[] {
    return [
      ...[...this.exact.values()].map(({ pattern, entry }) => ({ pattern, entry })),
      ...this.globs.map(({ pattern, entry }) => ({ pattern, entry })),
    ];
  }
}
