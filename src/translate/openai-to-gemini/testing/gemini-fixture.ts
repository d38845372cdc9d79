import { jsonFixture } from "../../fixtures/load-fixture.ts";

/** Test support shared by the Gemini translation tests: Google's recorded error objects, by name. */
export const googleErrors = jsonFixture("gemini/errors.json");

/** A chat tool call as the translations write one. */
export type OpenAIToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };
