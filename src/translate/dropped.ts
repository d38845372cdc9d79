import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import type { CallerPaths } from "./caller-paths.ts";

/**
 * The caller's names of fields a step in between named in its own words: a table, or a rule
 * (undefined for a field it does not rename).
 */
export type DroppedAliases = Readonly<Record<string, string>> | ((name: string) => string | undefined);

/** `translation.unsupported`: what to do with what the upstream's dialect cannot express. */
export type UnsupportedPolicy = "drop" | "reject";

/**
 * What a translation left out, by name (`tools.web_search`, `input.item_reference`,
 * `context_management`). With `drop` the request goes on without it and the names reach the
 * `x-mindgw-dropped` header and the audit row; with `reject` the first one is a 400 naming it.
 */
export class Dropped {
  /**
   * `aliases`: the caller's names of fields a translation step in between named in its own words
   * (a Responses call's `text.verbosity`, which the chat request it became calls `verbosity`).
   * `paths`: where that step's chat messages and parts came from in the caller's request, so a
   * part's field is named as the caller sent it (`input[2].content[1].detail`, not
   * `messages.3.content.1.image_url.detail`). `names` is the list, shared by `through`.
   */
  constructor(
    private readonly policy: UnsupportedPolicy = "drop",
    private readonly aliases: DroppedAliases = {},
    private readonly paths?: CallerPaths,
    private readonly names: string[] = [],
  ) {}

  /** The same list, for a step on whose chat request `paths` says where each part came from. */
  through(paths: CallerPaths): Dropped {
    return new Dropped(this.policy, this.aliases, paths, this.names);
  }

  /** `name` is what the caller sees in the header; `path` is the request field at fault. */
  add(name: string, path: string, why = "cannot be translated for this model's upstream"): void {
    const alias = name === path ? aliasOf(this.aliases, name) : undefined;
    const caller = alias === undefined ? this.paths?.resolve(path) : undefined;
    if (alias !== undefined) {
      name = alias;
      path = alias;
    } else if (caller && this.paths) {
      name = this.paths.name(name, caller);
      path = caller.path;
    }
    if (this.policy === "reject") {
      throw badRequest(`${shown(path)}: ${shown(name)} ${why} (translation.unsupported: reject)`, path);
    }
    if (!this.names.includes(name)) this.names.push(name);
  }

  /**
   * Refuses, whatever the policy, what the upstream cannot take at all and the request cannot go
   * without (a file of the conversation): the route's refusal (`unsupported_modality`), which the
   * router passes the route over for, the next one maybe able; named where the caller sent it.
   */
  refuse(name: string, path: string, why: string): never {
    const caller = this.paths?.resolve(path);
    const at = caller?.path ?? path;
    const named = caller && this.paths ? this.paths.name(name, caller) : name;
    throw badRequest(`${shown(at)}: ${shown(named)} ${why}`, at, "unsupported_modality");
  }

  get list(): readonly string[] {
    return this.names;
  }
}

const aliasOf = (aliases: DroppedAliases, name: string): string | undefined =>
  typeof aliases === "function" ? aliases(name) : Object.hasOwn(aliases, name) ? aliases[name] : undefined;
