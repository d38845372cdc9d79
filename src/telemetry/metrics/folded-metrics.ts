import { Counter, type CounterConfiguration, Histogram, type HistogramConfiguration } from "prom-client";
import { familyHead, labelsText, valueText } from "./exposition-text.ts";
import type { PrintsOwnText } from "./own-text-registry.ts";

type Labels<L extends string> = Readonly<Record<L, string>>;

/**
 * prom-client hashes the label object on every `inc`/`observe` (its `labels()` children too):
 * several hashes per request on the hot path. These families are the same prom-client metrics
 * to the registry, but a request adds to a plain cell its caller resolved once per label set,
 * and the values are folded into the exposition only at scrape time. The text is what
 * prom-client prints for the same observations: cells appear in the order of their first
 * observation, sums add in the same order. A scrape prints a cell's lines again only when it was
 * observed since the last (`reprint`), and a family's text only when one of its cells was
 * (`FamilyText`): most series of a large config sit at 0 from one scrape to the next.
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
  /** Its exposition lines as of `printedCount` observations (-1: never printed). */
  text = "";
  private printedCount = -1;
  /** Each line up to its number, made at its first scrape. */
  private linePrefixes: readonly string[] | undefined;

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

  /** Makes `text` again if it was observed since it was last made; whether it was. */
  reprint(name: string): boolean {
    if (this.count === this.printedCount) return false;
    const prefixes = this.linePrefixes ?? this.prefixesOf(name);
    const lines: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i] ?? 0;
      lines.push(prefixes[i] + valueText(cumulative));
    }
    const at = this.bounds.length;
    lines.push(prefixes[at] + valueText(this.count));
    lines.push(prefixes[at + 1] + valueText(this.sum));
    lines.push(prefixes[at + 2] + valueText(this.count));
    this.text = lines.join("\n");
    this.printedCount = this.count;
    return true;
  }

  private prefixesOf(name: string): readonly string[] {
    this.linePrefixes = [
      ...this.bounds.map((le) => `${name}_bucket${labelsText(withLe(le, this.labels))} `),
      `${name}_bucket${labelsText(withLe("+Inf", this.labels))} `,
      `${name}_sum${labelsText(this.labels)} `,
      `${name}_count${labelsText(this.labels)} `,
    ];
    return this.linePrefixes;
  }
}

/** A cell as its family's text reads it. */
interface PrintedCell {
  readonly text: string;
  reprint(name: string): boolean;
}

/**
 * A family's exposition text, kept between scrapes: joined again from its cells' texts only when
 * a cell was listed or printed again since.
 */
class FamilyText {
  private text: string | undefined;
  private printedCells = 0;

  constructor(
    private readonly name: string,
    private readonly head: string,
  ) {}

  of(cells: readonly PrintedCell[]): string {
    let moved = cells.length !== this.printedCells;
    for (const cell of cells) if (cell.reprint(this.name)) moved = true;
    if (this.text === undefined || moved) {
      this.text = [this.head, ...cells.map((cell) => cell.text)].join("\n");
      this.printedCells = cells.length;
    }
    return this.text;
  }
}

/** A bucket's labels: `le` first, as prom-client prints them. */
const withLe = <L extends string>(le: number | string, labels: Labels<L>) =>
  ({ le, ...labels }) as Partial<Record<L, string | number>>;

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
  private readonly printed: FamilyText;

  constructor(config: Omit<HistogramConfiguration<L>, "collect"> & { buckets: readonly number[] }) {
    refuseCollect(config);
    super({ ...config, buckets: [...config.buckets] });
    this.bounds = config.buckets;
    this.shape = new Histogram({ ...config, buckets: [...config.buckets], registers: [] });
    this.printed = new FamilyText(config.name, familyHead(config.name, config.help, "histogram"));
  }

  ownText(): string {
    return this.printed.of(this.cells);
  }

  /** The cell for one label set; resolve it once and keep it (each call makes a new one). */
  cell(labels: Labels<L>): HistogramCell<L> {
    return new HistogramCell(labels, this);
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
  /** Its exposition line as of `printed` (NaN: never printed). */
  text = "";
  private printed = Number.NaN;
  private linePrefix: string | undefined;

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
  reprint(name: string): boolean {
    if (this.value === this.printed) return false;
    this.linePrefix ??= `${name}${labelsText(this.labels)} `;
    this.text = this.linePrefix + valueText(this.value);
    this.printed = this.value;
    return true;
  }
}

export class FoldedCounter<L extends string> extends Counter<L> implements PrintsOwnText {
  private readonly cells: CounterCell<L>[] = [];
  private readonly printed: FamilyText;

  constructor(config: Omit<CounterConfiguration<L>, "collect">) {
    refuseCollect(config);
    super(config);
    this.printed = new FamilyText(config.name, familyHead(config.name, config.help, "counter"));
  }

  ownText(): string {
    return this.printed.of(this.cells);
  }

  cell(labels: Labels<L>): CounterCell<L> {
    return new CounterCell(labels, this);
  }

  list(cell: CounterCell<L>): void {
    this.cells.push(cell);
  }

  override async get(): ReturnType<Counter<L>["get"]> {
    const base = await super.get();
    return { ...base, values: this.cells.map((cell) => ({ labels: cell.labels, value: cell.value })) };
  }
}
