// Reference data lists (spec §7: GetAssigneeList and the Get…List commands of issue #3).
import type { Knex } from 'knex';
import type { Assignee } from './tickets';

/** Users first, then groups, each by name. */
export async function listAssignees(db: Knex): Promise<Assignee[]> {
  const rows = await db('assignees').select('*').orderBy([{ column: 'is_group' }, { column: 'name' }, { column: 'id' }]);
  return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, email: r.email, userType: r.user_type, roles: r.roles, isGroup: r.is_group }));
}
