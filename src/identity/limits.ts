// The lifetimes of docs/protocol.md §5 that operators configure (ACMP_SESSION_IDLE_MINUTES,
// ACMP_SESSION_MAX_HOURS, ACMP_TOKEN_DAYS), carried in the command context.
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './sessions';
import { DEFAULT_TOKEN_LIFETIME_MS } from './tokens';

export interface IdentityLimits {
  session: SessionLimits;
  tokenLifetimeMs: number;
}

export const DEFAULT_IDENTITY_LIMITS: IdentityLimits = {
  session: DEFAULT_SESSION_LIMITS,
  tokenLifetimeMs: DEFAULT_TOKEN_LIFETIME_MS,
};
