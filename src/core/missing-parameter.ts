import { GatewayError } from "./gateway-error.ts";

/**
 * OpenAI's 400 for a required field left out, in its words and with its code
 * (`missing_required_parameter`): "Missing required parameter: 'tools[0].name'."
 */
export const missingParameter = (param: string) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Missing required parameter: '${param}'.`,
    param,
    openAICode: "missing_required_parameter",
  });
