/**
 * What a worker's model server said while each call waited, for the router's verdict on a call
 * its bound ended (routing/try-route.ts `attemptFailed`): a server that hangs (a vLLM wedged on its
 * GPU, the worker itself connected and healthy) sends nothing at all, for any call, or a call's head
 * and then nothing (its headers sent as it took the call); a slow one sends something, a body
 * byte or another call's answer. One a worker connection.
 */
export class ServerSilence {
  /**
   * Frames of answers heard from the server, any call's (body chunks, ends): counted, not timed,
   * so a frame costs an increment and no clock read. Not heads: a server that hangs may send one
   * as it takes each call, and while calls overlap each new call's head would hide the calls
   * before it from judgement. A call judged silent moves it too (`answeredNothing`), so that calls
   * sent before it, judged later, are not judged by the same silence again.
   */
  heard = 0;
  /**
   * The calls whose exchange was cut unanswered while the server said nothing, each with the count
   * as it was sent; made at the first.
   */
  private silent: WeakMap<object, number> | undefined;

  /**
   * The exchange of `call` (the attempt that hooked it; a peer link's relay on the node holding the
   * worker) was cut, `heardAtSend` the count as it was sent: kept when the server has said nothing
   * since, to any call (a body byte of its own included; a head is not counted). Whatever cut it:
   * a caller hanging up and an impatient entry's tighter bound are cut here too, and judge nothing
   * (no count moves), so a hung server's calls beside them are still judged.
   */
  cut(call: object, heardAtSend: number): void {
    if (this.heard !== heardAtSend) return;
    this.silent ??= new WeakMap();
    this.silent.set(call, heardAtSend);
  }

  /**
   * Whether `call` was cut with the server silent since it was sent (`cut`), and no call judged
   * since; told once. A call judged moves the count: calls sent together and cut together (a
   * healthy server busy with long whole answers, each past first_byte) are one fault, not one
   * each, which would take the worker out at once; a server that hangs is judged at each call
   * sent after the last judged, three in a row.
   */
  answeredNothing(call: object): boolean {
    const heardAtSend = this.silent?.get(call);
    if (heardAtSend === undefined) return false;
    this.silent?.delete(call);
    if (heardAtSend !== this.heard) return false;
    this.heard++;
    return true;
  }
}
