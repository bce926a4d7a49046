/** Injection token for the process's DatabaseEngine. */
export const DATABASE_ENGINE = Symbol('DATABASE_ENGINE');
