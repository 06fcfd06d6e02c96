// The bus limits of docs/protocol.md §8.2, each configurable (src/config.ts, ACMP_SICS_*).
export interface BusLimits {
  /** ACMP_SICS_MAX_MESSAGES_PER_TARGET: a publish into a fuller target is refused. */
  maxMessagesPerTarget: number;
  /** ACMP_SICS_MESSAGE_TTL_SECONDS: a message not consumed within this time is dropped. */
  messageTtlSeconds: number;
  /** ACMP_SICS_MAX_ROUTERS: virtual routers per user. */
  maxRouters: number;
  /** ACMP_SICS_MAX_TARGETS: targets per user. */
  maxTargets: number;
}

export const DEFAULT_BUS_LIMITS: BusLimits = {
  maxMessagesPerTarget: 10_000,
  messageTtlSeconds: 86_400,
  maxRouters: 100,
  maxTargets: 100,
};

/** Consume answers at most this many messages and waits at most this long (docs/protocol.md §8.2). */
export const MAX_CONSUME_MESSAGES = 100;
export const MAX_WAIT_TIMEOUT_MS = 60_000;
