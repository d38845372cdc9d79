/**
 * A text as PostgreSQL can hold it: its `text` has no NUL, and a value holding one (a model name a
 * client asked for, an upstream's error message, a body, a response id in a URL) is refused, which
 * dropped that request's audit row and failed a lookup as the store being down (503). NUL becomes
 * U+FFFD, as a lone surrogate already does on its way to UTF-8 (SQLite keeps NUL; a lone surrogate
 * alike). Every value is sent so, lookups as writes: a read finds the row stored with it, and a
 * lookup by an id that holds NUL finds nothing, as on SQLite.
 */
export const storableText = (text: string): string =>
  text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;

const storable = (value: unknown): unknown => (typeof value === "string" ? storableText(value) : value);

/** A helper's row (`db({ name, … })`) or rows, each of their texts `storableText`. */
const storableRows = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(storableRows);
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype)
    return storable(value);
  return Object.fromEntries(Object.entries(value).map(([column, cell]) => [column, storable(cell)]));
};

type Call = (...args: unknown[]) => unknown;

/**
 * `db` (a pool, a reserved connection or a transaction) with every string it is given sent as
 * `storableText`: a tagged query's values, the row(s) given to its insert helper (`db(row)`),
 * `unsafe`'s parameters and `array`'s values (a filter spelt with NUL finds the row stored with
 * U+FFFD). Its other helpers, as they are.
 */
export function textSafe<T extends object>(db: T): T {
  return new Proxy(db, {
    apply(target, self, args: unknown[]) {
      const [strings, ...values] = args;
      const tagged = Array.isArray(strings) && "raw" in strings;
      return Reflect.apply(
        target as Call,
        self,
        tagged ? [strings, ...values.map(storable)] : [storableRows(strings), ...values],
      );
    },
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      // `unsafe(text, params)`'s parameters and `array(values, type)`'s values.
      if (property === "unsafe")
        return (text: string, params?: readonly unknown[], ...rest: unknown[]) =>
          params === undefined
            ? value.call(target, text)
            : value.call(target, text, params.map(storable), ...rest);
      if (property === "array")
        return (values: readonly unknown[], ...rest: unknown[]) =>
          value.call(target, values.map(storable), ...rest);
      return value.bind(target);
    },
  });
}
