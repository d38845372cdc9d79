import { Text } from "ink";
import { formatFilter, isEmptyFilter, type TailFilter } from "../tail-filter.ts";

export interface FooterProps {
  paused: boolean;
  /** Requests since the pause that the view shows (filter, admin calls): the rows resuming adds. */
  newSincePause: number;
  filter: TailFilter;
  /** The one tenant whose part is read (`--tenant`): a filter too, though `/` does not change it. */
  tenant?: string;
  /** The admin API's own calls are shown (they are left out unless asked for). */
  showAdmin: boolean;
  missed: number;
  notice: string | null;
}

/** PAUSED marker, the tenant read and the active filter, gateway notices, and the key help. */
export function Footer({ paused, newSincePause, filter, tenant, showAdmin, missed, notice }: FooterProps) {
  return (
    <Text wrap="truncate">
      {paused ? (
        <Text inverse color="yellow">
          {` PAUSED +${newSincePause} new `}
        </Text>
      ) : null}
      {paused ? " " : ""}
      {tenant === undefined ? null : <Text color="cyan">[tenant:{tenant}] </Text>}
      {isEmptyFilter(filter) ? null : <Text color="cyan">[{formatFilter(filter)}] </Text>}
      {showAdmin ? <Text color="cyan">[+admin] </Text> : null}
      {missed > 0 ? <Text color="red">{missed} events missed </Text> : null}
      {notice === null ? null : <Text color="magenta">{notice} </Text>}
      <Text dimColor>space pause · / filter · ↑↓ enter detail · w workers · a admin calls · q quit</Text>
    </Text>
  );
}
