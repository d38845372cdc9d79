import { Box, Text } from "ink";
import { formatMs, formatPercent, formatRate } from "../format.ts";
import type { WindowStats } from "../stats-window.ts";
import { ColourText } from "./colour-text.tsx";

/** The one-line summary of the last minute. */
export function Header({ stats }: { stats: WindowStats }) {
  return (
    <Box>
      <Text wrap="truncate">
        <Text bold>req/s</Text> {formatRate(stats.requestsPerSec)} <Text bold>5xx</Text>{" "}
        <ColourText color={stats.errorRate5xx > 0 ? "red" : undefined}>
          {formatPercent(stats.errorRate5xx)}
        </ColourText>{" "}
        <Text bold>4xx</Text> {formatPercent(stats.errorRate4xx)} <Text bold>p50</Text>{" "}
        {formatMs(stats.p50Ms)} <Text bold>p95</Text> {formatMs(stats.p95Ms)} <Text bold>tok/s</Text>{" "}
        {formatRate(stats.tokensPerSec)} <Text dimColor>(last 1m, {stats.count} req)</Text>
      </Text>
    </Box>
  );
}
