import { Counter, type CounterConfiguration, Histogram, type HistogramConfiguration } from "prom-client";
import { familyHead, labelList, valueText } from "./exposition-text.ts";
import type { PrintsOwnText } from "./own-text-registry.ts";

type Labels<L extends string> = Readonly<Record<L, string>>;

/**
 * prom-client hashes the label object on every `inc`/`observe` (its `labels()` children too):
 * several hashes per request on the hot path. These families are the same prom-client metrics
 * to the registry, but a request adds to a plain cell its caller resolved once per label set,
 * and the values are folded into the exposition only at scrape time. The text is what
 * prom-client prints for the same observations: cells appear in the order of their first
 * observation, sums add in the same order. A scrape prints every series again from its cell, but
 * from its labels' text, made once (`labelText`): escaping a label object is most of what printing
 * a series costs prom-client, and a cell keeps that one string, no line of a scrape's.
 */
export class HistogramCell<L extends string = string> {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  private listed = false;
  /**
   * The family's bounds, kept here too: an observation reads the cell and its counts, not the
   * family object (one cache line fewer a histogram a request, when the request's other work has
   * left the caches cold).
   */
  private readonly bounds: readonly number[];
  /** Its labels as printed (`labelList`, without `le`), made at its first scrape. */
  private labelText: string | undefined;

  constructor(
    readonly labels: Labels<L>,
    private readonly family: { readonly bounds: readonly number[]; list(cell: HistogramCell<L>): void },
  ) {
    this.bounds = family.bounds;
    this.counts = new Array<number>(family.bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? 0)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
    if (!this.listed) {
      this.listed = true;
      this.family.list(this);
    }
  }

  /** Back to no observation and out of its family's list, until its next observation lists it again. */
  unlist(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.listed = false;
  }

  /** Adds its exposition lines to `lines`, each begun by its family's `heads`. */
  print(heads: HistogramLineHeads, lines: string[]): void {
    this.labelText ??= labelList(this.labels);
    const labels = this.labelText;
    const bucketTail = labels === "" ? "} " : `,${labels}} `;
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i] ?? 0;
      lines.push(heads.buckets[i] + bucketTail + valueText(cumulative));
    }
    const tail = labels === "" ? " " : `{${labels}} `;
    const count = valueText(this.count);
    lines.push(heads.infinity + bucketTail + count);
    lines.push(heads.sum + tail + valueText(this.sum));
    lines.push(heads.count + tail + count);
  }
}

/**
 * What a histogram's lines begin with before a cell's labels, made once a family: a bucket's
 * name and `le` label (prom-client prints `le` first), the sum's and the count's names.
 */
class HistogramLineHeads {
  /** `name_bucket{le="0.1"`, a bound each. */
  readonly buckets: readonly string[];
  readonly infinity: string;
  readonly sum: string;
  readonly count: string;

  constructor(name: string, bounds: readonly number[]) {
    this.buckets = bounds.map((le) => `${name}_bucket{${labelList({ le })}`);
    this.infinity = `${name}_bucket{${labelList({ le: "+Inf" })}`;
    this.sum = `${name}_sum`;
    this.count = `${name}_count`;
  }
}

/** A bucket's labels: `le` first, as prom-client prints them. */
const withLe = <L extends string>(le: number | string, labels: Labels<L>) =>
  ({ le, ...labels }) as Partial<Record<L, string | number>>;

/**
 * Takes the cells whose labels are `gone` out of a family's list (in place), each back to no
 * observation: a family's `reset`, and a reload's `forget`.
 */
function unlistCells<C extends { readonly labels: object; unlist(): void }>(
  cells: C[],
  gone: (labels: C["labels"]) => boolean,
): void {
  let kept = 0;
  for (const cell of cells) {
    if (gone(cell.labels)) cell.unlist();
    else cells[kept++] = cell;
  }
  cells.length = kept;
}

/** A folded family's values are its cells': prom-client's `collect` would set values it never prints. */
function refuseCollect(config: { name: string; collect?: unknown }): void {
  if (config.collect !== undefined)
    throw new Error(`${config.name}: a folded metric family takes no collect callback`);
}

export class FoldedHistogram<L extends string> extends Histogram<L> implements PrintsOwnText {
  readonly bounds: readonly number[];
  private readonly cells: HistogramCell<L>[] = [];
  /**
   * Never observed and registered nowhere: it supplies the family's name, help and type. (This
   * histogram's own prom-client `get` reads back through `getForPromString`, overridden here.)
   */
  private readonly shape: Histogram<L>;
  private readonly head: string;
  private readonly lineHeads: HistogramLineHeads;

