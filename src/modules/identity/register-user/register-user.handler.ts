import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import { RegisterUser, UserRegistered, type UserView } from '../contract.js';
import { PasswordHasher } from '../credentials/password-hasher.js';
import { UsersRepository } from '../db/users.repository.js';

/** New accounts are customers; admin rights come only from bootstrap configuration. */
@CommandHandler(RegisterUser)
export class RegisterUserHandler implements ICommandHandler<RegisterUser, UserView> {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  async execute(command: RegisterUser): Promise<UserView> {
    const passwordHash = await this.hasher.hash(command.password);
    return this.users.insert(
      { email: command.email.toLowerCase(), name: command.name, passwordHash, roles: ['customer'] },
      async (tx, user) => {
        await this.outbox.publish(tx, UserRegistered, { userId: user.id, email: user.email, name: user.name });
      },
    );
  }
}
