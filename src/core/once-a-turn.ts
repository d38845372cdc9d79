/**
 * `run` at the end of this turn of the event loop (`setImmediate`), once however often the
 * returned function is called before then: what batches a turn's messages to a thread into
 * one. Disarmed before `run` runs, so a call made while it runs arms the next turn.
 */
export function onceATurn(run: () => void): () => void {
  let armed = false;
  const fire = () => {
    armed = false;
    run();
  };
  return () => {
    if (armed) return;
    armed = true;
    setImmediate(fire);
  };
}
