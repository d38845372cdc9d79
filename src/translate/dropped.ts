import { badRequest } from "../core/gateway-error.ts";

/** `translation.unsupported`: what to do with what the upstream's dialect cannot express. */
export type UnsupportedPolicy = "drop" | "reject";

/**
 * What a translation left out, by name (`tools.web_search`, `input.item_reference`,
 * `context_management`). With `drop` the request goes on without it and the names reach the
 * `x-mindgw-dropped` header and the audit row; with `reject` the first one is a 400 naming it.
 */
export class Dropped {
  private readonly names: string[] = [];

  /**
   * `aliases`: the caller's names of fields a translation step in between named in its own words
   * (a Responses call's `text.verbosity`, which the chat request it became calls `verbosity`).
   */
  constructor(
    private readonly policy: UnsupportedPolicy = "drop",
    private readonly aliases: Readonly<Record<string, string>> = {},
  ) {}

  /** `name` is what the caller sees in the header; `path` is the request field at fault. */
  add(name: string, path: string, why = "cannot be translated for this model's upstream"): void {
    const alias = name === path ? this.aliases[name] : undefined;
    if (alias !== undefined) {
      name = alias;
      path = alias;
    }
    if (this.policy === "reject") {
      throw badRequest(`${path}: ${name} ${why} (translation.unsupported: reject)`, path);
    }
    if (!this.names.includes(name)) this.names.push(name);
  }

  get list(): readonly string[] {
    return this.names;
  }
}
