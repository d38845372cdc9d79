/**
 * What OpenAI's Responses API does with the ids of the input items it is sent: it looks each up
 * among the items it answered with, and refuses one it never issued (a 404 "Item with id '…' not
 * found.", `param: "input"`, whether the id is an `item_reference`'s or an item's own), and one it
 * issued to a request with `store: false`, which it kept no copy of (the same 404, saying why); a
 * reasoning item with neither an id nor `encrypted_content` has nothing it could read (a 400 naming
 * the id it lacks), and an `encrypted_content` it never sealed (another account's, or text that is
 * no ciphertext of its own) cannot be decrypted (a 400 `invalid_encrypted_content`). An answer
 * that says `store: false` itself, the caller having asked nothing (an organisation under Zero Data
 * Retention, whose every response OpenAI keeps no copy of), is kept no more; a
 * `previous_response_id` naming a response it kept no copy of is its 400
 * `previous_response_not_found`. A fake upstream serving the Responses API notes what it answers,
 * and asks this of each request.
 */
export class IssuedItems {
  /** The ids of the items it answered with, each with whether it keeps it (not `store: false`). */
  private readonly ids = new Map<string, boolean>();
  /** The `encrypted_content` of the items it answered with: what it can decrypt. */
  private readonly sealed = new Set<string>();
  /** The ids of the responses it answered with that it kept no copy of (`store: false`). */
  private readonly unkept = new Set<string>();

  /**
   * Notes the output items an answer holds (a whole response's, or a stream's events'): `kept`
   * unless the request it answers said `store: false` (`keeps`), or the answer does.
   */
  note(answer: string, asked: boolean): void {
    for (const object of jsonObjects(answer)) {
      const response = isObject(object.response) ? object.response : object;
      const kept = asked && response.store !== false;
      if (!kept && typeof response.id === "string" && response.id.startsWith("resp_"))
        this.unkept.add(response.id);
      const items = Array.isArray(response.output) ? [...response.output] : [];
      if (isObject(object.item)) items.push(object.item);
      for (const item of items) {
        if (!isObject(item)) continue;
        if (typeof item.id === "string") this.ids.set(item.id, kept);
        if (typeof item.encrypted_content === "string") this.sealed.add(item.encrypted_content);
      }
    }
  }

  /** Whether what answers `request` is kept: not asked `store: false`. */
  keeps(request: string): boolean {
    return parsed(request)?.store !== false;
  }

  /** OpenAI's refusal of a `POST /v1/responses` body whose input names what it does not hold. */
  refusal(body: string): Response | undefined {
    const request = parsed(body);
    const previous = request?.previous_response_id;
    if (typeof previous === "string" && this.unkept.has(previous))
      return refused(
        400,
        `Previous response with id '${previous}' not found.`,
        "previous_response_id",
        "previous_response_not_found",
      );
    const input = request?.input;
    if (!Array.isArray(input)) return undefined;
    for (const [index, item] of input.entries()) {
      if (!isObject(item)) continue;
      if (typeof item.id === "string") {
        const kept = this.ids.get(item.id);
        if (kept !== true) {
          const why = kept === false ? ` ${NOT_PERSISTED}` : "";
          return refused(404, `Item with id '${item.id}' not found.${why}`, "input", null);
        }
      }
      const sealed = item.encrypted_content;
      if (typeof sealed === "string" && !this.sealed.has(sealed))
        return refused(
          400,
          `The encrypted content ${abridged(sealed)} could not be verified.`,
          null,
          "invalid_encrypted_content",
        );
      if (item.type === "reasoning" && item.id === undefined && typeof sealed !== "string")
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

/** OpenAI's words after an id it issued to a `store: false` request. */
const NOT_PERSISTED =
  "Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.";

/** A ciphertext as OpenAI quotes it: its first and last four characters. */
const abridged = (text: string) => (text.length > 8 ? `${text.slice(0, 4)}...${text.slice(-4)}` : text);

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

const refused = (status: number, message: string, param: string | null, code: string | null) =>
  Response.json({ error: { message, type: "invalid_request_error", param, code } }, { status });
