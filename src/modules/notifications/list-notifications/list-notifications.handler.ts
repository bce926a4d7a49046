import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ListNotifications, type NotificationPage } from '../contract.js';
import { NotificationsRepository } from '../db/notifications.repository.js';

@QueryHandler(ListNotifications)
export class ListNotificationsHandler implements IQueryHandler<ListNotifications, NotificationPage> {
  constructor(private readonly notifications: NotificationsRepository) {}
  execute(query: ListNotifications): Promise<NotificationPage> {
    return this.notifications.pageFor(query.userId, query.page, query.pageSize);
  }
}
