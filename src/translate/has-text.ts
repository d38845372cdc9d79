/**
 * Whether `text` has anything but whitespace: Anthropic refuses a text block that has not ("text
 * content blocks must contain non-whitespace text"), so a translation into Messages, or a writer
 * of Messages blocks, leaves one out.
 */
export const hasText = (text: string | null | undefined): text is string => text != null && /\S/.test(text);
