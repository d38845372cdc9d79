import { eventFrame } from "../../../test/fake-cloud/bedrock-wire.ts";
import { claudeEvents, claudeMessage } from "../../testing/answer-wire.ts";
import { claudeModelInTrace } from "../../testing/claude-model-in-trace.ts";
import type { TracedRoute } from "../../testing/traced-models.ts";

// Claude on Bedrock through InvokeModel answers in Anthropic's own message, which names the model
// that answered (`model`, a stream's in `message_start`): the trace's `gen_ai.response.model`,
// whole or streamed, passed through to an Anthropic caller or translated for an OpenAI one.

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ANSWERED = "claude-sonnet-4-5-20250929";

const invoke: TracedRoute = {
  provider: {
    name: "bc",
    type: "bedrock",
    publisher: "anthropic",
    region: "us-east-1",
    base_url: "https://bedrock.test",
    aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
  },
  model: MODEL,
  answer: (url) => {
    if (!url.endsWith("/invoke-with-response-stream")) return Response.json(claudeMessage(ANSWERED));
    const frames = claudeEvents(ANSWERED).map((event) =>
      eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(event)).toString("base64") }),
    );
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) controller.enqueue(frame);
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/vnd.amazon.eventstream" } });
  },
};

claudeModelInTrace("InvokeModel Claude", invoke, ANSWERED);
