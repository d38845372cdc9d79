/** Below a cent: three significant digits, no grouping (a table cell, read and pasted as a number). */
const belowACent = new Intl.NumberFormat("en-US", { useGrouping: false, maximumSignificantDigits: 3 });

/**
 * A dollar figure as the CLI's tables print it: four decimals (`$12.5000`, `$0.0500`), and below a
 * cent three significant digits (`$0.000011`), where four decimals printed one answer's cost, often
 * under a hundredth of a cent, as `$0.0000`.
 */
export const dollars = (usd: number): string =>
  usd === 0 || Math.abs(usd) >= 0.01 ? `$${usd.toFixed(4)}` : `$${belowACent.format(usd)}`;
