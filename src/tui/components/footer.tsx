import { Text } from "ink";
import { formatFilter, isEmptyFilter, type TailFilter } from "../tail-filter.ts";
import { ColourText } from "./colour-text.tsx";

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
  /** The cluster nodes that did not answer as the stream opened (tail-store.ts `unansweredNotice`). */
  unanswered: string | null;
}

/** PAUSED marker, the tenant read and the active filter, gateway notices, and the key help. */
export function Footer({
  paused,
  newSincePause,
  filter,
  tenant,
  showAdmin,
  missed,
  notice,
  unanswered,
}: FooterProps) {
  return (
    <Text wrap="truncate">
      {paused ? (
        <ColourText inverse color="yellow">
          {` PAUSED +${newSincePause} new `}
        </ColourText>
      ) : null}
      {paused ? " " : ""}
      {tenant === undefined ? null : <ColourText color="cyan">[tenant:{tenant}] </ColourText>}
      {isEmptyFilter(filter) ? null : <ColourText color="cyan">[{formatFilter(filter)}] </ColourText>}
      {showAdmin ? <ColourText color="cyan">[+admin] </ColourText> : null}
      {missed > 0 ? <ColourText color="red">{missed} events missed </ColourText> : null}
      {unanswered === null ? null : <ColourText color="yellow">{unanswered} </ColourText>}
      {notice === null ? null : <ColourText color="magenta">{notice} </ColourText>}
      <Text dimColor>space pause · / filter · ↑↓ enter detail · w workers · a admin calls · q quit</Text>
    </Text>
  );
}
