import { GatewayError } from "./gateway-error.ts";

/**
 * OpenAI's 400 for an integer below the least it takes, in its words and with its code
 * (`integer_below_min_value`): "Invalid 'limit': integer below minimum value. Expected a value
 * >= 1, but got 0 instead."
 */
export const integerBelowMin = (param: string, min: number, value: number) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
    param,
    openAICode: "integer_below_min_value",
  });

/** OpenAI's 400 for an integer above the most it takes (`integer_above_max_value`), as `integerBelowMin`. */
export const integerAboveMax = (param: string, max: number, value: number) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
    param,
    openAICode: "integer_above_max_value",
  });
