// npm run users -- <command>: manages who may log in (docs/protocol.md §5), in the database the
// gateway uses (DATABASE_URL, or the embedded server in data/). Passwords are never taken from
// the command line (it ends up in shell history and ps): typed at a prompt without echo, or,
// for scripts, the first line of stdin. Exit codes: 0 done, 1 failed, 2 usage.
import readline from 'node:readline';
import type { Knex } from 'knex';
import { loadConfig } from '../config';
import { connect, migrate } from '../db/connection';
import { startEmbedded } from '../db/embedded';
import { listTokens, revokeTokens } from '../identity/tokens';
import {
  addUser,
  findUsersByName,
  listUsers,
  setDisabled,
  setPassword,
  unknownRoles,
} from '../identity/users';
import { parseCommandLine } from './cli-args';

const USAGE = `usage: npm run users -- <command>
  add <name> [role...]          a new user with these roles (set its password next)
  set-password <name>           reads the new password (prompt, or first line of stdin)
  disable <name> | enable <name>
  list                          users, roles, permissions, whether they can log in
  tokens <name>                 the user's login tokens (never the tokens themselves)
  revoke <name> <tokenId>|--all`;

class UsageError extends Error {}
class Failure extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How many arguments each command takes (--all stands for revoke's token id). */
const ARGUMENTS = new Map([
  ['add', [1, Number.POSITIVE_INFINITY]],
  ['set-password', [1, 1]],
  ['disable', [1, 1]],
  ['enable', [1, 1]],
  ['list', [0, 0]],
  ['tokens', [1, 1]],
  ['revoke', [2, 2]],
]);

/** The command and its arguments (for revoke, the token id or "--all"), or 'help'. */
function parseUsersArgs(argv: string[]): string[] | 'help' {
  const { values, positionals } = parseCommandLine(
    argv,
    { all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    (message) => new UsageError(`${message}\n${USAGE}`),
  );
  if (values.help || positionals[0] === 'help') return 'help';
  const [command, ...args] = positionals;
  if (values.all) {
    if (command !== 'revoke') throw new UsageError(`--all goes with revoke only\n${USAGE}`);
    args.push('--all');
  }
  const [min, max] = ARGUMENTS.get(command) ?? [1, 0];
  if (args.length < min || args.length > max || (command === 'add' && !args[0].trim()))
    throw new UsageError(USAGE);
  // Checked here, before the database is opened for nothing.
  if (command === 'revoke' && args[1] !== '--all' && !UUID.test(args[1]))
    throw new UsageError(
      `"${args[1]}" is not a token id (see npm run users -- tokens "${args[0]}")\n${USAGE}`,
    );
  return [command, ...args];
}

async function oneUser(db: Knex, name: string): Promise<{ id: string; name: string }> {
  const users = await findUsersByName(db, name);
  if (users.length === 0) throw new Failure(`no user is named "${name}"`);
  if (users.length > 1)
    throw new Failure(
      `${users.length} users are named "${name}" (${users.map((u) => u.id).join(', ')}): rename one first`,
    );
  return users[0];
}

/** The password: typed without echo (twice) at a terminal, else the first line of stdin. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    return input.split(/\r?\n/)[0];
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = readline.createInterface({
        input: process.stdin,
        output: process.stderr,
        terminal: true,
      });
      // Show the question, not what is typed.
      (rl as unknown as { _writeToOutput(s: string): void })._writeToOutput = (s: string) => {
        if (s.startsWith(question)) process.stderr.write(question);
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('New password: ');
  if (first !== (await ask('Again: ')))
    throw new Failure('the two passwords differ; nothing changed');
  return first;
}

async function run(db: Knex, [command, ...args]: string[]): Promise<void> {
  switch (command) {
    case 'add': {
      const [name, ...roles] = args;
      if ((await findUsersByName(db, name)).length)
        throw new Failure(`a user named "${name}" exists already`);
      const unknown = await unknownRoles(db, roles);
      if (unknown.length)
        throw new Failure(
          `no such role: ${unknown.join(', ')} (roles come from a seed file's Roles)`,
        );
      const id = await addUser(db, name, roles);
      console.log(
        `added ${name} (${id}); set a password with: npm run users -- set-password "${name}"`,
      );
      return;
    }
    case 'set-password': {
      const user = await oneUser(db, args[0]);
      const password = await readPassword();
      if (!password) throw new Failure('an empty password is not allowed; nothing changed');
      try {
        await setPassword(db, user.id, password);
      } catch (e) {
        if ((e as { code?: string }).code === '23505')
          throw new Failure(
            `another user who can log in is named "${user.name}" (names are compared ignoring case)`,
          );
        throw e;
      }
      console.log(`password set for ${user.name}; its sessions have ended`);
      return;
    }
    case 'disable':
    case 'enable': {
      const user = await oneUser(db, args[0]);
      await setDisabled(db, user.id, command === 'disable');
      console.log(`${user.name} ${command}d`);
      return;
    }
    case 'list': {
      for (const u of await listUsers(db)) {
        const state = u.disabled ? 'disabled' : u.hasPassword ? 'can log in' : 'no password';
        console.log(
          `${u.name}\t${u.id}\t${state}\troles: ${u.roles.join(', ') || '-'}\tpermissions: ${u.permissions.join(', ') || '-'}`,
        );
      }
      return;
    }
    case 'tokens': {
      const user = await oneUser(db, args[0]);
      const tokens = await listTokens(db, user.id);
      if (!tokens.length) console.log(`${user.name} has no tokens`);
      for (const t of tokens) {
        console.log(
          `${t.id}\tcreated ${t.created.toISOString()}\texpires ${t.expires.toISOString()}\t${t.revoked ? `revoked ${t.revoked.toISOString()}` : 'active'}`,
        );
      }
      return;
    }
    case 'revoke': {
      const user = await oneUser(db, args[0]);
      const which = args[1];
      const count = await revokeTokens(db, user.id, which === '--all' ? undefined : which);
      if (which !== '--all' && count === 0)
        throw new Failure(`${user.name} has no active token ${which}`);
      console.log(`revoked ${count} token(s) of ${user.name}`);
      return;
    }
  }
}

async function main(): Promise<number> {
  let args: string[] | 'help';
  try {
    args = parseUsersArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbedded(config.dataDir, config.embeddedPort);
  const db = connect(config.databaseUrl ?? embedded!.url, { poolMax: 2 });
  try {
    await migrate(db);
    await run(db, args);
    return 0;
  } catch (e) {
    console.error(`users failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`users failed: ${e.message}`);
    process.exit(1);
  },
);
