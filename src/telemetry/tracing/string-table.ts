/**
 * The strings span batches name by number (span names, attribute keys, models, routes, short
 * values that repeat), kept from one batch to the next: the writer interns a string once and
 * the export thread keeps a mirror, so a batch carries only the strings that are new since the
 * batch before (after the first few batches, usually none). Until session 6 each batch built
 * its own table and map and sent every string again.
 *
 * Bounded: once the table holds `limit.strings` strings or `limit.chars` characters, the batch
 * after starts a new generation (an empty table, `seed` first, every string sent again), so
 * values that do not repeat (an error message with a detail in it) cannot grow it for the
 * life of the process. Every generation begins with `seed`, so those strings have fixed
 * indices (0 … seed.length − 1): the request spans' attribute keys are written by position,
 * with no lookup (span-attributes.ts).
 */
import { joinedName } from "./joined-name.ts";

/** What a batch tells the mirror: its table's generation and the strings added from `from` on. */
export interface TableUpdate {
  readonly generation: number;
  /** The index of the first added string (the mirror's length before it). */
  readonly from: number;
  /** JSON array of the strings added since the batch before. */
  readonly added: string;
}

/**
 * Whether the mirror needs nothing from `update`: no string added and not the whole table again
 * (an update from a later index is of the mirror's generation: a new one starts from 0).
 */
export const tableUnchanged = (update: TableUpdate): boolean => update.from > 0 && update.added === "[]";

export interface TableLimit {
  readonly strings: number;
  readonly chars: number;
}

const DEFAULT_LIMIT: TableLimit = { strings: 4096, chars: 256 * 1024 };

/** The writer's side (the main thread). */
export class StringTable {
  private ids = new Map<string, number>();
  /** `internJoined`'s indices, by first then second part. */
  private joined = new Map<string, Map<string, number>>();
  /**
   * The name `internJoined` found last, by its parts: a request's server and attempt spans are
   * usually named alike (`chat <model>`), and so are the requests that follow.
   */
  private lastFirst = "";
  private lastSecond = "";
  private lastJoined = -1;
  /**
   * `internUnder`'s last value and its index, per seed key (a request span's attribute key, by its
   * index): each key's value nearly always repeats from one request to the next (the front door,
   * the model, the route, the key's name), and comparing it with the last one costs less than
   * hashing it for the map, which a value parsed afresh per request (the model) must be.
   */
  private lastValues: (string | undefined)[] = [];
  private lastIds: number[] = [];
  /** `internGroup`'s groups by a hash of their pairs: the group's index and its pairs. */
  private groups = new Map<number, { readonly id: number; readonly pairs: Float64Array }>();
  /** The current generation's strings, by index. */
  private strings: string[] = [];
  private chars = 0;
  /** Where the strings the mirror has not been sent start. */
  private from = 0;
  private generation = 0;

  constructor(
    private readonly seed: readonly string[],
    private readonly limit: TableLimit = DEFAULT_LIMIT,
  ) {
    this.start();
  }

