import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

describe("responsesRequestToChat: input items, the stored chain and references", () => {
  test("input items are checked in the Responses API's own terms before translation", () => {
    const param = (input: unknown[]) => {
      try {
        responsesRequestToChat({ model: "m", input });
      } catch (error) {
        return [(error as GatewayError).status, (error as GatewayError).param, (error as Error).message];
      }
      throw new Error("not refused");
    };
    expect(param([{ type: "function_call_output" }])).toEqual([
      400,
      "input[0].call_id",
      "Missing required parameter: 'input[0].call_id'.",
    ]);
    expect(param(["x", { type: "function_call_output", call_id: "c" }].map(asItem))[1]).toBe(
      "input[1].output",
    );
    expect(param([{ type: "function_call_output", call_id: "", output: "x" }])[1]).toBe("input[0].call_id");
    expect(param([{ type: "function_call", call_id: "c", arguments: "{}" }])[1]).toBe("input[0].name");
    expect(param([{ type: "custom_tool_call", call_id: "c", name: "n" }])[1]).toBe("input[0].input");
    expect(param([{ type: "message", content: "no role" }])[1]).toBe("input[0].role");
    expect(param([{ role: "robot", content: "x" }])[1]).toBe("input[0].role");
    expect(param([{ role: "user", content: [{ type: "input_audio" }] }])[1]).toBe("input[0].content[0]");
  });

  test("an item of the stored chain is named by previous_response_id, the request's own by input[n]", () => {
    const refused = (previous: JsonObject[]) => {
      try {
        responsesRequestToChat(
          { model: "m", input: [{ type: "web_search_call", id: "y" }] },
          previous,
          "reject",
        );
      } catch (error) {
        return error as GatewayError;
      }
    };
    expect(refused([{ type: "web_search_call", id: "x" }])?.param).toBe("previous_response_id.type");
    expect(refused([])?.param).toBe("input[0].type");
  });

  test("item_reference: the item a stored response of the caller holds stands in for it; one not found is named", () => {
    const referenced = new Map<string, JsonObject>([
      ["rs_abc", { id: "rs_abc", type: "reasoning", summary: [] }],
      [
        "msg_abc",
        {
          id: "msg_abc",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Let me look.", annotations: [], logprobs: [] }],
        },
      ],
      [
        "fc_abc_0",
        {
          id: "fc_abc_0",
          type: "function_call",
          status: "completed",
          call_id: "c1",
          name: "f",
          arguments: "{}",
        },
      ],
    ]);
    const input = [
      { role: "user", content: "Weather?" },
      ...["rs_abc", "msg_abc", "fc_abc_0"].map((id) => ({ type: "item_reference", id })),
      { type: "function_call_output", call_id: "c1", output: "sun" },
    ];
    const translated = responsesRequestToChat({ model: "m", input }, [], "reject", referenced);
    expect(translated.body.messages).toEqual([
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: "Let me look.",
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "sun" },
    ]);
    expect(translated.dropped).toEqual([]);
    const gone = { model: "m", input: [{ type: "item_reference", id: "msg_gone" }] };
    expect(responsesRequestToChat(gone, [], "drop", referenced).dropped).toEqual(["input.item_reference"]);
    const refused = (() => {
      try {
        responsesRequestToChat(gone, [], "reject", referenced);
      } catch (error) {
        return error as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "input[0].id"]);
    expect(refused?.message).toContain('"msg_gone"');
  });

  test("text after a call joins the message carrying the calls: each call's result follows it, as chat requires", () => {
    const call = (id: string) => ({ type: "function_call", call_id: id, name: "f", arguments: "{}" });
    const said = (text: string) => ({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text, annotations: [] }],
    });
    const output = (id: string) => ({ type: "function_call_output", call_id: id, output: `sun ${id}` });
    const chatCall = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } });
    // A chat server's "\n\n" after its call, streamed back as a message item after the call's.
    const after = responsesRequestToChat({
      model: "m",
      input: ["Weather?", call("c1"), said("\n\n"), output("c1")].map(asItem),
    });
    expect(after.body.messages).toEqual([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "\n\n", tool_calls: [chatCall("c1")] },
      { role: "tool", tool_call_id: "c1", content: "sun c1" },
    ]);
    // Claude's turn [text, tool_use, text, tool_use]: the texts in order, then both calls' results.
    const input = [
      "Weather?",
      said("Paris. "),
      call("c1"),
      said("And Rome."),
      call("c2"),
      output("c1"),
      output("c2"),
    ];
    const turn = responsesRequestToChat({ model: "m", input: input.map(asItem) });
    expect(turn.body.messages).toEqual([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "Paris. And Rome.", tool_calls: [chatCall("c1"), chatCall("c2")] },
      { role: "tool", tool_call_id: "c1", content: "sun c1" },
      { role: "tool", tool_call_id: "c2", content: "sun c2" },
    ]);
    // The same turn stored and continued by previous_response_id.
    const stored = input.slice(0, 5).map(asItem) as JsonObject[];
    const continued = responsesRequestToChat({ model: "m", input: [output("c1"), output("c2")] }, stored);
    expect(continued.body.messages).toEqual(turn.body.messages);
    // After the results, a message is the next turn's.
    const next = responsesRequestToChat({ model: "m", input: [...input, said("Sunny.")].map(asItem) });
    expect((next.body.messages as JsonObject[]).at(-1)).toEqual({ role: "assistant", content: "Sunny." });
  });
});

const asItem = (item: unknown) => (typeof item === "string" ? { role: "user", content: item } : item);
