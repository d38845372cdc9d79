import { Box, Text } from "ink";
import { statusColour } from "../status-style.ts";
import { type Column, renderCell, renderTitle } from "../table-layout.ts";
import type { RequestRow } from "../tail-store.ts";
import { ColourText } from "./colour-text.tsx";

export interface RequestTableProps {
  rows: RequestRow[];
  columns: Column[];
  /** The selected row's `seq`. */
  selected: number | null;
}

/** Column titles and one line per request; the status cell is coloured by class. */
export function RequestTable({ rows, columns, selected }: RequestTableProps) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {columns.map(renderTitle).join(" ")}
      </Text>
      {rows.map((row) => (
        <TableRow key={row.seq} row={row} columns={columns} selected={row.seq === selected} />
      ))}
    </Box>
  );
}

function TableRow({ row, columns, selected }: { row: RequestRow; columns: Column[]; selected: boolean }) {
  return (
    <Text wrap="truncate" inverse={selected}>
      {columns.map((column, i) => {
        const text = `${i === 0 ? "" : " "}${renderCell(row, column)}`;
        return column.id === "status" ? (
          <ColourText key={column.id} color={statusColour(row.status)}>
            {text}
          </ColourText>
        ) : (
          text
        );
      })}
    </Text>
  );
}
