/**
 * What `announce` did: sent the frame; or not, the gateway not reading it (`unread`: a release
 * before it) or the connection not registered (`unregistered`: not yet, or ended before it).
 */
export type Announced = "sent" | "unread" | "unregistered";

/** How a connection ended: `rejected` means registering again would not help. */
export type SessionEnd =
  | {
      kind: "closed";
      registered: boolean;
      code: number;
      reason: string;
      /** Why the socket could not connect (connect-failure.ts), when it could not. */
      failure?: string;
      /** The status the gateway answered the upgrade with instead of 101, when Bun told it. */
      status?: number;
      /**
       * Nothing answered the upgrade or the register within REGISTER_TIMEOUT_MS (worker-session.ts):
       * a frozen gateway, or one the network drops packets to (probe-upgrade.ts then asks it only briefly).
       */
      unanswered?: true;
    }
  | { kind: "rejected"; reason: string; message: string };
