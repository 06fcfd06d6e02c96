/** ACMP ResultCodes (docs/protocol.md §3). */
export const ResultCode = {
  Unspecified: -1,
  OK: 0,
  InvalidSession: 7,
  UserNamePasswordWrong: 15,
  InternalError: 18,
  DatabaseError: 19,
  ClientNotExist: 26,
  ElementNotFound: 30,
  LicenseAmountReached: 32,
  InvalidRequest: 35,
} as const;

export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];
