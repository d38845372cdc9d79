/**
 * `read`, remembering the last key it was asked and its answer: for a reading of a model's name
 * that one request asks more than once, on a route whose calls all name one model, so it runs once
 * a model, not once an ask. Made once, at a module's load: a call is a string compare, nothing
 * allocated, and a key other than the last is read afresh (one entry, so it never grows).
 */
export function rememberLast<T>(read: (key: string) => T): (key: string) => T {
  let lastKey: string | undefined;
  let lastAnswer!: T;
  return (key) => {
    if (key !== lastKey) {
      lastAnswer = read(key);
      lastKey = key;
    }
    return lastAnswer;
  };
}
