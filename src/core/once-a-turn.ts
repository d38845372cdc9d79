/**
 * The functions armed to run at the end of this turn of the event loop, in the order armed. One
 * `setImmediate` a turn runs them all (the turn's end pass); a function armed while the pass runs
 * (by another one's run) joins the same pass, so work that one end-of-turn step hands to another
 * (a request's end queuing its spans' record, say) is done in the same pass: no second
 * `setImmediate`, and no second turn of the loop at c=1 (a `setImmediate` armed inside one runs
 * after the loop has polled once more: ~0.6 µs and a system call, docs/BENCHMARKS-HISTORY.md).
 */
const thisTurn: (() => void)[] = [];
/** Functions armed by their own run: the next turn's pass (a run that always re-arms cannot spin). */
const nextTurn: (() => void)[] = [];
/** A `setImmediate` is armed for `thisTurn` (or its pass is running). */
let scheduled = false;

function runPass(): void {
  let failure: unknown;
  let failed = false;
  // `thisTurn` may grow while it runs: what is armed meanwhile runs in this pass too.
  for (let i = 0; i < thisTurn.length; i++) {
    try {
      (thisTurn[i] as () => void)();
    } catch (error) {
      // One run's failure must not keep the others from theirs; it is thrown once they ran.
      if (!failed) {
        failed = true;
        failure = error;
      }
    }
  }
  thisTurn.length = 0;
  scheduled = false;
  if (nextTurn.length > 0) {
    for (const fire of nextTurn) thisTurn.push(fire);
    nextTurn.length = 0;
    schedule();
  }
  if (failed) throw failure;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(runPass);
}

/**
 * `run` at the end of this turn of the event loop, once however often the returned function is
 * called before then: what batches a turn's messages to a thread into one, or a turn's request
 * ends into one pass. Every function made here runs in one pass a turn (see `thisTurn`). Disarmed
 * before `run` runs: a call made by `run` itself arms it for the next turn, a call made by
 * another function's run in the same pass runs it again in this pass.
 */
export function onceATurn(run: () => void): () => void {
  let armed = false;
  let running = false;
  const fire = () => {
    armed = false;
    running = true;
    try {
      run();
    } finally {
      running = false;
    }
  };
  return () => {
    if (armed) return;
    armed = true;
    if (running) nextTurn.push(fire);
    else {
      thisTurn.push(fire);
      schedule();
    }
  };
}
