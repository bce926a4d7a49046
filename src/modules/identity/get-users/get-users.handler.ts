import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { groupedLookup } from '../../../platform/database/group-commit.js';
import { GetAdmins, GetUser, GetUsers, type UserView } from '../contract.js';
import { UsersRepository } from '../db/users.repository.js';

/**
 * The most asked question of identity: every reaction to a checkout event that tells
 * a customer something looks the customer up. Lookups asked while one is running are
 * answered together by one query (see groupedLookup).
 */
@QueryHandler(GetUser)
export class GetUserHandler implements IQueryHandler<GetUser, UserView | null> {
  private readonly lookup = groupedLookup<string, UserView>('user lookup', (ids) => this.users.findByIds(ids), (user) => user.id);

  constructor(private readonly users: UsersRepository) {}

  async execute(query: GetUser): Promise<UserView | null> {
    const [user] = await this.lookup([query.userId.toLowerCase()]); // ids come back lower-cased
    return user ?? null;
  }
}

@QueryHandler(GetUsers)
export class GetUsersHandler implements IQueryHandler<GetUsers, UserView[]> {
  constructor(private readonly users: UsersRepository) {}
  execute(query: GetUsers): Promise<UserView[]> {
    return this.users.findByIds([...new Set(query.userIds)]);
  }
}

@QueryHandler(GetAdmins)
export class GetAdminsHandler implements IQueryHandler<GetAdmins, UserView[]> {
  constructor(private readonly users: UsersRepository) {}
  execute(): Promise<UserView[]> {
    return this.users.findAdmins();
  }
}
