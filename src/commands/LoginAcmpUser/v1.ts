import { dummyPasswordCheck, login } from '../../domain/login';
import { authenticatePassword } from '../../identity/users';
import type { CommandDefinition } from '../types';

interface Input {
  Username: string;
  PasswordHash: string;
  SessionId: string;
  CreateToken?: boolean;
}

export default {
  name: 'LoginAcmpUser',
  version: 1,
  permission: 'NONE',
  // Wrong password and unknown user: 15, same message, about the same time (authenticatePassword).
  async handle(input: Input, { db, limits }) {
    const check = () => authenticatePassword(db, input.Username, input.PasswordHash);
    return login(
      db,
      input.Username,
      input.SessionId,
      input.CreateToken === true,
      check,
      dummyPasswordCheck(input.PasswordHash),
      limits,
    );
  },
} satisfies CommandDefinition;
