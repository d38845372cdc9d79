/**
 * What OpenAI's Responses API does with the ids of the input items it is sent: it looks each up
 * among the items it answered with, and refuses one it never issued (a 404 "Item with id '…' not
 * found.", `param: "input"`, whether the id is an `item_reference`'s or an item's own); a reasoning
 * item with neither an id nor `encrypted_content` has nothing it could read (a 400 naming the id it
 * lacks). A fake upstream serving the Responses API notes the ids of what it answers, and asks
 * this of each request.
 */
export class IssuedItems {
  private readonly ids = new Set<string>();

  /** Notes the output items' ids an answer holds: a whole response's, or a stream's events'. */
  note(answer: string): void {
    for (const object of jsonObjects(answer)) {
      const response = isObject(object.response) ? object.response : object;
      const items = Array.isArray(response.output) ? [...response.output] : [];
      if (isObject(object.item)) items.push(object.item);
      for (const item of items) if (isObject(item) && typeof item.id === "string") this.ids.add(item.id);
    }
  }

  /** OpenAI's refusal of a `POST /v1/responses` body whose input names what it does not hold. */
  refusal(body: string): Response | undefined {
    const input = parsed(body)?.input;
    if (!Array.isArray(input)) return undefined;
    for (const [index, item] of input.entries()) {
      if (!isObject(item)) continue;
      if (typeof item.id === "string" && !this.ids.has(item.id))
        return refused(404, `Item with id '${item.id}' not found.`, "input", null);
      if (item.type === "reasoning" && item.id === undefined && typeof item.encrypted_content !== "string")
        return refused(
          400,
          `Missing required parameter: 'input[${index}].id'.`,
          `input[${index}].id`,
          "missing_required_parameter",
        );
    }
    return undefined;
  }
}

type JsonRecord = Record<string, unknown>;

const isObject = (value: unknown): value is JsonRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parsed(text: string): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON objects of an answer: the whole text, or each `data:` line of a stream. */
function jsonObjects(text: string): JsonRecord[] {
  const whole = parsed(text);
  if (whole) return [whole];
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .flatMap((line): JsonRecord[] => {
      const object = parsed(line.slice(5).trim());
      return object ? [object] : [];
    });
}

const refused = (status: number, message: string, param: string, code: string | null) =>
  Response.json({ error: { message, type: "invalid_request_error", param, code } }, { status });
