// Reference data lists (docs/protocol.md §7: GetAssigneeList and the other Get…List commands).
import type { Knex } from 'knex';
import { deleteAllOrNone } from './id-lists';
import type { Assignee } from './tickets';

/** Users first, then groups, each by name. */
export async function listAssignees(db: Knex): Promise<Assignee[]> {
  const rows = await db('assignees')
    .select('*')
    .orderBy([{ column: 'is_group' }, { column: 'name' }, { column: 'id' }]);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    email: r.email,
    userType: r.user_type,
    roles: r.roles,
    isGroup: r.is_group,
  }));
}

export interface Category {
  id: string;
  name: string;
  /** Names from the root down, joined by '/': e.g. Hardware/Printer. */
  path: string;
  parentId: string | null;
}

/** Ordered by path, compared name by name, so that each category's subtree follows it directly. */
export async function listCategories(db: Knex): Promise<Category[]> {
  const rows: { id: string; name: string; parent_id: string | null }[] = await db(
    'categories',
  ).select('id', 'name', 'parent_id');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pathOf = (id: string): string => {
    const names: string[] = [];
    // The seed may hold a parent cycle by mistake: stop at the first category seen twice.
    for (
      let c = byId.get(id), seen = new Set<string>();
      c && !seen.has(c.id);
      c = c.parent_id ? byId.get(c.parent_id) : undefined
    ) {
      seen.add(c.id);
      names.unshift(c.name);
    }
    return names.join('/');
  };
  return rows
    .map((r) => ({ id: r.id, name: r.name, path: pathOf(r.id), parentId: r.parent_id }))
    .sort((a, b) => comparePaths(a.path, b.path) || (a.id < b.id ? -1 : 1));
}

// Segment by segment: "Hardware Tools" must not sort between "Hardware" and "Hardware/Printer".
function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = x[i].localeCompare(y[i], 'en');
    if (c) return c;
  }
  return x.length - y.length;
}

export interface Resolution {
  id: string;
  name: string;
  description: string;
}

export async function listResolutions(db: Knex): Promise<Resolution[]> {
  const rows = await db('resolutions')
    .select('*')
    .orderBy([{ column: 'name' }, { column: 'id' }]);
  return rows.map((r) => ({ id: r.id, name: r.name, description: r.description }));
}

export interface EmailMonitor {
  id: string;
  name: string;
  emailAddress: string;
  server: string;
  enabled: boolean;
}

export async function listEmailMonitors(db: Knex): Promise<EmailMonitor[]> {
  const rows = await db('email_monitors')
    .select('*')
    .orderBy([{ column: 'name' }, { column: 'id' }]);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    emailAddress: r.email_address,
    server: r.server,
    enabled: r.enabled,
  }));
}

/** All or nothing: one unknown id (30, every one named) deletes none. */
export async function deleteEmailMonitors(db: Knex, ids: string[]): Promise<void> {
  await deleteAllOrNone(db, 'email_monitors', ids, 'EmailMonitorIds', 'email monitor');
}
