import { listCategories } from '../../domain/reference-lists';
import type { CommandDefinition } from '../types';

export default {
  name: 'GetTicketCategoryList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    const categories = await listCategories(db);
    return {
      Categories: categories.map((c) => ({
        Id: c.id,
        Name: c.name,
        Path: c.path,
        ParentId: c.parentId,
      })),
    };
  },
} satisfies CommandDefinition;
