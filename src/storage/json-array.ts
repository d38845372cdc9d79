/** The JSON text of an array whose elements are given as their own JSON texts. */
export const jsonArray = (texts: readonly string[]): string => `[${texts.join(",")}]`;
