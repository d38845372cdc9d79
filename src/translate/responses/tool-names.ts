/** A Responses tool as the caller named it. */
export interface ToolTarget {
  readonly name: string;
  /** The `namespace` tool it sits in, if any. */
  readonly namespace?: string;
  /** A `custom` tool: one free-text input, called back as a `custom_tool_call` item. */
  readonly custom: boolean;
}

/** Chat function names: letters, digits, `_` and `-`, at most 64 characters. */
const MAX = 64;
const UNSAFE = /[^a-zA-Z0-9_-]/g;

function shortHash(text: string): string {
  return Bun.hash(text).toString(16).padStart(8, "0").slice(0, 8);
}

/**
 * The two-way map between a Responses request's tools and chat-completions function names.
 * Namespaced tools are flattened to `<namespace>__<name>`; names that are too long or unsafe are
 * shortened with a hash. The map, not the name's shape, is what reverses it, so every chat name
 * the model calls comes back exactly as the caller declared it.
 */
export class ToolNames {
  private readonly byChat = new Map<string, ToolTarget>();
  private readonly byTarget = new Map<string, string>();

  /** Registers a declared tool and returns its chat name. */
  declare(target: ToolTarget): string {
    const key = targetKey(target.name, target.namespace);
    const known = this.byTarget.get(key);
    if (known !== undefined) return known;
    let chat = flatten(target.name, target.namespace);
    for (let n = 2; this.byChat.has(chat); n++) chat = `${chat.slice(0, MAX - 4)}_${n}`;
    this.byChat.set(chat, target);
    this.byTarget.set(key, chat);
    return chat;
  }

  /** The chat name for a tool a history item names (declared now or not). */
  chatName(name: string, namespace?: string): string {
    return this.byTarget.get(targetKey(name, namespace)) ?? flatten(name, namespace);
  }

  /** The caller's tool for a chat function name the model called. */
  target(chatName: string): ToolTarget {
    return this.byChat.get(chatName) ?? { name: chatName, custom: false };
  }
}

const targetKey = (name: string, namespace: string | undefined) => `${namespace ?? ""}\u0000${name}`;

function flatten(name: string, namespace: string | undefined): string {
  const joined = namespace ? `${namespace}__${name}` : name;
  const safe = joined.replace(UNSAFE, "_");
  if (safe.length <= MAX && safe === joined) return safe;
  const hash = shortHash(joined);
  return `${safe.slice(0, MAX - hash.length - 1)}_${hash}`;
}
