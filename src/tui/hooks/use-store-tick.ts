import { useEffect, useState } from "react";
import { monotonicClock } from "../../core/steady-clock.ts";
import type { TailStore } from "../tail-store.ts";

/**
 * Re-renders at most once per `intervalMs` when the store changed, and at least once a
 * second so clocks, countdowns and the stats window move on an idle stream. Events never
 * cause a React update by themselves: this is what keeps up with 1,000 events/s. The second is
 * the monotonic clock's: on the wall clock a step back froze an idle screen for the step's length.
 */
export function useStoreTick(store: TailStore, intervalMs: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let seen = store.version;
    let renderedAt = monotonicClock();
    const timer = setInterval(() => {
      const now = monotonicClock();
      if (store.version === seen && now - renderedAt < 1000) return;
      seen = store.version;
      renderedAt = now;
      setTick((t) => t + 1);
    }, intervalMs);
    return () => clearInterval(timer);
  }, [store, intervalMs]);
  return tick;
}
