import { describe, expect, test } from "bun:test";
import { IN_BODY, saidPreviousId, withPreviousId } from "./previous-response-id.ts";

const encoder = new TextEncoder();
const said = saidPreviousId("resp_prev");
const edited = (body: string) => {
  const out = withPreviousId(encoder.encode(body), said, IN_BODY);
  return out === undefined ? undefined : new TextDecoder().decode(out);
};

// A GET of a response a native upstream kept: its copy says null where the gateway expanded the
// chain (the caller's id is said in its place), and the id itself where the upstream held it.
describe("withPreviousId, a whole body", () => {
  test("says the caller's id where the response's own key says null, however the upstream spaced it", () => {
    expect(edited('{"id":"resp_1","previous_response_id":null,"output":[]}')).toBe(
      '{"id":"resp_1","previous_response_id":"resp_prev","output":[]}',
    );
    expect(edited('{\n  "id": "resp_1",\n  "previous_response_id" :  null\n}')).toBe(
      '{\n  "id": "resp_1",\n  "previous_response_id" :  "resp_prev"\n}',
    );
  });

  test("leaves a body whose key says an id (a chain the upstream held), or a nested key's null, as it is", () => {
    expect(edited('{"id":"resp_1","previous_response_id":"resp_prev","output":[]}')).toBeUndefined();
    expect(edited('{"id":"resp_1","previous_response_id":"resp_other"}')).toBeUndefined();
    const nested =
      '{"id":"resp_1","previous_response_id":"resp_prev","tools":[{"parameters":{"previous_response_id":null}}]}';
    expect(edited(nested)).toBeUndefined();
    // The response's own null after a nested key's: its own alone is edited.
    expect(
      edited('{"tools":[{"parameters":{"previous_response_id":null}}],"previous_response_id":null}'),
    ).toBe('{"tools":[{"parameters":{"previous_response_id":null}}],"previous_response_id":"resp_prev"}');
    // A string that holds the words is no key.
    expect(edited('{"id":"resp_1","instructions":"say \\"previous_response_id\\": null"}')).toBeUndefined();
  });
});
