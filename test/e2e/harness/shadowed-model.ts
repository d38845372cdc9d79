/** A route or a shadow target in a test config: `[provider, model]`. */
export type Target = readonly [provider: string, model: string];

/**
 * A config model served by `route` whose every request is copied (`sample: 1`) to `shadow`: the
 * shape the shadow and trace fixtures' configs repeat, written once.
 */
export function shadowedModel(name: string, [provider, model]: Target, shadow: Target) {
  return {
    name,
    routes: [{ provider, model }],
    shadow: { provider: shadow[0], model: shadow[1], sample: 1 },
  };
}
