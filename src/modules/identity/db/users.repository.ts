import { Inject, Injectable } from '@nestjs/common';
import { arrayContains, eq, inArray, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import type { UserRole, UserView } from '../contract.js';
import { EmailTakenError } from '../domain/identity-errors.js';
import { users } from './schema.js';

type Row = typeof users.$inferSelect;

export function toUserView(row: Row): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles as UserRole[],
    createdAt: row.createdAt.toISOString(),
  };
}

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  // drizzle wraps driver errors; the Postgres code sits on the error or its cause.
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === UNIQUE_VIOLATION || e.cause?.code === UNIQUE_VIOLATION;
}

@Injectable()
export class UsersRepository {
  constructor(@Inject(MODULE_DATABASE) private readonly database: ModuleDatabase) {}

  /** Inserts the user; `andThen` runs in the same transaction (to publish the fact). */
  async insert(
    user: { email: string; name: string; passwordHash: string; roles: UserRole[] },
    andThen: (tx: Db, created: UserView) => Promise<void> = async () => undefined,
  ): Promise<UserView> {
    try {
      return await this.database.transaction(async (tx) => {
        const [row] = await tx.insert(users).values(user).returning();
        const created = toUserView(row!);
        await andThen(tx, created);
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async findByEmail(email: string): Promise<Row | null> {
    const [row] = await this.database.db.select().from(users).where(eq(users.email, email)).limit(1);
    return row ?? null;
  }

  async findById(id: string): Promise<UserView | null> {
    const [row] = await this.database.db.select().from(users).where(eq(users.id, id)).limit(1);
    return row ? toUserView(row) : null;
  }

  async findByIds(ids: string[]): Promise<UserView[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.db.select().from(users).where(inArray(users.id, ids));
    return rows.map(toUserView);
  }

  async rename(id: string, name: string): Promise<UserView | null> {
    const [row] = await this.database.db
      .update(users)
      .set({ name, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning();
    return row ? toUserView(row) : null;
  }

  async findAdmins(): Promise<UserView[]> {
    const rows = await this.database.db.select().from(users).where(arrayContains(users.roles, ['admin']));
    return rows.map(toUserView);
  }

  async anyAdminExists(): Promise<boolean> {
    const [row] = await this.database.db
      .select({ id: users.id })
      .from(users)
      .where(arrayContains(users.roles, ['admin']))
      .limit(1);
    return !!row;
  }

  /** Creates an admin account unless the email is taken; tells whether it did. */
  async insertAdminIfAbsent(email: string, name: string, passwordHash: string): Promise<boolean> {
    const rows = await this.database.db
      .insert(users)
      .values({ email, name, passwordHash, roles: ['admin'] })
      .onConflictDoNothing({ target: users.email })
      .returning({ id: users.id });
    return rows.length > 0;
  }

  async grantAdmin(id: string): Promise<void> {
    await this.database.db
      .update(users)
      .set({
        roles: sql`(SELECT array_agg(DISTINCT r) FROM unnest(${users.roles} || ARRAY['admin']) AS r)`,
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, id));
  }
}
