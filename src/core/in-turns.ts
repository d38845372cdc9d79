/** Steps taken in the order they come; see `inTurns`. */
export interface Turns {
  /**
   * Takes `step` at once when nothing waits and `now` allows, else in its turn behind what waits.
   * Settles once the step has run, or been dropped by `stop`, or at `stop` if it still runs then;
   * never rejects, nor throws.
   */
  take(step: () => Promise<void> | void, now: boolean): Promise<void>;
  /** Drops what waits, and every step after: none runs any more, and every `take` settles. */
  stop(): void;
  /** Has `stop` been called? A step that waited inside its turn asks before it acts. */
  stopped(): boolean;
}

const DONE = Promise.resolve();

/**
 * Steps taken one after another in the order they come, where one may have to wait (for a library
 * loaded on first need: core/on-demand.ts) and every step after it waits behind it, so that their
 * order holds. With nothing waiting, a step that need not wait runs at once, synchronously; if it
 * returns a promise, the steps after it wait for that too. A step that throws or rejects, at once
 * or in a turn that waited, is `unexpected` (the caller is not there to throw it to in either
 * case, so both are told the same way) and the turns after it are taken as usual; should
 * `unexpected` itself throw, that is dropped, never the turns after it. `stop` settles every turn,
 * a step that never settles (a load that hangs) included, so nothing awaits past it.
 */
export function inTurns(unexpected: (error: unknown) => void): Turns {
  let waiting: Promise<void> | undefined;
  let stopped = false;
  const stopping = Promise.withResolvers<void>();
  const tell = (error: unknown) => {
    try {
      unexpected(error);
    } catch {
      // The last resort failed (a logger that throws): nobody is left to tell.
    }
  };
  /** Runs `step`: undefined when it is done at once, else its promise, which never rejects. */
  const run = (step: () => Promise<void> | void): Promise<void> | undefined => {
    try {
      return step()?.catch(tell);
    } catch (error) {
      tell(error);
      return undefined;
    }
  };
  /** `running` as the turn to wait behind, settled at `stop` whatever it does. */
  const enqueue = (running: Promise<void>): Promise<void> => {
    const turn = Promise.race([running, stopping.promise]);
    waiting = turn;
    void turn.then(() => {
      if (waiting === turn) waiting = undefined;
    });
    return turn;
  };
  return {
    take(step, now) {
      if (stopped) return DONE;
      if (waiting === undefined && now) {
        const running = run(step);
        return running === undefined ? DONE : enqueue(running);
      }
      return enqueue((waiting ?? DONE).then(() => (stopped ? undefined : run(step))));
    },
    stop() {
      stopped = true;
      stopping.resolve();
    },
    stopped: () => stopped,
  };
}
