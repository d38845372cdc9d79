import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/**
 * How a caller's API names what a chat message, part or tool call carries, where the chat request
 * a translation wrote says it otherwise.
 */
export interface CallerFields {
  /** A chat message's field by the caller's name for it (`tool_call_id` → `call_id`); absent: the item. */
  readonly message: Readonly<Record<string, string>>;
  /** A field in a chat part (`image_url.detail`) by the caller's (`detail`); absent: the part. */
  readonly part: Readonly<Record<string, string>>;
  /** A tool call's field (`function.arguments`) by the caller's (`arguments`); absent: the call. */
  readonly call: Readonly<Record<string, string>>;
  /** A declared tool's field (`function.parameters`) by the caller's (`parameters`); absent: the tool. */
  readonly tool: Readonly<Record<string, string>>;
}

/** A Responses caller's: its parts are flat (`input_image.detail`), its calls and outputs items. */
export const RESPONSES_FIELDS: CallerFields = {
  message: { tool_call_id: "call_id", content: "content", role: "role" },
  part: {
    image_url: "image_url",
    "image_url.url": "image_url",
    "image_url.detail": "detail",
    "file.file_data": "file_data",
    "file.file_id": "file_id",
    "file.file_url": "file_url",
    "file.filename": "filename",
  },
  call: { id: "call_id", "function.name": "name", "function.arguments": "arguments" },
  tool: {
    "function.name": "name",
    "function.description": "description",
    "function.parameters": "parameters",
    "function.strict": "strict",
  },
};

/** An Anthropic caller's: a tool result answers by `tool_use_id`, a call's arguments are its `input`. */
export const MESSAGES_FIELDS: CallerFields = {
  message: { tool_call_id: "tool_use_id", content: "content", role: "role" },
  part: {},
  call: { id: "id", "function.name": "name", "function.arguments": "input" },
  tool: {
    "function.name": "name",
    "function.description": "description",
    "function.parameters": "input_schema",
    "function.strict": "strict",
  },
};

/**
 * A chat caller's own, its tools offered without those its `allowed_tools` choice leaves out
 * (allowed-tools.ts): a tool's field is named as the caller did, at the tool's index among its own.
 */
export const CHAT_FIELDS: CallerFields = {
  message: {},
  part: {},
  call: {},
  tool: {
    type: "type",
    "function.name": "function.name",
    "function.description": "function.description",
    "function.parameters": "function.parameters",
    "function.strict": "function.strict",
  },
};

/** A chat request's path, as the caller's request says it. */
export interface CallerPath {
  readonly path: string;
  /**
   * When the path is in a part: its type in chat (`image_url`) and in the caller's request
   * (`input_image`).
   */
  readonly part?: { readonly chat: string; readonly caller: string };
}

/**
 * Where a chat request a translation wrote came from in the caller's request (a Responses call's
 * `input[2].content[1]`, an Anthropic caller's `messages.0.content[1]`), so that what a later step
 * says of the chat request — a 400's `param` and message, a dropped field's name — is said of what
 * the caller sent, not of a `messages` array it never sent, shifted by `instructions` or `system`.
 *
 * The translation marks each chat message, each part that is not text and each tool call with
 * where it came from as it writes them (a weak map entry, no copy); a path is looked up only when
 * an error or a dropped field names one.
 */
export class CallerPaths {
  private readonly origins = new WeakMap<object, string>();
  private readonly partTypes = new WeakMap<object, string>();
  /**
   * Where a chat message's `content` came from when not where the message did (`markContent`); made
   * at the first.
   */
  private contents: WeakMap<object, string> | undefined;
  private messages: readonly unknown[] = [];
  private tools: readonly unknown[] = [];

  constructor(private readonly fields: CallerFields) {}

  /** `written` (a chat message, part or tool call) came from the caller's `at`, a part of `type`. */
  mark<T extends JsonObject>(written: T, at: string, type?: string): T {
    this.origins.set(written, at);
    if (type !== undefined) this.partTypes.set(written, type);
    return written;
  }

