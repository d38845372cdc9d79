import { compileGlob, type ModelGlob } from "../auth/model-glob.ts";

/** How a client's model name found its entry in `models:`. */
export interface ModelMatch<P> {
  readonly plan: P;
  /** The entry's `name` (what prices, tenants and the audit's configured model refer to). */
  readonly entry: string;
  /** The name or alias that matched, as written in the config (`claude-*`). */
  readonly pattern: string;
}

interface Pattern<P> {
  readonly pattern: string;
  readonly entry: string;
  readonly plan: P;
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

/** Literal characters in a pattern: the more a glob spells out, the more specific it is. */
export const specificity = (pattern: string) => pattern.replaceAll("*", "").length;

/**
 * Client model names → `models:` entries. Each entry answers to its `name` and `aliases`; any
 * of them may be a glob (`*` matches any run of characters). An exact name or alias wins; among
 * globs the most specific (most literal characters) wins, and on a tie the one listed first.
 */
export class ModelIndex<P> {
  private readonly exact = new Map<string, ModelMatch<P>>();
  private readonly globs: Pattern<P>[] = [];

  add(entry: string, aliases: readonly string[], plan: P): void {
    for (const pattern of [entry, ...aliases]) {
      if (!pattern.includes("*")) {
        if (!this.exact.has(pattern)) this.exact.set(pattern, { plan, entry, pattern });
        continue;
      }
      const order = this.globs.length;
      this.globs.push({
        pattern,
        entry,
        plan,
        matcher: compileGlob(pattern),
        specificity: specificity(pattern),
        order,
      });
      this.globs.sort((a, b) => b.specificity - a.specificity || a.order - b.order);
    }
  }

  /** The match of `name`: the index's own (readonly) record, nothing made per lookup. */
  match(name: string): ModelMatch<P> | undefined {
    const exact = this.exact.get(name);
    if (exact) return exact;
    // A loop, not `find` with an arrow: a closure over `name` would make this function's scope an
    // object on every call, the exact match (every request) included.
    for (const glob of this.globs) if (glob.matcher.test(name)) return glob;
    return undefined;
  }

  /** `match(name)?.plan` without making the glob match's object (pricing asks this per request). */
  planOf(name: string): P | undefined {
    const exact = this.exact.get(name);
    if (exact) return exact.plan;
    for (const glob of this.globs) if (glob.matcher.test(name)) return glob.plan;
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
  knownAs(name: string): KnownAs | undefined {
    if (this.exact.has(name)) return "named";
    for (const glob of this.globs) if (glob.matcher.test(name)) return "matched";
    return undefined;
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
