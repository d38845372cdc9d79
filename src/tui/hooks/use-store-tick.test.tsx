import { expect, test } from "bun:test";
import { Text } from "ink";
import { steppedWallClock } from "../../testing/stepped-clocks.ts";
import { waitFor } from "../../testing/wait-for.ts";
import { TailStore } from "../tail-store.ts";
import { renderOnTerminal } from "../testing/fake-terminal.tsx";
import { useStoreTick } from "./use-store-tick.ts";

function Ticks({ store }: { store: TailStore }) {
  return <Text>tick {useStoreTick(store, 10)}</Text>;
}

test("an idle stream is drawn again each second (its clocks and countdowns move) through a step back of the wall clock (NTP, a VM resumed)", async () => {
  const wall = steppedWallClock();
  const term = renderOnTerminal(<Ticks store={new TailStore()} />);
  try {
    const tick = () => Number(/tick (\d+)/.exec(Bun.stripANSI(term.lastFrame()))?.[1] ?? -1);
    await waitFor("the first idle redraw", () => tick() >= 1, 10_000);
    const before = tick();
    wall.step(-600_000);
    await waitFor("an idle redraw a second after the step", () => tick() > before, 10_000);
    expect(tick()).toBeGreaterThan(before);
  } finally {
    term.unmount();
    wall.restore();
  }
});
