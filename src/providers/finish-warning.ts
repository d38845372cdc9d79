import type { UnknownFinish } from "../translate/unknown-finish.ts";

/** A translating provider's option: where a finish reason its vendor's table lacks is told. */
export interface FinishWarning {
  readonly unknownFinish?: UnknownFinish;
}
