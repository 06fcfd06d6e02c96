import { getSettings } from '../../domain/references';
import type { CommandDefinition } from '../types';

export default {
  name: 'GetHelpdeskSettings',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    const s = await getSettings(db);
    return {
      Settings: {
        ResolutionsEnabled: s.resolutionsEnabled,
        CommentRequiredOnClose: s.commentRequiredOnClose,
        WorkingTimesEnabled: s.workingTimesEnabled,
        WorkingTimeRequiredOnClose: s.workingTimeRequiredOnClose,
        MaxAttachmentSizeKb: s.maxAttachmentSizeKb,
        DefaultPriority: s.defaultPriority,
      },
    };
  },
} satisfies CommandDefinition;
