import { expect, test } from "bun:test";
import { answerResponse } from "./answer-response.ts";

test("answers made one after another keep their own status, headers and body", async () => {
  const first = answerResponse(new TextEncoder().encode("one"), 200, { "x-request-id": "req_1" });
  const second = answerResponse(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("two"));
        controller.close();
      },
    }),
    201,
    { "x-request-id": "req_2", "content-type": "text/event-stream" },
  );
  expect([first.status, first.headers.get("x-request-id"), first.headers.get("content-type")]).toEqual([
    200,
    "req_1",
    null,
  ]);
  expect([second.status, second.headers.get("x-request-id")]).toEqual([201, "req_2"]);
  expect(await first.text()).toBe("one");
  expect(await second.text()).toBe("two");
});