  /** `value`'s index in the current generation, added when new. */
  intern(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.strings.push(value) - 1;
      this.ids.set(value, id);
      this.chars += value.length;
    }
    return id;
  }

  /** `intern` for a value of the attribute whose key has table index `key`. */
  internUnder(key: number, value: string): number {
    if (key >= this.lastValues.length) return this.intern(value);
    if (this.lastValues[key] === value) return this.lastIds[key] as number;
    const id = this.intern(value);
    this.lastValues[key] = value;
    this.lastIds[key] = id;
    return id;
  }

  /** The generation being written: an index is valid only in the generation that gave it. */
  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * The index of the group (span-batch-layout.ts, `GROUP`) of the attribute pairs
   * `pairs[start, end)`: its numbers as a JSON array, interned. Found by a hash of the numbers, so
   * a group met again makes no string. -1 when one is not an integer (JSON would not carry every
   * number back as it was) or another group has the same hash: those pairs stay as they are.
   */
  internGroup(pairs: Float64Array, start: number, end: number): number {
    let hash = end - start;
    for (let k = start; k < end; k++) {
      const value = pairs[k] as number;
      if (!Number.isInteger(value) || Object.is(value, -0)) return -1;
      hash = (Math.imul(hash, 31) + value) | 0;
    }
    const known = this.groups.get(hash);
    if (known !== undefined) return sameNumbers(known.pairs, pairs, start, end) ? known.id : -1;
    const own = pairs.slice(start, end);
    const id = this.intern(JSON.stringify(Array.from(own)));
    this.groups.set(hash, { id, pairs: own });
    return id;
  }

  /**
   * The index of a span name (operation and model: `joinedName`), found by its parts: a
   * name made per request would be joined and hashed again for each lookup.
   */
  internJoined(first: string, second: string): number {
    if (first === this.lastFirst && second === this.lastSecond && this.lastJoined >= 0)
      return this.lastJoined;
    let seconds = this.joined.get(first);
    if (seconds === undefined) {
      seconds = new Map();
      this.joined.set(first, seconds);
    }
    let id = seconds.get(second);
    if (id === undefined) {
      id = this.intern(joinedName(first, second));
      seconds.set(second, id);
    }
    this.lastFirst = first;
    this.lastSecond = second;
    this.lastJoined = id;
    return id;
  }

  /**
   * The update for the batch being handed over (every index it holds is valid in it); the
   * next batch starts a new generation when the table is over its limit.
   */
  take(): TableUpdate {
    const update: TableUpdate = {
      generation: this.generation,
      from: this.from,
      // Most batches add nothing: no array sliced and written for that.
      added:
        this.from === this.strings.length
          ? "[]"
          : JSON.stringify(this.from === 0 ? this.strings : this.strings.slice(this.from)),
    };
    if (this.strings.length >= this.limit.strings || this.chars >= this.limit.chars) {
      this.generation++;
      this.start();
    } else this.from = this.strings.length;
    return update;
  }

  /**
   * After a batch may not have reached the mirror (its post failed, or the thread refused it):
   * the next batch carries the whole table (`from` 0), which the mirror takes in place of its own.
   * The indices already written into the batch being filled stay valid.
   */
  resend(): void {
    this.from = 0;
  }

  private start(): void {
    this.ids = new Map();
    this.joined = new Map();
    this.groups = new Map();
    this.lastJoined = -1;
    this.lastValues = this.seed.map(() => undefined);
    this.lastIds = this.seed.map(() => -1);
    this.strings = [];
    this.chars = 0;
    this.from = 0;
    for (const value of this.seed) this.intern(value);
  }
}

function sameNumbers(kept: Float64Array, pairs: Float64Array, start: number, end: number): boolean {
  if (kept.length !== end - start) return false;
  for (let k = 0; k < kept.length; k++) if (kept[k] !== pairs[start + k]) return false;
  return true;
}

/** The export thread's copy, updated from each batch in the order the batches were posted. */
export class StringTableMirror {
  private generation = -1;
  private strings: string[] = [];

  /**
   * The table as of this batch. A new generation, or the whole table sent again, gets a new
   * array, so a batch still being exported keeps the strings it named; otherwise it only grows.
   */
  apply(update: TableUpdate): readonly string[] {
    if (update.generation !== this.generation || update.from === 0) {
      this.generation = update.generation;
      this.strings = [];
    }
    if (update.from !== this.strings.length)
      throw new Error(
        `span batch string table out of step: strings from ${update.from}, the thread holds ${this.strings.length}`,
      );
    for (const value of JSON.parse(update.added) as string[]) this.strings.push(value);
    return this.strings;
  }

  /** The table as of a batch whose update was `tableUnchanged` (it came through the ring). */
  current(): readonly string[] {
    return this.strings;
  }
}
