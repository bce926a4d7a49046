import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { pageSchemaOf, pagingFields } from '../../../platform/http/paging.js';
import { ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { NOTIFICATION_TEMPLATES, type NotificationPage } from '../contract.js';
import { NotificationsRepository } from '../db/notifications.repository.js';

const pageQuery = z.strictObject(pagingFields);

const pageSchema = pageSchemaOf(
  z.object({
    id: z.uuid(),
    recipientUserId: z.uuid(),
    channel: z.literal('email'),
    template: z.enum(NOTIFICATION_TEMPLATES),
    subject: z.string(),
    body: z.string(),
    eventId: z.uuid(),
    sentAt: z.string(),
  }),
);

@Controller('api/v1/notifications')
export class ListNotificationsController {
  constructor(private readonly notifications: NotificationsRepository) {}

  @Get()
  @ApiRoute({ summary: 'List the notifications sent to me, newest first', tags: ['notifications'], response: pageSchema })
  list(@CurrentUser() caller: Principal, @ValidQuery(pageQuery) query: z.infer<typeof pageQuery>): Promise<NotificationPage> {
    return this.notifications.pageFor(caller.userId, query.page, query.pageSize);
  }
}
