import type { Provider } from "../providers/provider.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { callerName } from "./caller-param.ts";

/**
 * A chat or embeddings call to a provider that sends it without what its vendor's API refuses
 * (`Provider.leavesOut`: a `preset: mistral` route), with each such field named beside what the
 * translation dropped, in the caller's words (`metadata.user_id` for the chat request's `user` a
 * Messages call became; `input[1]…` for a message's field, by `callerPaths`), or refused under
 * `reject`. The call as it was when none is.
 */
export function withLeftOutNamed(
  adapted: AdaptedCall,
  leavesOut: NonNullable<Provider["leavesOut"]>,
  policy: UnsupportedPolicy,
): AdaptedCall {
  const names = adapted.callerNames;
  const aliases = names === undefined ? {} : (field: string) => callerName(names, field);
  const dropped = new Dropped(policy, aliases, adapted.callerPaths);
  leavesOut(adapted.body, dropped);
  if (dropped.list.length === 0) return adapted;
  const before = adapted.dropped ?? [];
  return { ...adapted, dropped: [...new Set([...before, ...dropped.list])] };
}
