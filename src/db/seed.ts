// Loads a seed file (README "Seed files") in one transaction. Repeatable: every record is an
// upsert by Id, so loading the same file twice changes nothing.

import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import type { Knex } from 'knex';
import { hashPassword } from '../identity/passwords';
import { bareGuid } from '../vocabulary/values';
import { seedSchema } from './seed-schema';

type Row = Record<string, any>;
export type Seed = Record<string, any>;

const validateSeed = new Ajv({ allErrors: true, strict: false }).compile(seedSchema);

export function readSeedFile(file: string): Seed {
  let seed: unknown;
  try {
    seed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (!validateSeed(seed)) {
    const problems = (validateSeed.errors ?? []).map(
      (e) =>
        `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`,
    );
    throw new Error(`${file} is not a valid seed file: ${problems.join('; ')}`);
  }
  return seed as Seed;
}

async function upsert(
  trx: Knex.Transaction,
  table: string,
  rows: Row[],
  key: string[] = ['id'],
): Promise<void> {
  if (rows.length) await trx(table).insert(rows).onConflict(key).merge();
}

export async function loadSeed(db: Knex, seed: Seed): Promise<void> {
  await db.transaction(async (trx) => {
    // Keep the dates the seed gives (migration 010 would move LastModified to now).
    await trx.raw(`set local acmp.bulk_load = 'on'`);
    const users = (seed.Users ?? []).map((u: Row) => ({
      id: u.Id,
      is_group: false,
      name: u.Name,
      description: u.Description ?? '',
      email: u.Email ?? '',
      user_type: u.UserType ?? 'AcmpUser',
      roles: u.Roles ?? [],
    }));
    const groups = (seed.Groups ?? []).map((g: Row) => ({
      id: g.Id,
      is_group: true,
      name: g.Name,
      description: g.Description ?? '',
      email: g.Email ?? '',
    }));
    await upsert(trx, 'assignees', [...users, ...groups]);
    await upsert(
      trx,
      'roles',
      (seed.Roles ?? []).map((r: Row) => ({ name: r.Name, permissions: r.Permissions })),
      ['name'],
    );
    for (const u of seed.Users ?? []) {
      if (u.Password !== undefined)
        await trx('assignees')
          .where({ id: u.Id })
          .update({ password_hash: await seedPasswordHash(u.Id, u.Password) });
    }

    // Categories may name a parent that comes later in the file: insert, then link.
    const categories = seed.Categories ?? [];
    await upsert(
      trx,
      'categories',
      categories.map((c: Row) => ({ id: c.Id, name: c.Name })),
    );
    for (const c of categories)
      await trx('categories')
        .where({ id: c.Id })
        .update({ parent_id: c.ParentId ?? null });

    await upsert(
      trx,
      'resolutions',
      (seed.Resolutions ?? []).map((r: Row) => ({
        id: r.Id,
        name: r.Name,
        description: r.Description ?? '',
      })),
    );
    await upsert(
      trx,
      'impacts',
      (seed.Impacts ?? []).map((r: Row) => ({ id: r.Id, name: r.Name })),
    );
    await upsert(
      trx,
      'contacts',
      (seed.Contacts ?? []).map((r: Row) => ({ id: r.Id, name: r.Name, email: r.Email ?? '' })),
    );
    await upsert(
      trx,
      'assets',
      (seed.Assets ?? []).map((r: Row) => ({ id: r.Id, name: r.Name })),
    );
    await upsert(
      trx,
      'clients',
      (seed.Clients ?? []).map((r: Row) => ({ id: r.Id, name: r.Name })),
    );
    await upsert(
      trx,
      'email_monitors',
      (seed.EmailMonitors ?? []).map((r: Row) => ({
        id: r.Id,
        name: r.Name,
        email_address: r.EmailAddress ?? '',
        server: r.Server ?? '',
        enabled: r.Enabled ?? true,
      })),
    );

    for (const t of seed.Templates ?? []) {
      await upsert(trx, 'templates', [
        {
          id: t.Id,
          name: t.Name,
          title: t.Title ?? '',
          html_description: t.HtmlDescription ?? '',
          category_id: t.CategoryId ?? null,
          priority: t.Priority ?? null,
          state: t.State ?? null,
          assignee_id: t.AssigneeId ?? null,
        },
      ]);
      await upsert(
        trx,
        'template_working_times',
        (t.WorkingTimes ?? []).map((w: Row) => ({
          id: w.Id,
          template_id: t.Id,
          executor_id: w.ExecutorId ?? null,
          minutes: w.Minutes,
          description: w.Description ?? '',
        })),
      );
      await upsert(
        trx,
        'template_costs',
        (t.Costs ?? []).map((c: Row) => ({
          id: c.Id,
          template_id: t.Id,
          unit_price: c.UnitPrice,
          amount: c.Amount,
          category: c.Category ?? '',
          description: c.Description ?? '',
        })),
      );
    }

    if (seed.Settings) {
      const s = seed.Settings;
      const row: Row = { id: true };
      const columns: Record<string, string> = {
        ResolutionsEnabled: 'resolutions_enabled',
        CommentRequiredOnClose: 'comment_required_on_close',
        WorkingTimesEnabled: 'working_times_enabled',
        WorkingTimeRequiredOnClose: 'working_time_required_on_close',
        MaxAttachmentSizeKb: 'max_attachment_size_kb',
        DefaultPriority: 'default_priority',
        ApiUserId: 'api_user_id',
      };
      for (const [key, column] of Object.entries(columns))
        if (s[key] !== undefined) row[column] = s[key];
      await trx('settings').insert(row).onConflict('id').merge();
    }

    await loadTickets(
      trx,
      seed.Tickets ?? [],
      (await trx('settings').first('default_priority'))?.default_priority ?? 3,
    );
  });
}

// Tests reload the demo seed very often: hash each seed password once per process (scrypt is slow on purpose).
const seedPasswordHashes = new Map<string, Promise<string>>();
function seedPasswordHash(userId: string, password: string): Promise<string> {
  const key = JSON.stringify([bareGuid(userId), password]);
  if (!seedPasswordHashes.has(key)) seedPasswordHashes.set(key, hashPassword(password));
  return seedPasswordHashes.get(key)!;
}

async function loadTickets(
  trx: Knex.Transaction,
  tickets: Row[],
  defaultPriority: number,
): Promise<void> {
  for (const t of tickets) {
    await upsert(trx, 'tickets', [
      {
        id: t.Id,
        title: t.Title,
        html_description: t.HtmlDescription ?? '',
        category_id: t.CategoryId ?? null,
        priority: t.Priority ?? defaultPriority,
        state: t.State ?? 'New',
        contact_id: t.ContactId ?? null,
        assignee_id: t.AssigneeId ?? null,
        keywords: t.Keywords ?? '',
        impact_id: t.ImpactId ?? null,
        due_date: t.DueDate ?? null,
        source: t.Source ?? 'Unknown',
        resolution_id: t.ResolutionId ?? null,
        template_id: t.TemplateId ?? null,
        closed_date: t.ClosedDate ?? (t.State === 'Closed' ? trx.fn.now() : null),
        master_ticket_id: t.MasterTicketId ?? null,
        creation_date: t.CreationDate ?? trx.fn.now(),
        last_modified: t.LastModified ?? t.CreationDate ?? trx.fn.now(),
      },
    ]);
    await upsert(
      trx,
      'ticket_comments',
      (t.Comments ?? []).map((c: Row) => ({
        id: c.Id,
        ticket_id: t.Id,
        text: c.Text,
        html_text: c.HtmlText ?? '',
        is_visible_for_web: c.IsVisibleForWeb ?? false,
        is_external: c.IsExternal ?? false,
        creator_id: c.CreatorId ?? null,
        creator: trx.raw('coalesce((select name from assignees where id = ?), ?)', [
          c.CreatorId ?? null,
          '',
        ]),
        creation_date: c.CreationDate ?? trx.fn.now(),
      })),
    );
    await upsert(
      trx,
      'ticket_working_times',
      (t.WorkingTimes ?? []).map((w: Row) => ({
        id: w.Id,
        ticket_id: t.Id,
        executor_id: w.ExecutorId ?? null,
        start_date: w.StartDate,
        end_date: w.EndDate,
        description: w.Description ?? '',
        duration_minutes: Math.round((Date.parse(w.EndDate) - Date.parse(w.StartDate)) / 60000),
      })),
    );
    await upsert(
      trx,
      'ticket_costs',
      (t.Costs ?? []).map((c: Row) => ({
        id: c.Id,
        ticket_id: t.Id,
        unit_price: c.UnitPrice,
        amount: c.Amount,
        category: c.Category ?? '',
        description: c.Description ?? '',
        creator_id: c.CreatorId ?? null,
      })),
    );
    await upsert(
      trx,
      'ticket_attachments',
      (t.Attachments ?? []).map((a: Row) => {
        const content = Buffer.from(a.ContentBase64, 'base64');
        return {
          id: a.Id,
          ticket_id: t.Id,
          document_id: a.DocumentId,
          name: a.Name,
          file_name: a.FileName,
          description: a.Description ?? '',
          is_visible_for_web: a.IsVisibleForWeb ?? false,
          size: content.length,
          content,
          creator_id: a.CreatorId ?? null,
          creator: trx.raw('coalesce((select name from assignees where id = ?), ?)', [
            a.CreatorId ?? null,
            '',
          ]),
          creation_date: a.CreationDate ?? trx.fn.now(),
        };
      }),
    );
    await upsert(
      trx,
      'ticket_reminders',
      (t.Reminders ?? []).map((r: Row) => ({
        ticket_id: t.Id,
        user_id: r.UserId,
        reminder_date: r.ReminderDate,
        text: r.Text ?? '',
      })),
      ['ticket_id', 'user_id'],
    );
    await upsert(
      trx,
      'ticket_assets',
      (t.AssetIds ?? []).map((id: string) => ({ ticket_id: t.Id, asset_id: id })),
      ['ticket_id', 'asset_id'],
    );
    await upsert(
      trx,
      'ticket_clients',
      (t.ClientIds ?? []).map((id: string) => ({ ticket_id: t.Id, client_id: id })),
      ['ticket_id', 'client_id'],
    );
  }
  // Links last: both tickets must exist. Stored once, smaller id first (symmetric links).
  for (const t of tickets) {
    for (const other of t.LinkedTicketIds ?? []) {
      const [a, b] = [bareGuid(t.Id), bareGuid(other)].sort();
      await trx('ticket_links')
        .insert({ ticket_a: a, ticket_b: b })
        .onConflict(['ticket_a', 'ticket_b'])
        .ignore();
    }
  }
}

/** True once a seed has set up the settings row: `npm start` loads the demo seed only into an empty database. */
export async function isSeeded(db: Knex): Promise<boolean> {
  return !!(await db('settings').first('id'));
}
