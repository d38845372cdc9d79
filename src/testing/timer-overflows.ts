/**
 * The `TimeoutOverflowWarning`s the process emits from now on: a `setTimeout` given more than
 * 2^31 - 1 ms, which Bun fires after 1 ms instead (core/timer-delay.ts). `stop` stops listening.
 */
export function timerOverflows(): { readonly seen: () => number; readonly stop: () => void } {
  let count = 0;
  const heard = (warning: Error) => {
    if (warning.name === "TimeoutOverflowWarning") count++;
  };
  process.on("warning", heard);
  return { seen: () => count, stop: () => process.off("warning", heard) };
}
