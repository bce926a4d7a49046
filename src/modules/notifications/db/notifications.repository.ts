import { Inject, Injectable } from '@nestjs/common';
import { count, desc, eq } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { preparedStatement } from '../../../platform/database/prepared-statement.js';
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

const recordNotification = preparedStatement(
  'notifications_record',
  `INSERT INTO notifications.notifications
     (recipient_user_id, recipient_email, channel, template, subject, body, event_id)
   VALUES ($1, $2, $3, $4, $5, $6, $7)
   ON CONFLICT DO NOTHING`,
);

@Injectable()
export class NotificationsRepository {
  constructor(@Inject(MODULE_DATABASE) private readonly database: ModuleDatabase) {}

  /** Stores a sent message; runs once per delivered event, so it is a named prepared statement. */
  async record(tx: Db, notification: Omit<NewNotification, 'id' | 'sentAt'>): Promise<void> {
    await recordNotification.run(tx, [
      notification.recipientUserId,
      notification.recipientEmail,
      notification.channel,
      notification.template,
      notification.subject,
      notification.body,
      notification.eventId,
    ]);
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
