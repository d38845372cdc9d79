import type { FrontDoor } from "../../audit/audit-record.ts";
import { branch, newMap } from "./branch.ts";
import type { CounterCell, FoldedCounter, FoldedHistogram, HistogramCell } from "./folded-metrics.ts";
import type { KeptLabels } from "./kept-labels.ts";

/** The families a finished request adds to. */
export interface RequestFamilies {
  readonly requests: FoldedCounter<"front_door" | "model" | "provider" | "status_class">;
  readonly duration: FoldedHistogram<"front_door" | "model" | "status_class">;
  readonly ttft: FoldedHistogram<"front_door" | "model">;
  readonly tokens: FoldedHistogram<"front_door" | "model" | "gen_ai_token_type">;
  readonly cost: FoldedCounter<"model">;
}

/** The cells one finished request adds to. */
export interface RequestCells {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
  /** Only for a front door whose answers are generated tokens (`GENERATES`). */
  readonly ttft: HistogramCell | undefined;
  readonly inputTokens: HistogramCell;
  /** None for `embeddings`: an embedding generates no tokens (`NO_OUTPUT`). */
  readonly outputTokens: HistogramCell | undefined;
  readonly cost: CounterCell;
}

/**
 * The front doors whose answers are generated tokens, the only ones with a time to first token:
 * an embedding is none, and `count_tokens` is the gateway's own estimate. Read once a label set.
 */
const GENERATES: ReadonlySet<string> = new Set<FrontDoor>(["chat", "completions", "responses", "messages"]);

/**
 * The front doors whose answers have no output tokens, as the GenAI conventions' embeddings span
 * has input tokens alone: an observation of 0 a call would sit in every output quantile.
 */
const NO_OUTPUT: ReadonlySet<string> = new Set<FrontDoor>(["embeddings"]);

/**
 * A request's cells by its labels: made the first time a label set is seen, then found through
 * one Map per label (front door → model → provider → status class), and the last set's cells
 * kept beside them: a run of like requests (one model, one route, 2xx: most traffic) finds its
 * cells by four string comparisons instead of four Map look-ups (~30 ns a request).
 */
export class RequestCellTable {
  private readonly byFrontDoor = new Map<string, Map<string, Map<string, Map<string, RequestCells>>>>();
  /**
   * Seeded label sets' request counters by model, each until its label set's first request
   * (`seed`): a short list (a model's front doors by its providers) searched once a label set.
   */
  private readonly seeded = new Map<string, RequestCounter[]>();
  /** Families with fewer labels share one cell between several label sets, by a key naming both. */
  private readonly shared = new Map<string, CounterCell<string> | HistogramCell<string>>();
  private lastFrontDoor = "";
  private lastModel = "";
  private lastProvider = "";
  private lastStatus = "";
  private last: RequestCells | undefined;

  constructor(private readonly families: RequestFamilies) {}

  of(frontDoor: string, model: string, provider: string, status: string): RequestCells {
    const last = this.last;
    if (
      last !== undefined &&
      status === this.lastStatus &&
      provider === this.lastProvider &&
      frontDoor === this.lastFrontDoor &&
      model === this.lastModel
    )
      return last;
    const cells = this.found(frontDoor, model, provider, status);
    this.lastFrontDoor = frontDoor;
    this.lastModel = model;
    this.lastProvider = provider;
    this.lastStatus = status;
    this.last = cells;
    return cells;
  }

  /**
   * The label set's series that must be there before its first request, at 0 (its count and its
   * model's spend: Prometheus's increase() takes a series' first sample as its start), and no
   * more: its histograms, and its place among the cells requests find, come with its first
   * request, as any label set's do. Its counter waits among its model's (`seeded`).
   */
  seed(frontDoor: string, model: string, provider: string, status: string): void {
    const waiting = branch(this.seeded, model, newList);
    const had =
      waiting.find((cell) => sameLabels(cell, frontDoor, provider, status)) ??
      this.byFrontDoor.get(frontDoor)?.get(model)?.get(provider)?.get(status)?.requests;
    // Listed already, it stays as it is; unlisted by `registry.resetMetrics()`, it is back at 0.
    if (had) had.inc(0);
    else {
      const requests = this.families.requests.cell({
        front_door: frontDoor,
        model,
        provider,
        status_class: status,
      });
      requests.inc(0);
      waiting.push(requests);
    }
    this.cell(this.families.cost, `cost\0${model}`, { model }).inc(0);
  }

