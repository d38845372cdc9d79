/**
 * Below a cent: three significant digits, no grouping (a table cell, read and pasted as a number).
 * Made on the first such figure, not as the module loads: every subcommand's code is read at
 * start, `serve`'s too, and an `Intl.NumberFormat` made then maps ~1 MB of ICU's number-format
 * data and code into a gateway that never prints a dollar (docs/BENCHMARKS-HISTORY.md, session 46).
 */
let belowACent: Intl.NumberFormat | undefined;

/**
 * A dollar figure as the CLI's tables print it: four decimals (`$12.5000`, `$0.0500`), and below a
 * cent three significant digits (`$0.000011`), where four decimals printed one answer's cost, often
 * under a hundredth of a cent, as `$0.0000`.
 */
export function dollars(usd: number): string {
  if (usd === 0 || Math.abs(usd) >= 0.01) return `$${usd.toFixed(4)}`;
  belowACent ??= new Intl.NumberFormat("en-US", { useGrouping: false, maximumSignificantDigits: 3 });
  return `$${belowACent.format(usd)}`;
}
