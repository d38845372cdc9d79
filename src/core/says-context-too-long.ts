/**
 * A listing of the fields a request failed, as vLLM and SGLang send it for a 400: pydantic's
 * ("1 validation error for ChatCompletionRequest\nmessages.0.content.str\n  Input should be a valid
 * string [type=string_type, input_value=[{'type': 'txt', 'text': '…'}], input_type=list]"), FastAPI's
 * ("1 validation error:\n  {'type': 'string_type', 'loc': ('body', …), 'msg': …, 'input': …}"), and
 * FastAPI's entries alone, as its releases before it had words of its own gave them
 * ("[{'type': 'missing', 'loc': ('body', 'model'), …}]"); and AWS's, as Bedrock sends a
 * ValidationException ("1 validation error detected: Value 'x y' at
 * 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy
 * regular expression pattern: [a-zA-Z0-9_-]+").
 */
const VALIDATION_LISTING =
  /\b\d+ validation errors?(?: for [^\n]+|:)\n|\{'type': '\w+', 'loc': \(|\b\d+ validation errors? detected: Value /;

/**
 * Whether an upstream's message says, in `words`, that the request does not fit the model's window.
 * A listing of validation errors never does: it quotes the value each refused field had, the
 * caller's own prompt among them, which may say anything ("our maximum context length is 32k"), so
 * it is not read for those words.
 */
export function saysContextTooLong(message: string, words: RegExp): boolean {
  return words.test(message) && !VALIDATION_LISTING.test(message);
}
