import { login } from '../../domain/login';
import { verifyToken } from '../../identity/tokens';
import { findUsersByName } from '../../identity/users';
import type { CommandDefinition } from '../types';

interface Input {
  UserName: string;
  Token: string;
  SessionId: string;
}

export default {
  name: 'TokenLoginAcmpUser',
  version: 1,
  permission: 'NONE',
  // Names without a password may repeat: the token decides which of them (if any) logs in.
  async handle(input: Input, { db, limits }) {
    return login(
      db,
      input.UserName,
      input.SessionId,
      false,
      async () => {
        for (const user of await findUsersByName(db, input.UserName))
          if (await verifyToken(db, user.id, input.Token)) return user.id;
        return undefined;
      },
      undefined,
      limits,
    );
  },
} satisfies CommandDefinition;
