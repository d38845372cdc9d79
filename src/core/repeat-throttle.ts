import { monotonicClock } from "./steady-clock.ts";

/** How long a key's line holds back its repeats, unless told otherwise. */
const EVERY_MS = 5_000;

/**
 * At most one log line per key (an error code, a frame type) every 5 s, the next one counting
 * those held back: for a line something outside can make the process write at any rate (an
 * upstream that is down, a worker's stray frames), which written every time would flood the log.
 */
export class RepeatThrottle<K> {
  private readonly last = new Map<K, { at: number; held: number }>();

  constructor(
    // A clock NTP never steps: on the wall clock a step back held every line back for its length.
    private readonly now: () => number = monotonicClock,
    private readonly everyMs = EVERY_MS,
  ) {}

  /**
   * Whether a line for `key` goes now: undefined when it is held back, else how many were held
   * back since the last one went (0: none). A line written with a count says it as `suppressed`.
   */
  pass(key: K): number | undefined {
    const at = this.now();
    const last = this.last.get(key);
    if (last === undefined) {
      this.last.set(key, { at, held: 0 });
      return 0;
    }
    if (at - last.at < this.everyMs) {
      last.held++;
      return undefined;
    }
    const held = last.held;
    last.at = at;
    last.held = 0;
    return held;
  }
}
