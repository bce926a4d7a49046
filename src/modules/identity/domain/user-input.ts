import { z } from 'zod';

export const emailSchema = z
  .email({ message: 'must be an email address' })
  .max(254)
  .transform((e) => e.toLowerCase());

/** Length over composition rules (NIST SP 800-63B): at least 10, at most 256 characters. */
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(256);

export const displayNameSchema = z.string().trim().min(1).max(100);

export const registerSchema = z
  .object({ email: emailSchema, password: passwordSchema, name: displayNameSchema })
  .strict();

export const logInSchema = z.object({ email: emailSchema, password: z.string().min(1).max(256) }).strict();

export const updateProfileSchema = z.object({ name: displayNameSchema }).strict();
