import { describe, expect, test } from "bun:test";
import { waitFor } from "../testing/wait-for.ts";
import { Deadlined, DeadlineList } from "./deadline-list.ts";

/** An entry that records when (in the order of expiries) it expired. */
class Entry extends Deadlined {
  constructor(
    readonly name: string,
    private readonly expired: string[],
  ) {
    super();
  }
  override expire(): void {
    this.expired.push(this.name);
  }
}

/** A clock the test moves by hand: an entry is due only when the test says so. */
function manualClock() {
  const clock = { at: 0, now: () => clock.at };
  return clock;
}

describe("DeadlineList", () => {
  test("an entry added by an expiry does not hold the timer off an older entry due sooner", () => {
    const clock = manualClock();
    const expired: string[] = [];
    const armed: number[] = [];
    const list = new DeadlineList(100, clock.now, (_fire, ms) => {
      armed.push(ms);
      return { unref: () => undefined };
    });
    /** Expires, and starts a follow-up under the same delay (as a failover's next attempt does). */
    class Chained extends Entry {
      override expire(): void {
        super.expire();
        list.add(new Entry("c", expired));
      }
    }
    list.add(new Chained("a", expired));
    clock.at = 50;
    list.add(new Entry("b", expired));
    clock.at = 100;
    list.fire();
    expect(expired).toEqual(["a"]);
    // b is due at 150: the timer waits 50 ms for it, not c's whole 100.
    expect(armed).toEqual([100, 50]);
  });

  test("a delay longer than a timer holds (a 30-day bound) waits in steps a timer can take, and expires only when due", () => {
    // setTimeout takes at most 2^31 - 1 ms; a longer delay fires after 1 ms, and every re-arm
    // would too: the list would wake every millisecond for a month, a warning on stderr each time.
    const clock = manualClock();
    const expired: string[] = [];
    const armed: number[] = [];
    const DAYS_30 = 30 * 86_400_000;
    const list = new DeadlineList(DAYS_30, clock.now, (_fire, ms) => {
      armed.push(ms);
      return { unref: () => undefined };
    });
    list.add(new Entry("a", expired));
    clock.at = 2 ** 31 - 1;
    list.fire();
    expect(expired).toEqual([]);
    clock.at = DAYS_30;
    list.fire();
    expect(expired).toEqual(["a"]);
    expect(armed).toEqual([2 ** 31 - 1, DAYS_30 - (2 ** 31 - 1)]);
  });

  test("entries expire oldest first, each only once its own deadline has passed", () => {
    const clock = manualClock();
    const expired: string[] = [];
    const list = new DeadlineList(1_000, clock.now);
    list.add(new Entry("a", expired));
    clock.at = 400;
    list.add(new Entry("b", expired));
    clock.at = 999;
    list.fire();
    expect(expired).toEqual([]);
    clock.at = 1_000;
    list.fire();
    expect(expired).toEqual(["a"]);
    clock.at = 1_400;
    list.fire();
    expect(expired).toEqual(["a", "b"]);
    expect(list.size).toBe(0);
  });

  test("a settled entry leaves at once, from the middle or either end, and never expires", () => {
    const clock = manualClock();
    const expired: string[] = [];
    const list = new DeadlineList(10, clock.now);
    const entries = ["a", "b", "c", "d"].map((name) => new Entry(name, expired));
    for (const entry of entries) list.add(entry);
    const [a, b, c, d] = entries as [Entry, Entry, Entry, Entry];
    list.remove(b);
    expect(list.size).toBe(3);
    list.remove(a);
    list.remove(d);
    list.remove(d); // twice: nothing
    expect(list.size).toBe(1);
    clock.at = 10;
    list.fire();
    expect(expired).toEqual(["c"]);
    list.remove(c); // after it expired: nothing
    expect(list.size).toBe(0);
  });

  test("an entry added while another expires is kept for its own deadline", () => {
    const clock = manualClock();
    const expired: string[] = [];
    const list = new DeadlineList(5, clock.now);
    const late = new Entry("late", expired);
    class Chaining extends Entry {
      override expire(): void {
        super.expire();
        list.add(late);
      }
    }
    list.add(new Chaining("first", expired));
    clock.at = 5;
    list.fire();
    expect(expired).toEqual(["first"]);
    expect(list.size).toBe(1);
    clock.at = 10;
    list.fire();
    expect(expired).toEqual(["first", "late"]);
  });

  test("on the real clock, its timer expires what is due and waits again for the rest", async () => {
    const expired: string[] = [];
    const list = new DeadlineList(20);
    const settled = new Entry("settled", expired);
    list.add(settled);
    list.add(new Entry("first", expired));
    list.remove(settled);
    await waitFor("the first deadline", () => expired.length === 1);
    list.add(new Entry("second", expired));
    await waitFor("the second deadline", () => expired.length === 2);
    expect(expired).toEqual(["first", "second"]);
    expect(list.size).toBe(0);
  });
});
