// The bus limits of docs/protocol.md §8.2, each configurable (src/config.ts, ACMP_SICS_*).
export interface BusLimits {
  /** ACMP_SICS_MAX_MESSAGES_PER_TARGET: a publish into a fuller target is refused. */
  maxMessagesPerTarget: number;
  /** ACMP_SICS_MESSAGE_TTL_SECONDS: a message not consumed within this time is dropped. */
  messageTtlSeconds: number;
  /** ACMP_SICS_MAX_ROUTERS: virtual routers per user. */
  maxRouters: number;
  /** ACMP_SICS_MAX_TARGETS: live targets per user. */
  maxTargets: number;
  /** ACMP_SICS_MAX_DELIVERIES: a message delivered this often without an acknowledgement becomes a dead letter. */
  maxDeliveries: number;
  /** ACMP_SICS_IDLE_MINUTES (in ms here): a router or target no client used for this long is deleted, with its messages. */
  idleMs: number;
}

export const DEFAULT_BUS_LIMITS: BusLimits = {
  maxMessagesPerTarget: 10_000,
  messageTtlSeconds: 86_400,
  maxRouters: 10_000,
  maxTargets: 10_000,
  maxDeliveries: 10,
  idleMs: 15 * 60_000,
};

/** Manual acknowledgement: LeaseSeconds when the consumer sends none, and its bounds. */
export const DEFAULT_LEASE_SECONDS = 60;
export const MAX_LEASE_SECONDS = 3600;
/**
 * Automatic acknowledgement leases a message only while its Consume answer is written; should the
 * gateway die before it knows, the message is delivered again after this long.
 */
export const AUTO_LEASE_SECONDS = 30;

/** Consume answers at most this many messages and waits at most this long (docs/protocol.md §8.2). */
export const MAX_CONSUME_MESSAGES = 100;
export const MAX_WAIT_TIMEOUT_MS = 60_000;
