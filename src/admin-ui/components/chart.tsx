/** @jsxImportSource preact */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** CSS custom property holding the line colour (so light and dark themes both read). */
  colorVar: string;
}

interface ChartProps {
  title: string;
  /** A fixed value range (shares: 0..1); otherwise uPlot fits the data. */
  range?: [number, number];
  t: number[];
  series: ChartSeries[];
  format: (value: number) => string;
}

const cssColor = (name: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

/**
 * The values with none beside them (a burst between quiet buckets, the one request of a fresh
 * gateway): a line needs two, and uPlot draws its points only when they are few, so these would
 * draw nothing. Null when uPlot draws every point anyway.
 */
export function isolatedPoints(
  values: ArrayLike<number | null | undefined>,
  shown: boolean,
): number[] | null {
  if (shown) return null;
  const alone: number[] = [];
  for (let i = 0; i < values.length; i++)
    if (values[i] != null && values[i - 1] == null && values[i + 1] == null) alone.push(i);
  return alone.length > 0 ? alone : null;
}

/** A uPlot line chart that fills its container's width and redraws when the data changes. */
export function Chart({ title, t, series, format, range }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its set of lines changes; data updates in place
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const axis = cssColor("--muted");
    const grid = cssColor("--grid");
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, ...(range ? { y: { range } } : {}) },
      axes: [
        { stroke: axis, grid: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid }, size: 72, values: (_u, ticks) => ticks.map(format) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssColor(s.colorVar),
          width: 1.5,
          spanGaps: false,
          points: {
            fill: cssColor(s.colorVar),
            filter: (u: uPlot, index: number, shown: boolean) => isolatedPoints(u.data[index] ?? [], shown),
          },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : format(v)),
        })),
      ],
    };
    const data: uPlot.AlignedData = [t, ...series.map((s) => s.values)];
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(200, element.clientWidth), height: 180 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt when the set of lines changes; data alone updates in place below.
  }, [series.map((s) => s.label).join("|"), format]);

  useEffect(() => {
    plot.current?.setData([t, ...series.map((s) => s.values)]);
  }, [t, series]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={title} />
    </figure>
  );
}