  /**
   * `message`'s content came from the caller's `at`, the message itself from elsewhere (a Responses
   * assistant text item merged into the message carrying the calls before it): its `content` names
   * `at`; any other field of it, the message's own origin.
   */
  markContent(message: JsonObject, at: string): void {
    this.contents ??= new WeakMap();
    this.contents.set(message, at);
  }

  /** The chat tools the translation declared, which a chat path (`tools.1.function.parameters`) indexes. */
  wroteTools(tools: readonly unknown[]): void {
    this.tools = tools;
  }

  /** The chat messages the translation wrote, which a chat path indexes. */
  wrote(messages: readonly unknown[]): void {
    this.messages = messages;
  }

  /**
   * A chat path (`messages.3.content.1.image_url.detail`, or OpenAI's `messages[3].content[1]…`)
   * as the caller's; undefined for any other path, or one the translation did not mark.
   */
  resolve(path: string): CallerPath | undefined {
    const [head, index, list, item, ...rest] = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    if (head === "tools") return this.tool(index, [list, item, ...rest]);
    const message = head === "messages" ? this.messages[Number(index)] : undefined;
    if (!isJsonObject(message) || !/^\d+$/.test(index ?? "")) return undefined;
    const entries = list === "content" || list === "tool_calls" ? message[list] : undefined;
    if (Array.isArray(entries) && /^\d+$/.test(item ?? "")) {
      const entry = entries[Number(item)];
      const at = isJsonObject(entry) ? this.origins.get(entry) : undefined;
      if (!isJsonObject(entry) || at === undefined) return undefined;
      const named = list === "content" ? this.fields.part : this.fields.call;
      const path = within(at, named, rest.join("."));
      const type = this.partTypes.get(entry);
      return type === undefined ? { path } : { path, part: { chat: String(entry.type), caller: type } };
    }
    const at = (list === "content" ? this.contents?.get(message) : undefined) ?? this.origins.get(message);
    if (at === undefined) return undefined;
    return { path: within(at, this.fields.message, [list, item, ...rest].filter(Boolean).join(".")) };
  }

  /** A declared tool's path (`tools[0].parameters`, `tools[2].tools[1]` in a namespace), `field` of it. */
  private tool(index: string | undefined, field: ReadonlyArray<string | undefined>): CallerPath | undefined {
    const tool = /^\d+$/.test(index ?? "") ? this.tools[Number(index)] : undefined;
    const at = isJsonObject(tool) ? this.origins.get(tool) : undefined;
    if (at === undefined) return undefined;
    const joined = field.filter(Boolean).join(".");
    // A field within its schema (`function.parameters.properties`), at its path there.
    const schema = SCHEMA_FIELD.exec(joined);
    if (schema) return { path: `${within(at, this.fields.tool, "function.parameters")}${schema[1]}` };
    return { path: within(at, this.fields.tool, joined) };
  }

  /**
   * A dropped field's name as the caller's: a part's (`messages.content.image_url.detail`) by the
   * caller's part type and field (`content.input_image.detail`); any other name as it is.
   */
  name(name: string, where: CallerPath): string {
    const prefix = where.part ? `messages.content.${where.part.chat}` : undefined;
    if (!where.part || !prefix || !name.startsWith(prefix)) return name;
    const field = name.slice(prefix.length + 1);
    return within(`content.${where.part.caller}`, this.fields.part, `${where.part.chat}.${field}`);
  }
}

const SCHEMA_FIELD = /^function\.parameters(\..+)$/;

/** `field` of the caller's `at`, by the caller's name for it; `at` itself when it has none. */
function within(at: string, names: Readonly<Record<string, string>>, field: string): string {
  const named = field !== "" && Object.hasOwn(names, field) ? names[field] : undefined;
  return named === undefined ? at : `${at}.${named}`;
}
