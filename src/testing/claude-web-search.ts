/**
 * A Claude answer that searched the web (Anthropic's web_search server tool), whole and as
 * Anthropic streams it: text, the search's blocks, then text citing a result. For tests of the
 * translations that carry a caller's web search to a Claude route (chat, Responses).
 */

/** One server-sent event as Anthropic writes it: its type named twice, as its body has it too. */
export const sseEvent = (type: string, body: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;

export const CITATION = {
  type: "web_search_result_location",
  url: "https://example.com/w",
  title: "Weather",
  cited_text: "Sunny",
  encrypted_index: "e1",
};
export const SEARCHED = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "up",
  content: [
    { type: "text", text: "Looking. " },
    { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "weather" } },
    {
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_1",
      content: [{ type: "web_search_result", url: CITATION.url, title: "Weather", encrypted_content: "x" }],
    },
    { type: "text", text: "It is sunny.", citations: [CITATION] },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 2, server_tool_use: { web_search_requests: 1 } },
};

/** SEARCHED as Anthropic streams it: the search's blocks, then the cited text's citation first. */
export const SEARCHED_STREAM = [
  sseEvent("message_start", { message: { ...SEARCHED, content: [], stop_reason: null } }),
  sseEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  sseEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Looking. " } }),
  sseEvent("content_block_stop", { index: 0 }),
  sseEvent("content_block_start", {
    index: 1,
    content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
  }),
  sseEvent("content_block_delta", {
    index: 1,
    delta: { type: "input_json_delta", partial_json: '{"query":"weather"}' },
  }),
  sseEvent("content_block_stop", { index: 1 }),
  sseEvent("content_block_start", { index: 2, content_block: SEARCHED.content[2] ?? {} }),
  sseEvent("content_block_stop", { index: 2 }),
  sseEvent("content_block_start", { index: 3, content_block: { type: "text", text: "", citations: [] } }),
  sseEvent("content_block_delta", { index: 3, delta: { type: "citations_delta", citation: CITATION } }),
  sseEvent("content_block_delta", { index: 3, delta: { type: "text_delta", text: "It is sunny." } }),
  sseEvent("content_block_stop", { index: 3 }),
  sseEvent("message_delta", {
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 2 },
  }),
  sseEvent("message_stop", {}),
].join("");
