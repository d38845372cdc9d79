import { Text } from "ink";
import { truncateStart } from "../format.ts";
import { FIELDS } from "../tail-filter.ts";
import { ColourText } from "./colour-text.tsx";

const HINT = FIELDS.map((field) => `${field}:`).join(" ");
const PROMPT = "filter> ";

/**
 * The `/` prompt; Enter applies, Esc cancels. Text longer than the pane gives up its start, so
 * that what is being typed, and the cursor after it, stay in sight.
 */
export function FilterPrompt({ text, error, width }: { text: string; error: string | null; width?: number }) {
  const shown = width === undefined ? text : truncateStart(text, width - PROMPT.length - 1);
  return (
    <Text wrap="truncate">
      <ColourText color="cyan">{PROMPT}</ColourText>
      {shown}
      <Text inverse> </Text>
      {error === null ? (
        <Text dimColor> {HINT} · Enter applies · Esc cancels</Text>
      ) : (
        <ColourText color="red"> {error}</ColourText>
      )}
    </Text>
  );
}
