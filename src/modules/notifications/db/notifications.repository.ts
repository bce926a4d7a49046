import { Inject, Injectable } from '@nestjs/common';
import { count, desc, eq } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import type { NotificationPage, NotificationView } from '../contract.js';
import { notifications } from './schema.js';

type Row = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

function toView(row: Row): NotificationView {
  return {
    id: row.id,
    recipientUserId: row.recipientUserId,
    channel: row.channel as NotificationView['channel'],
    template: row.template as NotificationView['template'],
    subject: row.subject,
    body: row.body,
    eventId: row.eventId,
    sentAt: row.sentAt.toISOString(),
  };
}

@Injectable()
export class NotificationsRepository {
  constructor(@Inject(MODULE_DATABASE) private readonly database: ModuleDatabase) {}

  async record(tx: Db, notification: NewNotification): Promise<void> {
    await tx.insert(notifications).values(notification).onConflictDoNothing();
  }

  async pageFor(userId: string, page: number, pageSize: number): Promise<NotificationPage> {
    const where = eq(notifications.recipientUserId, userId);
    const [rows, totals] = await Promise.all([
      this.database.db
        .select()
        .from(notifications)
        .where(where)
        .orderBy(desc(notifications.sentAt), desc(notifications.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.database.db.select({ total: count() }).from(notifications).where(where),
    ]);
    return { items: rows.map(toView), page, pageSize, total: totals[0]?.total ?? 0 };
  }
}