  constructor(config: Omit<HistogramConfiguration<L>, "collect"> & { buckets: readonly number[] }) {
    refuseCollect(config);
    super({ ...config, buckets: [...config.buckets] });
    this.bounds = config.buckets;
    this.shape = new Histogram({ ...config, buckets: [...config.buckets], registers: [] });
    this.head = familyHead(config.name, config.help, "histogram");
    this.lineHeads = new HistogramLineHeads(config.name, config.buckets);
  }

  ownText(): string {
    const lines = [this.head];
    for (const cell of this.cells) cell.print(this.lineHeads, lines);
    return lines.join("\n");
  }

  /** The cell for one label set; resolve it once and keep it (each call makes a new one). */
  cell(labels: Labels<L>): HistogramCell<L> {
    return new HistogramCell(labels, this);
  }

  /**
   * The series of the label sets that are `gone` leave the exposition (a reload removed what they
   * count): whoever resolved their cells must drop them too (series-cells.ts), or a new cell for
   * the same labels would print beside the old one's next observation.
   */
  forget(gone: (labels: Labels<L>) => boolean): void {
    unlistCells(this.cells, gone);
  }

  /**
   * `registry.resetMetrics()`: every series leaves the exposition, as prom-client's own families'
   * do, each cell counting again from nothing at its next observation.
   */
  override reset(): void {
    super.reset();
    // prom-client's constructor resets too, before this class's fields exist.
    if (this.cells !== undefined) unlistCells(this.cells, () => true);
  }

  list(cell: HistogramCell<L>): void {
    this.cells.push(cell);
  }

  override async get(): ReturnType<Histogram<L>["get"]> {
    const base = await this.shape.get();
    const name = `${base.name}_bucket`;
    const values = this.cells.flatMap((cell) => {
      let cumulative = 0;
      const buckets = this.bounds.map((le, i) => {
        cumulative += cell.counts[i] ?? 0;
        return { labels: withLe(le, cell.labels), value: cumulative, metricName: name };
      });
      return [
        ...buckets,
        { labels: withLe("+Inf", cell.labels), value: cell.count, metricName: name },
        { labels: cell.labels, value: cell.sum, metricName: `${base.name}_sum` },
        { labels: cell.labels, value: cell.count, metricName: `${base.name}_count` },
      ];
    });
    return { ...base, values };
  }

  /** The registry prints from this when a metric has it; prom-client's own reads its hash map. */
  getForPromString(): ReturnType<Histogram<L>["get"]> {
    return this.get();
  }
}

/** A counter's cell: see HistogramCell. */
export class CounterCell<L extends string = string> {
  value = 0;
  private listed = false;
  /** See HistogramCell's. */
  private labelText: string | undefined;

  constructor(
    readonly labels: Labels<L>,
    private readonly family: { list(cell: CounterCell<L>): void },
  ) {}

  inc(by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) return;
    this.value += by;
    if (!this.listed) {
      this.listed = true;
      this.family.list(this);
    }
  }

  /** See HistogramCell's. */
  unlist(): void {
    this.value = 0;
    this.listed = false;
  }

  /** Its exposition line, under the family's `name`. */
  line(name: string): string {
    this.labelText ??= labelList(this.labels);
    const labels = this.labelText;
    return labels === "" ? `${name} ${valueText(this.value)}` : `${name}{${labels}} ${valueText(this.value)}`;
  }
}

export class FoldedCounter<L extends string> extends Counter<L> implements PrintsOwnText {
  private readonly cells: CounterCell<L>[] = [];
  private readonly seriesName: string;
  private readonly head: string;

  constructor(config: Omit<CounterConfiguration<L>, "collect">) {
    refuseCollect(config);
    super(config);
    this.seriesName = config.name;
    this.head = familyHead(config.name, config.help, "counter");
  }

  ownText(): string {
    const lines = [this.head];
    for (const cell of this.cells) lines.push(cell.line(this.seriesName));
    return lines.join("\n");
  }

  cell(labels: Labels<L>): CounterCell<L> {
    return new CounterCell(labels, this);
  }

  /** See FoldedHistogram's. */
  forget(gone: (labels: Labels<L>) => boolean): void {
    unlistCells(this.cells, gone);
  }

  /** See FoldedHistogram's. */
  override reset(): void {
    super.reset();
    if (this.cells !== undefined) unlistCells(this.cells, () => true);
  }

  list(cell: CounterCell<L>): void {
    this.cells.push(cell);
  }

  override async get(): ReturnType<Counter<L>["get"]> {
    const base = await super.get();
    return { ...base, values: this.cells.map((cell) => ({ labels: cell.labels, value: cell.value })) };
  }
}
