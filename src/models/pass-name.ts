/**
 * A route's `model` of `*`: the upstream gets the name the client sent. Here, beside the index of
 * client model names, so that config, routing, pricing and metrics read one constant without
 * importing each other.
 */
export const PASS_NAME = "*";
