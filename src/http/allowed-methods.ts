/** A route as the app lists it (`app.routes`): its method and path pattern. */
export interface ListedRoute {
  readonly method: string;
  readonly path: string;
}

/** One path pattern split into segments (`:id` one segment, a last `*` the rest) and its methods. */
interface Pattern {
  readonly segments: readonly string[];
  readonly rest: boolean;
  readonly methods: Set<string>;
  /** Its GET is a WebSocket route's upgrade. */
  websocket: boolean;
}

const segmentsOf = (path: string): string[] => path.split("/").filter((segment) => segment !== "");

/**
 * Which methods a path has routes for, so that a known path asked with another method is a 405
 * naming them (`Allow`, HEAD beside each GET but a WebSocket's) rather than a 404. Read from the app's own route list, once it is whole;
 * consulted only for requests no route answered, never on a served request's way.
 */
export class AllowedMethods {
  private readonly patterns: Pattern[] = [];

  constructor(routes: readonly ListedRoute[]) {
    const byPath = new Map<string, Pattern>();
    for (const route of routes) {
      const segments = segmentsOf(route.path);
      const rest = segments.at(-1) === "*";
      if (rest) segments.pop();
      const key = `${segments.join("/")}${rest ? "/*" : ""}`;
      let pattern = byPath.get(key);
      if (!pattern) {
        pattern = { segments, rest, methods: new Set(), websocket: false };
        byPath.set(key, pattern);
        this.patterns.push(pattern);
      }
      // A WebSocket route is its path's GET (the upgrade), which takes no HEAD (a 405). Any other
      // GET route answers HEAD too (Elysia runs it and sends its headers alone), so Allow names it
      // (RFC 9110 15.5.6: a 405's Allow lists every method the resource takes).
      if (route.method === "WS") {
        pattern.methods.add("GET");
        pattern.websocket = true;
      } else {
        pattern.methods.add(route.method);
        if (route.method === "GET") pattern.methods.add("HEAD");
      }
    }
  }

  /** The methods routed at `path` (a trailing slash aside), in a stable order; empty when none is. */
  of(path: string): string[] {
    const asked = segmentsOf(path);
    const methods = new Set<string>();
    for (const pattern of this.patterns)
      if (matches(pattern, asked)) for (const method of pattern.methods) methods.add(method);
    return [...methods].sort();
  }

  /** Whether `path` is a WebSocket route's: a GET that no route answered asked it without an upgrade. */
  upgrades(path: string): boolean {
    const asked = segmentsOf(path);
    return this.patterns.some((pattern) => pattern.websocket && matches(pattern, asked));
  }
}

function matches(pattern: Pattern, asked: readonly string[]): boolean {
  const { segments } = pattern;
  if (pattern.rest ? asked.length <= segments.length : asked.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (!segment.startsWith(":") && segment !== asked[i]) return false;
  }
  return true;
}
