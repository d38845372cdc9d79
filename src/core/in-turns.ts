/** Steps taken in the order they come; see `inTurns`. */
export interface Turns {
  /**
   * Takes `step` at once when nothing waits and `now` allows, else in its turn behind what waits.
   * Settles once the step has run, or been dropped by `stop`; never rejects.
   */
  take(step: () => Promise<void> | void, now: boolean): Promise<void>;
  /** Drops what waits, and every step after: none runs any more. */
  stop(): void;
  /** Has `stop` been called? A step that waited inside its turn asks before it acts. */
  stopped(): boolean;
}

const DONE = Promise.resolve();

/**
 * Steps taken one after another in the order they come, where one may have to wait (for a library
 * loaded on first need: core/on-demand.ts) and every step after it waits behind it, so that their
 * order holds. With nothing waiting, a step that need not wait runs at once, synchronously. A step
 * that throws in a turn that waited is `unexpected` (nobody is there to throw it to) and the turns
 * after it are taken as usual.
 */
export function inTurns(unexpected: (error: unknown) => void): Turns {
  let waiting: Promise<void> | undefined;
  let stopped = false;
  return {
    take(step, now) {
      if (stopped) return DONE;
      if (waiting === undefined && now) {
        void step();
        return DONE;
      }
      const turn: Promise<void> = (waiting ?? DONE)
        .then(() => (stopped ? undefined : step()))
        .catch(unexpected);
      waiting = turn;
      void turn.then(() => {
        if (waiting === turn) waiting = undefined;
      });
      return turn;
    },
    stop() {
      stopped = true;
    },
    stopped: () => stopped,
  };
}
