import type { ListedModels } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { allowedModels, requireArea } from "../auth/roles.ts";
import type { Dialect } from "../core/dialect.ts";
import { modelNotFound } from "../core/gateway-error.ts";
import type { KnownAs } from "../models/model-index.ts";
import {
  anthropicModelInfo,
  anthropicModelPage,
  anthropicModelsQueryOf,
  anthropicModelsQuerySchema,
} from "./anthropic-model-list.ts";
import type { createFrontDoor } from "./front-door.ts";
import { parseInput } from "./parse-input.ts";
import { recordedModel } from "./recorded-model.ts";

/** A model as OpenAI's `/v1/models` describes one. */
const modelObject = (id: string) => ({ id, object: "model", created: 0, owned_by: "mindgw" });

/** `GET /v1/models` in OpenAI's shape, only the models this caller may use. */
export function modelList(names: readonly string[], principal: Principal, listed?: Listed): object {
  return { object: "list", data: allowedModels(principal, names, listed).map(modelObject) };
}

/** Which models the limits policy lets a caller use at all (`Policy.lists`): undefined, every one. */
type Listed = (principal: Principal) => ListedModels | undefined;

/**
 * The dialect a model call is answered in (its body and its errors): an app's own; else
 * Anthropic's when the caller sends `anthropic-version`, as Anthropic's SDKs and Claude Code
 * always do and OpenAI's never; else OpenAI's.
 */
export const modelsDialectOf = (request: Request, appDialect: Dialect | undefined): Dialect =>
  appDialect ?? (request.headers.has("anthropic-version") ? "anthropic" : "openai");

export interface ModelsRouteDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** Every model name the current route table serves a caller of `tenant` (config and connected workers). */
  readonly modelNames: (tenant: string) => readonly string[];
  /**
   * Whether the route table routes a client's model name for a caller of `tenant` (a configured
   * one, a glob's match, a worker's that tenant may use).
   */
  readonly routes: (model: string, tenant: string) => KnownAs | undefined;
  /**
   * Whether the limits policy in force could admit the model for this caller (`Policy.lists`): one
   * it would always refuse (no price, under a budget) is neither listed nor retrieved.
   */
  readonly lists?: Listed;
}

/**
 * The `GET /v1/models` handler: guarded like every client call, filtered by the caller's rights;
 * in Anthropic's shape, paged as its API pages, to an Anthropic caller (`modelsDialectOf`).
 */
export function listModelsHandler(deps: ModelsRouteDeps, appDialect?: Dialect) {
  return (request: Request, clientIp: string | null) => {
    const dialect = modelsDialectOf(request, appDialect);
    return deps.guard(request, clientIp, "models", dialect, async ({ principal, headers }) => {
      // A worker key reaches only the worker endpoint, so not even the model list.
      requireArea(principal, "models");
      const names = deps.modelNames(principal.tenant);
      if (dialect === "openai") return Response.json(modelList(names, principal, deps.lists), { headers });
      const query = parseInput(anthropicModelsQuerySchema, anthropicModelsQueryOf(request.url));
      const ids = allowedModels(principal, names, deps.lists);
      return Response.json(anthropicModelPage(ids, query), { headers });
    });
  };
}

/** Where a model's id starts in `GET /v1/models/{id}` (after an app's prefix). */
const MODEL_PATH = "/v1/models/";

/**
 * The `GET /v1/models/{id}` handler (`models.retrieve` in both SDKs): the model as the list gives
 * it, for any name the caller may send and the route table routes, a glob's matches included (an
 * agent that checks its model before using it finds it); else 404 `model_not_found`, in the same
 * words whether the model is missing or not the caller's (nothing disclosed). The id is the rest
 * of the path, decoded: ids such as `meta-llama/Llama-3.1-8B` hold a slash.
 */
export function retrieveModelHandler(deps: ModelsRouteDeps, appDialect?: Dialect) {
  return (request: Request, clientIp: string | null) => {
    const dialect = modelsDialectOf(request, appDialect);
    return deps.guard(request, clientIp, "models", dialect, async ({ principal, headers, ledger }) => {
      requireArea(principal, "models");
      const path = new URL(request.url).pathname;
      const id = modelIdOf(path.slice(path.indexOf(MODEL_PATH) + MODEL_PATH.length));
      const known = id === undefined ? undefined : deps.routes(id, principal.tenant);
      // Its row names the model asked about, found or not, as a model call's does.
      if (id !== undefined) ledger.model = recordedModel(id, known);
      if (id === undefined || !known || allowedModels(principal, [id], deps.lists).length === 0)
        throw modelNotFound(id ?? "");
      return Response.json(dialect === "openai" ? modelObject(id) : anthropicModelInfo(id), { headers });
    });
  };
}

/** A path's model id, decoded; undefined when it is empty or not valid percent-encoding. */
function modelIdOf(encoded: string): string | undefined {
  try {
    const id = decodeURIComponent(encoded);
    return id === "" ? undefined : id;
  } catch {
    return undefined;
  }
}

/** Both model routes' handlers, as a front door's `ModelFront` takes them; an app's in its own dialect. */
export const modelHandlers = (deps: ModelsRouteDeps, appDialect?: Dialect) => ({
  listModels: listModelsHandler(deps, appDialect),
  retrieveModel: retrieveModelHandler(deps, appDialect),
});
