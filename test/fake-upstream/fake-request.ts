import type { Behaviour } from "./fake-behaviour.ts";

/** How an exchange ended: answered in full, dropped by the client, or cut by the fake on purpose. */
export type FakeOutcome = "completed" | "aborted" | "cut";

/** One request the fake received, as tests observe it. */
export interface FakeRequest {
  /** 1-based arrival order. */
  readonly id: number;
  readonly method: string;
  /** URL path, without the query string. */
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** The knobs that applied, after merging queue, headers and markers. */
  behaviour: Behaviour;
  /** Undefined while the exchange is still going on. */
  outcome: FakeOutcome | undefined;
  /** True once the client went away before the answer was finished. */
  readonly aborted: boolean;
  /** Resolves when the exchange ends, whichever way. */
  readonly settled: Promise<FakeOutcome>;
}

/** The record plus the one way to end it; the first outcome wins. */
export class RecordedRequest implements FakeRequest {
  behaviour: Behaviour = {};
  outcome: FakeOutcome | undefined;
  readonly settled: Promise<FakeOutcome>;
  private resolve!: (outcome: FakeOutcome) => void;

  constructor(
    readonly id: number,
    readonly method: string,
    readonly path: string,
    readonly headers: Record<string, string>,
    readonly body: unknown,
    private readonly onChange: () => void,
  ) {
    this.settled = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  get aborted(): boolean {
    return this.outcome === "aborted";
  }

  settle(outcome: FakeOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.resolve(outcome);
    this.onChange();
  }

  toJSON() {
    const { id, method, path, headers, body, behaviour, outcome, aborted } = this;
    return { id, method, path, headers, body, behaviour, outcome: outcome ?? null, aborted };
  }
}
