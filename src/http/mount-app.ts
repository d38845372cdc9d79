import { type AnyElysia, Elysia } from "elysia";
import { shown } from "../core/cut-words.ts";
import type { Dialect } from "../core/dialect.ts";
import type { AppDeps } from "./create-app.ts";
import type { ModelFront } from "./front-routes.ts";

/** One app's front door, ready to mount: its path, its dialect and its pipelines. */
export interface AppMount extends ModelFront {
  readonly name: string;
  /** `/openai`: the OpenAI SDK's baseURL is `{gateway}{path}/v1`, Anthropic's `{gateway}{path}`. */
  readonly path: string;
  readonly dialect: Dialect;
  /** Further routes of this front door (stored responses), mounted under the path too. */
  readonly plugins?: readonly AnyElysia[];
  /**
   * Answers a request under the path that no route matched, and an OPTIONS on a routed path, as
   * the app's (its record names the app), in place of the root's (`AppDeps`).
   */
  readonly unrouted?: AppDeps["unrouted"];
  readonly preflight?: AppDeps["preflight"];
}

/**
 * The app's further routes under its path (its model routes and `GET /v1/models` are front routes,
 * front-routes.ts, made by `createApp`).
 */
export function mountApp(mount: AppMount): AnyElysia {
  let app: AnyElysia = new Elysia({ prefix: mount.path });
  for (const plugin of mount.plugins ?? []) app = app.use(plugin);
  return app;
}

/** The app whose path the request path is under, if any. */
export function mountOf(mounts: readonly AppMount[], path: string): AppMount | undefined {
  return mounts.find((mount) => path === mount.path || path.startsWith(`${mount.path}/`));
}

/**
 * A path a model API client sends: one with a `v1` segment (`/v1/chat/completions` at the root, or
 * `/nope/v1/messages` under a prefix no app has), as an SDK with a wrong baseURL makes it.
 */
const MODEL_API_PATH = /(?:^|\/)v1(?:\/|$)/;

/**
 * Says what is served where, so a wrong baseURL is obvious from the error alone: a model API path
 * at the root, with apps configured, is told where the apps are. Any other unknown path (an admin
 * API or docs path mistyped, a probe's) is plainly not found.
 */
export function unknownPathMessage(
  mounts: readonly AppMount[],
  mount: AppMount | undefined,
  method: string,
  path: string,
): string {
  // The path as asked, cut: a message goes to the caller, the log and the audit row.
  const asked = `no route for ${method} ${shown(path)}`;
  if (mounts.length === 0 || (!mount && !MODEL_API_PATH.test(path))) return asked;
  if (mount) return `${asked} in app "${mount.name}" (${mount.dialect} API at ${mount.path}/v1/...)`;
  const named = mounts.slice(0, NAMED_MOUNTS).map((m) => `${m.path} (${m.dialect})`);
  const more = mounts.length - named.length;
  const list = `${named.join(", ")}${more > 0 ? ` and ${more} more (GET /docs lists them)` : ""}`;
  return `${asked}: model APIs are served only under the apps mounted at ${list}`;
}

/** How many apps a wrong path's message names: enough to show the shape, not all of 500. */
const NAMED_MOUNTS = 5;
