/**
 * A value built on its first read and kept: for the zod schemas of what a gateway on its defaults
 * never serves at start (another dialect's bodies to translate, the admin API's), each a few
 * hundred objects and closures of idle RSS (docs/BENCHMARKS-HISTORY.md, session 47). A read after
 * the first is one variable's, so a request pays nothing for it being deferred.
 *
 * A build that throws keeps nothing, so every later read builds again (and throws again): what
 * failed at start before a set was deferred fails at its first use now, which is why the unit
 * suite builds every holder once (built-on-first-use.test.ts). The value is an object, so "not
 * built" is never mistaken for a value built.
 *
 * `name` says what is held (one holder per name, made once, at a module's load): the process keeps
 * which were built (`holdersBuilt`), for a test to ask what a start built whatever the stack said.
 */
export function builtOnFirstUse<T extends object>(name: string, build: () => T): () => T {
  if (holders.has(name)) throw new Error(`builtOnFirstUse: a second holder named "${name}"`);
  let built: T | undefined;
  const read = (): T => {
    if (built === undefined) {
      built = build();
      builtNames.add(name);
    }
    return built;
  };
  holders.set(name, read);
  return read;
}

// Names only, and one holder per module constant: neither grows with requests.
const holders = new Map<string, () => object>();
const builtNames = new Set<string>();

/** The holders built so far in this process, by name, in the order they were built. */
export const holdersBuilt = (): string[] => [...builtNames];

/** Every holder made so far (by the modules loaded), by name: for a test to build each once. */
export const everyHolder = (): ReadonlyMap<string, () => object> => holders;
