import { Module, type DynamicModule } from '@nestjs/common';
import { SIGNING_KEYS, type SigningKeys } from '../../platform/auth/signing-keys.js';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { BootstrapAdmin } from './bootstrap-admin/bootstrap-admin.js';
import { PasswordHasher } from './credentials/password-hasher.js';
import { UsersRepository } from './db/users.repository.js';
import { GetAdminsHandler, GetUserHandler, GetUsersHandler } from './get-users/get-users.handler.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { JwksController } from './jwks/jwks.http.controller.js';
import { LogInController } from './log-in/log-in.http.controller.js';
import { LoginThrottle } from './log-in/login-throttle.js';
import { ProfileController } from './profile/profile.http.controller.js';
import { RegisterUserController } from './register-user/register-user.http.controller.js';
import { RegisterUserHandler } from './register-user/register-user.handler.js';
import { RegistrationThrottle } from './register-user/registration-throttle.js';
import { TokenIssuer } from './tokens/token-issuer.js';

export const IDENTITY = 'identity';

/** Accounts, credentials and roles; issues access tokens. Owns the `identity` schema. */
@Module({
  controllers: [RegisterUserController, LogInController, ProfileController, JwksController],
  providers: [
    moduleDatabaseProvider(IDENTITY),
    moduleOutboxProvider(IDENTITY),
    UsersRepository,
    PasswordHasher,
    RegisterUserHandler,
    GetUserHandler,
    GetUsersHandler,
    GetAdminsHandler,
    BootstrapAdmin,
    TokenIssuer,
    LoginThrottle,
    RegistrationThrottle,
  ],
})
export class IdentityModule {
  /** The private signing key reaches identity only, handed over by the composition root. */
  static forRoot(options: { signingKeys: SigningKeys }): DynamicModule {
    return { module: IdentityModule, providers: [{ provide: SIGNING_KEYS, useValue: options.signingKeys }] };
  }
}
