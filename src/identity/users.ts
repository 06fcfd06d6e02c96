// Users for login (docs/protocol.md §5): rows of `assignees` that are not groups. A user can log in
// when it has a password hash and is not disabled. Its permissions are the union of its roles'.
// Login names are matched case-insensitively ("anna admin" finds "Anna Admin"), as people type
// them; the database keeps them unique that way among the users that have a password.

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Permission } from './caller';
import { hashPassword, verifyAgainstNothing, verifyPasswordHash } from './passwords';

/** Who is acting: the session's user and what its roles allow. */
export interface UserCaller {
  id: string;
  name: string;
  permissions: Permission[];
}

export interface UserSummary {
  id: string;
  name: string;
  roles: string[];
  permissions: Permission[];
  hasPassword: boolean;
  disabled: boolean;
}

export const permissionsColumn = `array(select distinct p from roles r, unnest(r.permissions) p where r.name = any(a.roles) order by p) as permissions`;

/** The user `userId` as a caller, or undefined when there is no such user (or it is a group, or disabled). */
export async function callerOf(db: Knex, userId: string): Promise<UserCaller | undefined> {
  const row = await db('assignees as a')
    .first('a.id', 'a.name', db.raw(permissionsColumn))
    .where({ 'a.id': userId, 'a.is_group': false, 'a.disabled': false });
  return row && { id: row.id, name: row.name, permissions: row.permissions };
}

/**
 * The id of the user `name` when `passwordHashHex` (the client's PasswordHash) is its password
 * and it may log in; undefined otherwise, taking about as long whether the user exists or not.
 */
export async function authenticatePassword(
  db: Knex,
  name: string,
  passwordHashHex: string,
): Promise<string | undefined> {
  const row = await db('assignees')
    .first('id', 'password_hash', 'disabled')
    .where({ is_group: false })
    .whereNotNull('password_hash')
    .whereRaw('lower(name) = lower(?)', [name]);
  if (!row) return verifyAgainstNothing(passwordHashHex).then(() => undefined);
  const ok = await verifyPasswordHash(row.password_hash, passwordHashHex);
  return ok && !row.disabled ? row.id : undefined;
}

/** The users (not groups) named `name`, case-insensitively: for tools that address users by name. */
export async function findUsersByName(
  db: Knex,
  name: string,
): Promise<{ id: string; name: string }[]> {
  return db('assignees')
    .select('id', 'name')
    .where({ is_group: false })
    .whereRaw('lower(name) = lower(?)', [name])
    .orderBy('id');
}

export async function listUsers(db: Knex): Promise<UserSummary[]> {
  const rows = await db('assignees as a')
    .select(
      'a.id',
      'a.name',
      'a.roles',
      'a.disabled',
      db.raw('a.password_hash is not null as has_password'),
      db.raw(permissionsColumn),
    )
    .where({ 'a.is_group': false })
    .orderBy([{ column: 'a.name' }, { column: 'a.id' }]);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    roles: r.roles,
    permissions: r.permissions,
    hasPassword: r.has_password,
    disabled: r.disabled,
  }));
}

/** Role names that have no row in `roles` (a user may still carry them; they grant nothing). */
export async function unknownRoles(db: Knex, roles: string[]): Promise<string[]> {
  const known = new Set(
    (await db('roles').select('name').whereIn('name', roles)).map((r) => r.name as string),
  );
  return roles.filter((r) => !known.has(r));
}

export async function addUser(db: Knex, name: string, roles: string[]): Promise<string> {
  const id = randomUUID();
  await db('assignees').insert({ id, is_group: false, name, roles });
  return id;
}

/** Sets the user's password (plain, hashed here); its sessions end, as after a password change anyone would expect. */
export async function setPassword(db: Knex, userId: string, plain: string): Promise<void> {
  const hash = await hashPassword(plain);
  await db.transaction(async (trx) => {
    await trx('assignees').where({ id: userId }).update({ password_hash: hash });
    await trx('sessions').where({ user_id: userId }).delete();
  });
}

/** Disables (or enables) a user: a disabled user cannot log in, and its sessions and tokens stop working at once. */
export async function setDisabled(db: Knex, userId: string, disabled: boolean): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('assignees').where({ id: userId }).update({ disabled });
    if (disabled) await trx('sessions').where({ user_id: userId }).delete();
  });
}
