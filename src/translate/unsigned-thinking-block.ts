/**
 * Thinking no Claude wrote, as a Messages block: its signature empty, there being none to give. So
 * a chat route's reasoning reaches an Anthropic caller, and so a caller's reasoning goes back to a
 * Messages server that takes unsigned thinking (`Provider.takesUnsignedThinking`: DeepSeek's
 * `/anthropic`), empty on a tool-call turn that had none, which that server's thinking mode refuses
 * without a block.
 */
export type UnsignedThinkingBlock = { type: "thinking"; thinking: string; signature: "" };

export const unsignedThinkingBlock = (thinking: string): UnsignedThinkingBlock => ({
  type: "thinking",
  thinking,
  signature: "",
});
