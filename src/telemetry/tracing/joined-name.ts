/**
 * A span's name from its two words (operation and model): the first alone when the second is empty,
 * as the GenAI conventions name a call whose model is not known (`chat`). One rule for a name made
 * whole (span-attributes.ts `spanName`) and one interned by its parts (string-table.ts).
 */
export const joinedName = (first: string, second: string): string =>
  second === "" ? first : `${first} ${second}`;
