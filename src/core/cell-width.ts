/**
 * Terminal cells a text takes, by which a column is padded: a CJK character or an emoji two, a
 * combining mark none. Its length would pad a name in Japanese short of its column by as many
 * characters.
 */
export const cellWidth = (text: string): number => Bun.stringWidth(text);
