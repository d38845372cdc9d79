import type { Config } from "./config-schema.ts";

/**
 * Valid, but a route's `weight` on a model whose strategy is not `weighted`: only that strategy
 * reads it (routing/order-routes.ts), so the routes keep their own order and the weight changes
 * nothing — an operator who wrote weights meant to share the model's requests. One warning per
 * model, naming its weighted routes by path, without a `warning:` prefix (the log line has its
 * level).
 */
export function ignoredWeightWarnings(config: Config): string[] {
  return config.models.flatMap((model, index) => {
    if (model.strategy === "weighted") return [];
    const paths = model.routes.flatMap((route, at) =>
      route.weight === undefined ? [] : [`routes[${at}].weight`],
    );
    if (paths.length === 0) return [];
    const [are, they, them] = paths.length > 1 ? ["are", "they change", "them"] : ["is", "it changes", "it"];
    return [
      `models[${index}] (${model.name}): ${paths.join(", ")} ${are} read only under strategy: weighted, and its strategy is ${model.strategy}: ${they} nothing; set strategy: weighted to share its requests by weight, or remove ${them}`,
    ];
  });
}

/** What a reload warns of: the warnings of `next` that `previous`, the config it replaces, did not give. */
export function reloadIgnoredWeightWarnings(previous: Config, next: Config): string[] {
  const warned = new Set(ignoredWeightWarnings(previous));
  return ignoredWeightWarnings(next).filter((warning) => !warned.has(warning));
}
