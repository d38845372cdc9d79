import { Text } from "ink";
import { FIELDS } from "../tail-filter.ts";

const HINT = FIELDS.map((field) => `${field}:`).join(" ");

/** The `/` prompt; Enter applies, Esc cancels. */
export function FilterPrompt({ text, error }: { text: string; error: string | null }) {
  return (
    <Text wrap="truncate">
      <Text color="cyan">filter&gt; </Text>
      {text}
      <Text inverse> </Text>
      {error === null ? (
        <Text dimColor> {HINT} · Enter applies · Esc cancels</Text>
      ) : (
        <Text color="red"> {error}</Text>
      )}
    </Text>
  );
}
