import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetAdmins, GetUser, GetUsers, type UserView } from '../contract.js';
import { UsersRepository } from '../db/users.repository.js';

@QueryHandler(GetUser)
export class GetUserHandler implements IQueryHandler<GetUser, UserView | null> {
  constructor(private readonly users: UsersRepository) {}
  execute(query: GetUser): Promise<UserView | null> {
    return this.users.findById(query.userId);
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