  /**
   * A reload's config names no longer some models, or some of a model's routes: their series
   * leave the exposition, and their cells this table, so that a later request of those labels
   * (a model added back) starts new ones.
   */
  forget(kept: KeptLabels): void {
    const { requests, duration, ttft, tokens, cost } = this.families;
    requests.forget((labels) => !kept.route(labels.model, labels.provider));
    duration.forget((labels) => !kept.model(labels.model));
    ttft.forget((labels) => !kept.model(labels.model));
    tokens.forget((labels) => !kept.model(labels.model));
    cost.forget((labels) => !kept.model(labels.model));
    for (const byModel of this.byFrontDoor.values())
      for (const [model, byProvider] of byModel) {
        if (!kept.model(model)) byModel.delete(model);
        else
          for (const provider of byProvider.keys())
            if (!kept.route(model, provider)) byProvider.delete(provider);
      }
    for (const [model, waiting] of this.seeded) {
      const left = waiting.filter((cell) => kept.route(model, cell.labels.provider));
      if (left.length > 0) this.seeded.set(model, left);
      else this.seeded.delete(model);
    }
    for (const [key, cell] of this.shared) if (!kept.model(cell.labels.model ?? "")) this.shared.delete(key);
    this.last = undefined;
  }

  private found(frontDoor: string, model: string, provider: string, status: string): RequestCells {
    const byModel = branch(this.byFrontDoor, frontDoor, newMap);
    const byStatus = branch(branch(byModel, model, newMap), provider, newMap);
    const had = byStatus.get(status);
    if (had) return had;
    // A seeded set's counter is its series already: a second cell would print it twice.
    const waiting = this.seeded.get(model);
    const at = waiting?.findIndex((cell) => sameLabels(cell, frontDoor, provider, status)) ?? -1;
    const seeded = at < 0 ? undefined : waiting?.splice(at, 1)[0];
    const { requests, duration, ttft, tokens, cost } = this.families;
    const fm = `${frontDoor}\0${model}`;
    const cells: RequestCells = {
      requests: seeded ?? requests.cell({ front_door: frontDoor, model, provider, status_class: status }),
      duration: this.cell(duration, `duration\0${fm}\0${status}`, {
        front_door: frontDoor,
        model,
        status_class: status,
      }),
      ttft: GENERATES.has(frontDoor)
        ? this.cell(ttft, `ttft\0${fm}`, { front_door: frontDoor, model })
        : undefined,
      inputTokens: this.cell(tokens, `tokens\0${fm}\0input`, {
        front_door: frontDoor,
        model,
        gen_ai_token_type: "input",
      }),
      outputTokens: NO_OUTPUT.has(frontDoor)
        ? undefined
        : this.cell(tokens, `tokens\0${fm}\0output`, {
            front_door: frontDoor,
            model,
            gen_ai_token_type: "output",
          }),
      cost: this.cell(cost, `cost\0${model}`, { model }),
    };
    byStatus.set(status, cells);
    return cells;
  }

  /** The one cell of `family` for these labels (`key` names both). */
  private cell<L extends string, C extends CounterCell<L> | HistogramCell<L>>(
    family: { cell(labels: Readonly<Record<L, string>>): C },
    key: string,
    labels: Readonly<Record<L, string>>,
  ): C {
    let found = this.shared.get(key) as C | undefined;
    if (!found) {
      found = family.cell(labels);
      this.shared.set(key, found);
    }
    return found;
  }
}

type RequestCounter = CounterCell<"front_door" | "model" | "provider" | "status_class">;

const newList = (): RequestCounter[] => [];

const sameLabels = (cell: RequestCounter, frontDoor: string, provider: string, status: string) =>
  cell.labels.front_door === frontDoor &&
  cell.labels.provider === provider &&
  cell.labels.status_class === status;

/** The cells one upstream attempt adds to. */
export interface AttemptCells {
  readonly count: CounterCell;
  readonly duration: HistogramCell;
}

/**
 * An upstream attempt's cells by provider → outcome, and the last attempt's beside them (by its
 * route, a string of the route table's own, so a run of attempts on one route compares
 * pointers), as RequestCellTable keeps the last request's.
 */
export class AttemptCellTable {
  private readonly byProvider = new Map<string, Map<string, AttemptCells>>();
  private lastRoute = "";
  private lastOutcome = "";
  private last: AttemptCells | undefined;

  constructor(
    private readonly count: FoldedCounter<"provider" | "outcome">,
    private readonly duration: FoldedHistogram<"provider" | "outcome">,
    /** A route's provider label. */
    private readonly providerOf: (route: string) => string,
  ) {}

  /** A reload removed some providers: their series leave the exposition, and their cells this table. */
  forget(kept: KeptLabels): void {
    this.count.forget((labels) => !kept.provider(labels.provider));
    this.duration.forget((labels) => !kept.provider(labels.provider));
    for (const provider of this.byProvider.keys())
      if (!kept.provider(provider)) this.byProvider.delete(provider);
    this.last = undefined;
  }

  of(route: string, outcome: string): AttemptCells {
    const last = this.last;
    if (last !== undefined && route === this.lastRoute && outcome === this.lastOutcome) return last;
    const provider = this.providerOf(route);
    const byOutcome = branch(this.byProvider, provider, newMap);
    let cells = byOutcome.get(outcome);
    if (!cells) {
      const labels = { provider, outcome };
      cells = { count: this.count.cell(labels), duration: this.duration.cell(labels) };
      byOutcome.set(outcome, cells);
    }
    this.lastRoute = route;
    this.lastOutcome = outcome;
    this.last = cells;
    return cells;
  }
}
